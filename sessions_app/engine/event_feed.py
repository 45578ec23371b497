"""When a session actor drains its page: at once when the page rang (page_push.py), otherwise
every ENGINE_PUSH_POLL seconds as a fallback; in between the actor's thread sleeps.

The actor has one bell (a threading.Event) that everything which needs its attention rings: the
page's push (from the push reader thread), a nudge to send, a command, a stop. Whoever rings
sets their own flag first (`_pushed`, the actor's `_wake`, the command queue, the stop event),
so clearing the bell after a wait never loses the reason: the actor reads the flags next.

The drain itself is unchanged (execute_async_script, acknowledged after the commit), so a push
that never arrives costs latency, never an event.
"""

from __future__ import annotations

import threading
import time

from django.conf import settings

from sessions_app.engine.base import Engine, PageEvent


class EventFeed:
    def __init__(self) -> None:
        self.bell = threading.Event()
        self._pushed = False
        # Drain without waiting: at the start, and after a drain that found events (the next one
        # acknowledges them and takes what came meanwhile).
        self._more = True
        self._last_drain = 0.0

    def ring(self) -> None:
        """Something besides the page needs the actor (a nudge, a command, a stop)."""
        self.bell.set()

    def push(self) -> None:
        """The page queued events (called from the push reader thread)."""
        self._pushed = True
        self.bell.set()

    def restart(self) -> None:
        """A new browser: drain at once."""
        self._more = True

    def _drain_due(self, now: float) -> bool:
        return self._more or self._pushed or now - self._last_drain >= settings.ENGINE_PUSH_POLL

    def next_events(self, engine: Engine, *, max_wait: float) -> list[PageEvent]:
        """Waits up to `max_wait` for a push (or the bell), then drains if a push came or the
        fallback poll is due; [] when the actor was woken for something else."""
        now = time.monotonic()
        if not self._drain_due(now):
            poll_in = self._last_drain + settings.ENGINE_PUSH_POLL - now
            self.bell.wait(max(0.0, min(max_wait, poll_in)))
        self.bell.clear()
        if not self._drain_due(time.monotonic()):
            return []
        self._pushed = False
        events = engine.drain_events(0)
        self._last_drain = time.monotonic()
        self._more = bool(events)
        return events
