"""Nudges sent beside the request instead of in it.

A queued message wakes its session's engine node (sessions_app.services.session_nudge: a
Redis read for the lease owner and a Celery message). That took a few milliseconds of every
`POST .../messages`, more when Redis is slow, after the answer was already decided. Here the
request only notes the session; one thread per process sends the nudges, one per session for
everything noted while it was sending the previous ones. Each note is made after its message
is committed (transaction.on_commit), so a coalesced nudge still comes after every message it
stands for. Nudges stay best effort: nodes also scan the database every few seconds.
"""

from __future__ import annotations

import logging
import os
import threading
from uuid import UUID

logger = logging.getLogger(__name__)


class Nudger:
    def __init__(self, send):
        self._send = send
        self._pending: dict[UUID, None] = {}  # insertion-ordered set
        self._busy = False
        self._changed = threading.Condition()
        self._pid = None

    def nudge_soon(self, session_id: UUID) -> None:
        with self._changed:
            self._pending[session_id] = None
            self._start_once()
            self._changed.notify_all()

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """For tests and shutdown: True once every noted nudge was sent."""
        with self._changed:
            return self._changed.wait_for(lambda: not self._pending and not self._busy, timeout)

    def _start_once(self) -> None:
        # A forked child (a web worker) has the parent's state but not its thread.
        if self._pid != os.getpid():
            self._pid = os.getpid()
            threading.Thread(target=self._run, name="engine-nudger", daemon=True).start()

    def _run(self) -> None:
        while True:
            with self._changed:
                self._busy = False
                self._changed.notify_all()
                self._changed.wait_for(lambda: self._pending)
                batch, self._pending, self._busy = list(self._pending), {}, True
            for session_id in batch:
                try:
                    self._send(session_id)
                except Exception:  # session_nudge logs its own failures; nothing may end this thread
                    logger.warning("Could not nudge session %s", session_id, exc_info=True)


def _send(session_id: UUID) -> None:
    from sessions_app import services  # looked up per call: tests replace its parts

    services.session_nudge(session_id)


NUDGER = Nudger(_send)


def session_nudge_soon(session_id: UUID) -> None:
    """Has the session's engine node nudged shortly, without waiting for Redis here."""
    NUDGER.nudge_soon(session_id)
