"""How a session actor turns the page's login state into the session's status.

A mixin of `SessionActor` (actor.py), run in the actor's thread: the QR while waiting for a
scan, connected once linked and ready, disconnected (then a browser restart) when linked but
unusable, and the QR and idle timeouts that stop a session.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings
from django.utils import timezone

from sessions_app.engine.base import ConnectionState, Engine, EngineCrashed
from sessions_app.fencing import session_fence_check
from sessions_app.models import DesiredState, Session, SessionStatus
from yesapp.validators import phone_from_chat_id

logger = logging.getLogger(__name__)

# Modes in which WhatsApp Web is linked but not usable; a restart fixes those that last.
DISCONNECTED_RESTART_AFTER = 60.0


class ActorLoginState:
    def _sync_state(self, engine: Engine) -> None:
        self._state_due = False
        self._last_state = time.monotonic()
        state = engine.state()
        status, reason, fields = self._status_for(state)
        if status == SessionStatus.DISCONNECTED:
            self._disconnected_since = self._disconnected_since or time.monotonic()
            if time.monotonic() - self._disconnected_since > DISCONNECTED_RESTART_AFTER:
                self._disconnected_since = None
                raise EngineCrashed(
                    f"still {state.stream_mode} after {DISCONNECTED_RESTART_AFTER:.0f}s", step="reconnect"
                )
        else:
            self._disconnected_since = None
        if status:
            self._set(status, reason, **fields)

    def _status_for(self, state: ConnectionState) -> tuple[str, str, dict[str, Any]]:
        """Maps the page's login state to a session status (wa-js: logged in = authenticated
        and stream mode MAIN; conn.main_ready alone also fires on the QR screen)."""
        if state.is_ready:
            return (
                SessionStatus.CONNECTED,
                "linked and ready",
                {"wid": state.my_id, "phone": phone_from_chat_id(state.my_id), "last_error": ""},
            )
        if state.is_authenticated:
            if self.status in (SessionStatus.CONNECTED, SessionStatus.DISCONNECTED):
                return SessionStatus.DISCONNECTED, f"stream mode {state.stream_mode}", {}
            if self.status == SessionStatus.QR:
                return SessionStatus.STARTING, f"scanned, syncing ({state.stream_mode})", {}
            return "", "", {}
        if state.qr:
            # A QR on screen means no phone is linked, whatever event we may have missed.
            return (
                SessionStatus.QR,
                "waiting for a scan",
                {**self._qr_fields(state.qr), "phone": "", "wid": ""},
            )
        return "", "", {}

    def _qr_fields(self, code: str) -> dict[str, Any]:
        """The QR to store; its issue time changes only when WhatsApp refreshed the code."""
        fields: dict[str, Any] = {"qr_raw": code}
        if code != self._qr:
            self._qr = code
            fields["qr_issued_at"] = timezone.now()
        return fields

    def _check_timeouts(self) -> None:
        session = (
            Session.objects.filter(pk=self.session_id)
            .only("status", "status_changed_at", "last_activity_at", "desired_state", "lease_token")
            .first()
        )
        if session is None or session.desired_state != DesiredState.RUNNING:
            self.request_stop("stop" if session else "delete")
            return
        session_fence_check(session, self.lease_token)  # another node took it over: StaleOwner
        now = timezone.now()
        if (
            session.status == SessionStatus.QR
            and session.status_changed_at
            and (now - session.status_changed_at).total_seconds() > settings.QR_TIMEOUT_SECONDS
        ):
            self._stop_for(
                f"No scan within {settings.QR_TIMEOUT_SECONDS}s; start the session again for a new QR."
            )
        elif (
            settings.IDLE_TIMEOUT_SECONDS
            and session.status == SessionStatus.CONNECTED
            and session.last_activity_at
            and (now - session.last_activity_at).total_seconds() > settings.IDLE_TIMEOUT_SECONDS
        ):
            self._stop_for(f"No activity for {settings.IDLE_TIMEOUT_SECONDS}s (IDLE_TIMEOUT_SECONDS).")

    def _stop_for(self, reason: str) -> None:
        logger.info(
            "Stopping session %s: %s", self.session_id, reason, extra={"session_id": str(self.session_id)}
        )
        Session.objects.filter(pk=self.session_id).update(
            desired_state=DesiredState.STOPPED, last_error=reason
        )
        self.stop_reason = "stop"
        self._stop_message = reason
        self.stop_event.set()
