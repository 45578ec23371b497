"""Waiting out database blips instead of turning them into outages.

SQLite says `database is locked` when another process holds the write lock a little too
long; PostgreSQL drops connections on a restart, a failover or `pg_terminate_backend`.
Both heal by themselves, so code that runs in the background (the engine, the workers)
retries the whole unit of work with capped backoff instead of failing what it was doing.

Retry only a function that opens its own transaction: inside an outer `atomic()` block a
broken connection cannot be replaced, so the error is passed on to whoever owns that block.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import DatabaseError, InterfaceError, OperationalError, connection

logger = logging.getLogger(__name__)

T = TypeVar("T")

# SQLite reports schema mistakes as OperationalError too; those never heal by waiting.
_PERMANENT_MARKERS = ("no such table", "no such column", "has no column", "syntax error")


def is_transient_db_error(exc: BaseException) -> bool:
    """True for a lost connection or a lock that waiting may cure."""
    if isinstance(exc, InterfaceError):
        return True
    if isinstance(exc, OperationalError):
        text = str(exc).lower()
        return not any(marker in text for marker in _PERMANENT_MARKERS)
    return False


def reset_broken_connection() -> None:
    """Drops this thread's connection if it is unusable, so the next query opens a new one."""
    if connection.in_atomic_block:
        return
    try:
        connection.close_if_unusable_or_obsolete()
        if connection.connection is not None and not connection.is_usable():
            connection.close()
    except DatabaseError:
        connection.close()


def backoff_delay(attempt: int, *, base: float = 0.2, cap: float = 5.0) -> float:
    """Capped exponential backoff with jitter, so many waiting threads don't retry in step."""
    return min(cap, base * (2**attempt)) * random.uniform(0.5, 1.0)


def retry_transient_db(
    fn: Callable[[], T],
    *,
    what: str,
    deadline: float = 60.0,
    base: float = 0.2,
    cap: float = 5.0,
    should_stop: Callable[[], bool] | None = None,
) -> T:
    """Runs `fn` until it succeeds, retrying transient database errors for up to `deadline`
    seconds. Any other error, or a transient one past the deadline (or once `should_stop()`
    says so), is raised to the caller."""
    started = time.monotonic()
    attempt = 0
    while True:
        try:
            return fn()
        except DatabaseError as exc:
            if not is_transient_db_error(exc) or connection.in_atomic_block:
                raise
            waited = time.monotonic() - started
            if waited >= deadline or (should_stop and should_stop()):
                raise
            delay = min(backoff_delay(attempt, base=base, cap=cap), max(deadline - waited, 0.0))
            logger.warning("Database unavailable while %s (%s); retrying in %.1fs", what, exc, delay)
            reset_broken_connection()
            time.sleep(delay)
            attempt += 1
