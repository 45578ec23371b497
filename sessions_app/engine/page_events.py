"""How a session actor handles page events: each stored, then acknowledged; never dropped.

A mixin of `SessionActor` (actor.py), run in the actor's thread. The engine's own events
(login state, QR, logout) are handled here; every other event goes to the handler an app
registered for its name (registry.py). An event that raises is quarantined with its error
(`FailedEvent`); a transient database error is raised instead, so the event stays in the page
until the database is back.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.db import DatabaseError

from sessions_app import quarantine
from sessions_app.engine import registry
from sessions_app.engine.base import Engine, EngineCrashed, EngineError, PageEvent
from sessions_app.models import SessionStatus
from yesapp.db_retry import is_transient_db_error

logger = logging.getLogger(__name__)

# Seconds between looks for quarantined events a user asked to retry (a nudge looks at once).
FAILED_RETRY_INTERVAL = 5.0


class ActorPageEvents:
    def _handle_events(self, engine: Engine, events: list[PageEvent]) -> None:
        """Handles each event on its own and acknowledges it once stored or quarantined.
        A transient database error is raised (and waited out by _serve_through_db_blips, the
        browser kept open): the event and those after it stay in the page for the next drain."""
        for event in events:
            self._handle_isolated(engine, event)
            engine.acknowledge(event.seq)
        if events:
            self.last_event = (events[-1].name, time.time())

    def _handle_isolated(self, engine: Engine, event: PageEvent) -> None:
        """Stores the event, or quarantines it with the error it raised."""
        try:
            self._handle_event(engine, event)
            return
        except EngineCrashed:
            raise
        except Exception as exc:
            if isinstance(exc, DatabaseError) and is_transient_db_error(exc):
                raise
            error = f"{type(exc).__name__}: {exc}"
        quarantine.failed_event_record(
            session_id=self.session_id, name=event.name, data=event.data, error=error, page_at_ms=event.at
        )

    def _recover_missed(self, engine: Engine, nudged: bool) -> None:
        """Catches up after a reconnect or a page that dropped events, and runs the retries
        of quarantined events a user asked for."""
        dropped = getattr(engine, "dropped_events", 0)
        if self._catch_up_due or dropped > self._dropped_seen:
            self._dropped_seen = dropped
            self._catch_up(engine)
        now = time.monotonic()
        if nudged or now - self._last_failed_check > FAILED_RETRY_INTERVAL:
            self._last_failed_check = now
            self._retry_failed_events(engine)

    def _catch_up(self, engine: Engine) -> None:
        """Stores what arrived while nobody stored it (WPP.chat.list + WPP.chat.getMessages):
        a browser killed between the page receiving a message and the commit, events dropped
        by a full page queue. Deduplicated by WhatsApp id, with the usual webhooks."""
        self._catch_up_due = False
        since = registry.catch_up_since(self.session_id)
        if since is None:
            return
        try:
            found = engine.recent_messages(
                since=since,
                max_chats=settings.ENGINE_CATCHUP_CHATS,
                per_chat=settings.ENGINE_CATCHUP_MESSAGES,
            )
        except EngineCrashed:
            raise
        except EngineError as exc:
            logger.warning("Session %s: catching up failed: %s", self.session_id, exc)
            return
        self._catch_up_due = True  # until every message is handled (a database blip raises)
        for data in found:
            self._handle_isolated(engine, PageEvent(name="chat.new_message", data=data))
        self._catch_up_due = False
        if found:
            logger.info("Session %s: caught up on %s recent messages", self.session_id, len(found))

    def _retry_failed_events(self, engine: Engine) -> None:
        for failed in quarantine.failed_events_to_retry(session_id=self.session_id):
            event = PageEvent(name=failed.name, data=quarantine.failed_event_data(failed))
            try:
                self._handle_event(engine, event)
            except EngineCrashed:
                raise
            except Exception as exc:
                if isinstance(exc, DatabaseError) and is_transient_db_error(exc):
                    return  # still `retrying`: the next look tries again
                quarantine.failed_event_settle(failed_event=failed, error=f"{type(exc).__name__}: {exc}")
            else:
                quarantine.failed_event_settle(failed_event=failed)

    def _handle_event(self, engine: Engine, event: PageEvent) -> None:
        try:
            if event.name == "conn.auth_code_change":
                if event.data and event.data.get("fullCode"):
                    self._set(
                        SessionStatus.QR, "waiting for a scan", **self._qr_fields(event.data["fullCode"])
                    )
                else:
                    self._state_due = True
            elif event.name == "conn.qrcode_idle":
                engine.refresh_qr()  # keep the QR alive until QR_TIMEOUT_SECONDS
            elif event.name in (
                "conn.authenticated",
                "conn.main_ready",
                "conn.stream_mode_changed",
                "conn.logout",
            ):
                self._state_due = True
                if event.name == "conn.logout":
                    self._set(SessionStatus.QR, "logged out: link the device again", phone="", wid="")
            elif event.name == "bridge.error":
                self._quarantine_unreadable(event)
            elif handler := registry.event_handler(event.name):
                handler(self.session_id, event.data, engine)
        except EngineCrashed:
            raise
        except EngineError as exc:
            logger.warning(
                "Session %s: handling %s failed: %s",
                self.session_id,
                event.name,
                exc,
                extra={"session_id": str(self.session_id)},
            )

    def _quarantine_unreadable(self, event: PageEvent) -> None:
        """An event the bridge could not turn into JSON: kept with what the page could copy."""
        data = event.data if isinstance(event.data, dict) else {}
        quarantine.failed_event_record(
            session_id=self.session_id,
            name=str(data.get("event") or "bridge.error"),
            data=data.get("raw"),
            error=f"The page could not read this event: {data.get('error') or 'unknown error'}",
            page_at_ms=event.at,
        )
