"""One writer at a time per process on SQLite, waiting in line instead of polling.

SQLite has a single writer. A transaction that finds the write lock taken (BEGIN IMMEDIATE)
does not queue: SQLite's busy handler sleeps and tries again, with sleeps growing to 100 ms,
so under load a request that was merely next in line can wait a multiple of the time the lock
was actually held: the tail of `POST .../messages` (docs/PERFORMANCE.md). The threads of one
process take a lock of ours before beginning their write transaction, so they follow each
other in order; only writers in other processes still meet SQLite's busy wait.

On PostgreSQL, row locks already queue in order, and this takes nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

_write_lock = threading.Lock()


@contextmanager
def sqlite_writer_turn() -> Iterator[None]:
    """Around a short write transaction that is not nested in another: on SQLite, waits for
    this process's other writers first."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        # Nested in a transaction that holds the write lock already (or another database).
        yield
        return
    with _write_lock:
        yield
