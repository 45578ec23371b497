"""One writer at a time on SQLite, waiting in line instead of polling.

SQLite has a single writer. A transaction that finds the write lock taken (BEGIN IMMEDIATE)
does not queue: SQLite's busy handler sleeps and tries again, with sleeps growing to 100 ms,
so under load a request that was merely next in line can wait a multiple of the time the lock
was actually held: the tail of `POST .../messages` (docs/PERFORMANCE.md). Writers that go
through here queue instead: the threads of a process on a lock of ours, the processes (the
web workers) on an advisory file lock next to the database (`<database>-writer.lock`), which
the kernel hands to the next waiter as soon as it is released. Writers that do not (the
engine's status updates) still meet SQLite's busy wait, as before.

On PostgreSQL, row locks already queue in order, and this takes nothing.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

_thread_lock = threading.Lock()
_files: dict[tuple[int, str], int] = {}  # (pid, lock path) → descriptor, opened once per process


def _lock_file(database: str) -> int:
    key = (os.getpid(), f"{database}-writer.lock")
    if key not in _files:
        _files[key] = os.open(key[1], os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    return _files[key]


@contextmanager
def sqlite_writer_turn() -> Iterator[None]:
    """Around a short write transaction that is not nested in another: on SQLite, waits for
    the other writers that come through here first."""
    database = str(connection.settings_dict["NAME"])
    if connection.vendor != "sqlite" or connection.in_atomic_block or database.startswith(":memory:"):
        # Nested in a transaction that holds the write lock already, or another database.
        yield
        return
    with _thread_lock:
        descriptor = _lock_file(database)
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)
