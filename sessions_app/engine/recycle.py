"""Recycling a session's browser that grew too big: a restart on the same profile, at a quiet
moment, that the session does not notice.

WhatsApp Web keeps what it has seen, and a browser grows with the hours whatever we do: above
ENGINE_SESSION_MEMORY_MAX its node (host.report_memory) asks the actor to recycle. The actor
does it between two turns of its loop, so no send is in flight, and only once a last drain of
the page comes back empty: that drain acknowledged every event the actor stored, and nothing is
waiting in the page, so closing it loses nothing (the page's own cursor on WhatsApp's side,
the sandbox's `delivered_cursor`, gives a new page anything it had not taken yet). Nothing is
stored twice either: what was stored was acknowledged, and storage is idempotent anyway. A
catch-up after the restart (WPP.chat.getMessages, deduplicated) covers a message that reached
the page in the last instant. The session stays `connected` throughout (no status change, no
webhook); the recycle is one entry in its history, counted by `yesapp_engine_recycles`.

A mixin of `SessionActor` (actor.py), run in the actor's thread except `request_recycle`.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from django.conf import settings

from sessions_app.engine.base import Engine, EngineCrashed, EngineError
from sessions_app.models import SessionStatus

if TYPE_CHECKING:
    import queue
    import threading

    from sessions_app.engine.event_feed import EventFeed

logger = logging.getLogger("sessions_app.engine.actor")

# The reason recorded in the session's history (and counted by yesapp_engine_recycles).
RECYCLE_REASON = "browser recycled"
# A quiet moment has no send due within this many seconds...
QUIET_SEND_MARGIN = 2.0
# ...but a session never quiet (a long queue under its rate limit) is recycled anyway, between
# two turns, after this long: its sends resume where they were (Message.pacing).
QUIET_WAIT_MAX = 120.0
# A fresh browser above the cap (a cap set too low) is not recycled again before this long.
RECYCLE_MIN_INTERVAL = 600.0


class RecycleBrowser(Exception):
    """Raised between two turns to restart the browser on its profile (recycle)."""


class ActorRecycle:
    """Part of SessionActor: when and how a browser over the memory cap is restarted."""

    session_id: object
    status: str
    commands: queue.Queue
    stop_event: threading.Event
    feed: EventFeed
    _wake: bool
    _send_at: float | None
    _catch_up_due: bool
    _state_due: bool
    engine: Engine | None
    _recycle_asked_at: float | None = None
    _recycle_reason: str = ""
    _recycling: bool = False
    _recycled_at: float | None = None
    recycles: int = 0

    def memory_pids(self) -> list[int]:
        engine = self.engine
        return engine.memory_pids() if engine else []

    def js_heap(self) -> tuple[int, int] | None:
        engine = self.engine
        return engine.js_heap() if engine else None

    def request_recycle(self, reason: str) -> bool:
        """Asks for a recycle (from the host's thread); False when one is pending or too recent."""
        now = time.monotonic()
        if self._recycle_asked_at is not None or self._recycling:
            return False
        if self._recycled_at is not None and now - self._recycled_at < RECYCLE_MIN_INTERVAL:
            return False
        self._recycle_reason = reason
        self._recycle_asked_at = now
        self.feed.ring()
        return True

    def _recycle_if_quiet(self, engine: Engine, busy: bool) -> None:
        """At the end of a turn: raises RecycleBrowser when a recycle is asked and the moment is
        quiet; a last drain with events in it has them handled, and the recycle waits a turn."""
        asked = self._recycle_asked_at
        if asked is None or self.status != SessionStatus.CONNECTED:
            return
        now = time.monotonic()
        if now - asked < QUIET_WAIT_MAX:
            send_soon = self._send_at is not None and self._send_at - now < QUIET_SEND_MARGIN
            if busy or self._wake or send_soon or not self.commands.empty():
                return
        events = engine.drain_events(0)  # acknowledges all that was stored
        if events:
            self._handle_events(engine, events)
            return
        self._recycle_asked_at = None
        self._recycled_at = time.monotonic()
        self._recycling = True  # read (and reset) by _run_browser as it starts the new browser
        raise RecycleBrowser()

    def _recycled(self, engine: Engine) -> None:
        """After the new browser started: waits for the page to be linked and ready (it reloads
        the chats first), records the recycle and catches up."""
        self.recycles += 1
        ready = False
        deadline = time.monotonic() + settings.ENGINE_START_TIMEOUT
        while time.monotonic() < deadline and not self.stop_event.is_set():
            try:
                state = engine.state()
                ready = state.is_ready
                if ready or state.qr:  # a QR: the login is gone, _sync_state says so
                    break
            except EngineCrashed:
                raise
            except EngineError as exc:
                logger.info("Session %s: reading the state after a recycle: %s", self.session_id, exc)
            time.sleep(0.2)
        # Recorded as it stands; a page not ready is then for _sync_state to tell.
        status = SessionStatus.CONNECTED if ready else self.status
        self._set(status, f"{RECYCLE_REASON}: {self._recycle_reason}", record_same=True)
        self._catch_up_due = self._state_due = self._wake = True
        logger.info(
            "Session %s: %s (%s)",
            self.session_id,
            RECYCLE_REASON,
            self._recycle_reason,
            extra={"session_id": str(self.session_id)},
        )
