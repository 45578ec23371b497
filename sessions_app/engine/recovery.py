"""How a session actor gets through trouble that is not the user's to fix.

A crashed browser is restarted with backoff; a database blip (PostgreSQL restarted or
failed over, SQLite locked past its timeout) is waited out, with the browser left open when
it happened inside the browser loop; an unexpected error is retried with backoff too. Only
what cannot heal by itself (unlinked, a permanent configuration error) marks the session
`failed`, because nothing restarts a failed session. Every wait leaves its reason in the
session's history and the log.
"""

from __future__ import annotations

import logging
import math
import time
from typing import TYPE_CHECKING

from django.db import DatabaseError

from sessions_app.engine.base import Engine, EngineError
from sessions_app.models import SessionStatus
from yesapp.db_retry import is_transient_db_error, reset_broken_connection, retry_transient_db

if TYPE_CHECKING:
    import threading

logger = logging.getLogger("sessions_app.engine.actor")

# Longest wait (seconds) between two looks at a database that is away.
MAX_DB_BACKOFF = 5.0


class ActorRecovery:
    """Part of SessionActor (sessions_app/engine/actor.py): its answers to trouble."""

    session_id: object
    status: str
    restarts: int
    stop_event: threading.Event
    _state_due: bool
    _wake: bool

    def _fail(self, exc: EngineError) -> None:
        """Only what cannot heal by itself: unlinked, a permanent configuration error."""
        self._set(SessionStatus.FAILED, str(exc), last_error=str(exc))
        logger.error(
            "Session %s failed: %s",
            self.session_id,
            exc,
            extra={"session_id": str(self.session_id), "step": exc.step},
        )

    def _crashed(self, exc: EngineError, backoff: float) -> None:
        self.restarts += 1
        message = f"browser problem at step '{exc.step}': {exc}; restarting in {backoff:.0f}s"
        logger.warning("Session %s: %s", self.session_id, message, extra={"session_id": str(self.session_id)})
        if self.status not in (SessionStatus.STARTING, SessionStatus.QR):
            self._note(SessionStatus.DISCONNECTED, message, last_error=str(exc))
        else:
            # Still starting: the status stays, but the restart goes into the session's history
            # (and the yesapp_engine_restarts metric, which counts these events).
            self._note(self.status or SessionStatus.STARTING, message, last_error=str(exc), record_same=True)
        self.stop_event.wait(backoff)

    def _troubled(self, exc: Exception, backoff: float) -> None:
        """After an error that was neither the browser's nor permanent. A database blip keeps
        the session's status (it says nothing about WhatsApp); anything else is retried with
        backoff, the browser having closed, and shows as `disconnected` with the reason."""
        if is_transient_db_error(exc):
            self._wait_for_database(exc, browser="closed; starting it again")
            return
        message = f"internal error: {exc!r}; trying again in {backoff:.0f}s"
        logger.exception(
            "Session %s: %s", self.session_id, message, extra={"session_id": str(self.session_id)}
        )
        connected = self.status in (SessionStatus.CONNECTED, SessionStatus.DISCONNECTED)
        status = SessionStatus.DISCONNECTED if connected else self.status or SessionStatus.STARTING
        self._note(status, message, last_error=message, record_same=True)
        self.stop_event.wait(backoff)

    def _serve_through_db_blips(self, engine: Engine) -> None:
        """Runs the browser loop; a transient database error that escapes it (PostgreSQL
        restarted, SQLite locked past its timeout) is waited out with the browser left open:
        the page keeps what it has not handed over, and the session keeps its status."""
        while True:
            try:
                return self._serve(engine)
            except DatabaseError as exc:
                if not is_transient_db_error(exc) or self.stop_event.is_set():
                    raise
                self._wait_for_database(exc, browser="kept open")
                self._state_due = self._wake = True

    def _wait_for_database(self, exc: DatabaseError, *, browser: str) -> None:
        """Waits (capped backoff, until stopped) until the database takes a write again: the
        note of the outage in the session's history, which the user sees once it is over."""
        started = time.monotonic()
        logger.warning(
            "Session %s: database unavailable (%s); waiting for it, browser %s",
            self.session_id,
            exc,
            browser,
            extra={"session_id": str(self.session_id)},
        )
        reset_broken_connection()

        def record() -> None:
            waited = time.monotonic() - started
            reason = f"database unavailable for {waited:.1f}s ({exc}); waited it out, browser {browser}"
            self._set(self.status or SessionStatus.STARTING, reason, record_same=True)

        try:
            retry_transient_db(
                record,
                what=f"waiting for the database (session {self.session_id})",
                deadline=math.inf,
                cap=MAX_DB_BACKOFF,
                should_stop=self.stop_event.is_set,
            )
        except DatabaseError as error:  # stopping meanwhile, or not a blip after all
            reset_broken_connection()
            logger.warning("Session %s: could not record the outage: %s", self.session_id, error)

    def _note(self, status: str, reason: str, **fields) -> None:
        """`_set` for what is recorded while something is wrong: a failed write (the database
        may be the trouble) is logged, never raised into the loop that is recovering."""
        try:
            self._set(status, reason, **fields)
        except DatabaseError as exc:
            reset_broken_connection()
            logger.warning(
                "Session %s: could not record %r: %s",
                self.session_id,
                reason,
                exc,
                extra={"session_id": str(self.session_id)},
            )
