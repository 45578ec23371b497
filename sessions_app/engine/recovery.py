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
import time
from typing import TYPE_CHECKING

from django.db import DatabaseError

from sessions_app.engine.base import Engine, EngineError
from sessions_app.models import SessionStatus
from yesapp.db_retry import backoff_delay, is_transient_db_error, reset_broken_connection

if TYPE_CHECKING:
    import threading

logger = logging.getLogger("sessions_app.engine.actor")

# A database blip is retried within the browser loop with at most this wait (seconds), the
# backoff starting again once the database has stayed up for DB_CALM_AFTER seconds.
MAX_DB_BACKOFF = 5.0
DB_CALM_AFTER = 30.0


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
        """Waits before trying again after an error that was neither the browser's nor permanent.
        A database blip keeps the session's status (it says nothing about WhatsApp)."""
        extra = {"session_id": str(self.session_id)}
        if is_transient_db_error(exc):
            message = f"database unavailable: {exc}; trying again in {backoff:.0f}s"
            logger.warning("Session %s: %s", self.session_id, message, extra=extra)
            reset_broken_connection()
            status = self.status or SessionStatus.STARTING
        else:
            message = f"internal error: {exc!r}; trying again in {backoff:.0f}s"
            logger.exception("Session %s: %s", self.session_id, message, extra=extra)
            connected = self.status in (SessionStatus.CONNECTED, SessionStatus.DISCONNECTED)
            status = SessionStatus.DISCONNECTED if connected else self.status or SessionStatus.STARTING
        self._note(status, message, last_error=message, record_same=True)
        self.stop_event.wait(backoff)

    def _serve_through_db_blips(self, engine: Engine) -> None:
        """Runs the browser loop; a transient database error that escapes it (PostgreSQL
        restarted, SQLite locked past its timeout) is waited out with the browser left open:
        the page keeps what it has not handed over, and the session keeps its status."""
        attempt, last_blip = 0, 0.0
        while True:
            try:
                return self._serve(engine)
            except DatabaseError as exc:
                if not is_transient_db_error(exc) or self.stop_event.is_set():
                    raise
                now = time.monotonic()
                attempt = attempt + 1 if now - last_blip < DB_CALM_AFTER else 0
                last_blip = now
                delay = backoff_delay(attempt, cap=MAX_DB_BACKOFF)
                message = f"database unavailable: {exc}; browser kept open, trying again in {delay:.1f}s"
                logger.warning(
                    "Session %s: %s", self.session_id, message, extra={"session_id": str(self.session_id)}
                )
                reset_broken_connection()
                self.stop_event.wait(delay)
                self._note(self.status, message, record_same=True)
                self._state_due = self._wake = True

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
