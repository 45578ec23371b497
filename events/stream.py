"""`GET /api/v1/events/stream` as an async generator of Server-Sent Events.

It runs on the web server's event loop (ASGI), not in a thread of its own. A stream reads
the log itself from its position when it opens (and when it fell too far behind), then takes
new entries from its process's hub (events/hub.py), which reads each new entry once for all
open streams; the stream applies its key scope and filters to them. An idle stream costs a
socket and a few objects.
"""

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from uuid import UUID

from asgiref.sync import sync_to_async
from django.db import connections

from events.hub import BATCH, LiveEntry, event_hub, sse_event
from events.interest import ALL_SESSIONS, opt_in_wanted
from events.models import Event
from events.selectors import events_for_key
from sessions_app.selectors import sessions_for_key
from yesapp.events import OPT_IN_EVENTS
from yesapp.models import ApiKey

logger = logging.getLogger(__name__)

# What a quiet stream sends every `heartbeat` seconds: an SSE comment. The blank line ends it,
# so a client's parser dispatches it (and a proxy or the client sees bytes go by).
HEARTBEAT = ": heartbeat\n\n"


@dataclass(frozen=True)
class StreamFilters:
    key: ApiKey
    session_id: UUID | None = None
    names: tuple[str, ...] = field(default=())

    def admits(self, entry: LiveEntry, scope: frozenset[str] | None) -> bool:
        """Whether a live entry is for this stream: `scope` is the sessions the key sees
        (None: all, an admin key)."""
        if scope is not None and entry.session_id not in scope:
            return False
        if self.session_id is not None and entry.session_id != str(self.session_id):
            return False
        return entry.name in self.names if self.names else entry.name not in OPT_IN_EVENTS

    def interests(self, scope: frozenset[str] | None) -> frozenset[tuple[str, str]]:
        """The (opt-in event, session) pairs this stream asks for (events/interest.py)."""
        if self.session_id is not None:
            sessions: Iterable[str] = (str(self.session_id),)
        else:
            sessions = (ALL_SESSIONS,) if scope is None else scope
        return frozenset((name, session) for name in opt_in_wanted(self.names) for session in sessions)


def sse_error(*, code: str, message: str, details: dict) -> str:
    body = json.dumps({"error": {"code": code, "message": message, "details": details}})
    return f"event: error\ndata: {body}\n\n"


def _read_batch(filters: StreamFilters, after: int) -> list[Event]:
    try:
        return list(
            events_for_key(
                key=filters.key, after=after, session_id=filters.session_id, names=filters.names
            ).only("id", "name", "body")[:BATCH]
        )
    finally:
        # Idle streams must not each hold a database connection for their whole life.
        connections.close_all()


def pruned_message(*, after: int, horizon: int) -> str:
    return (
        f"Events after #{after} are partly past the retention (EVENT_RETENTION_DAYS) and were "
        f"deleted. Reload your state from the API, then read on from #{horizon}."
    )


def pruned_position_error(*, after: int, horizon: int) -> str:
    return sse_error(
        code="events_pruned",
        message=pruned_message(after=after, horizon=horizon),
        details={"after": after, "prunedThrough": horizon},
    )


def _key_scope(key: ApiKey) -> frozenset[str] | None:
    """The sessions `key` sees when the stream opens (None: all). A key whose sessions change
    while a stream is open gets the new scope when its client reconnects."""
    try:
        if key.is_admin:
            return None
        return frozenset(str(pk) for pk in sessions_for_key(key=key).values_list("pk", flat=True))
    finally:
        connections.close_all()


async def event_stream(
    *, filters: StreamFilters, after: int, pruned_through: int, heartbeat: float
) -> AsyncIterator[str]:
    """Every entry after `after` that the filters let through, then each new one as it commits;
    a comment every `heartbeat` seconds of quiet. When `after` is below `pruned_through` (the
    log's horizon) only an `error` event, and the end."""
    if 0 < after < pruned_through:
        yield pruned_position_error(after=after, horizon=pruned_through)
        return
    scope = await sync_to_async(_key_scope)(filters.key)
    hub = event_hub()
    # Joined before the first read: an entry committed in between is in that read or the inbox.
    subscriber = await hub.join(interests=filters.interests(scope))
    try:
        yield ": stream open\n\n"
        loop = asyncio.get_running_loop()
        while True:
            subscriber.overflowed = False  # its inbox fills again from here; the read covers the rest
            while len(entries := await sync_to_async(_read_batch)(filters, after)) == BATCH:
                for entry in entries:
                    yield sse_event(entry)
                after = entries[-1].id
            for entry in entries:
                yield sse_event(entry)
                after = entry.id
            last_sent = loop.time()
            while not subscriber.overflowed:
                batch = await subscriber.take(timeout=max(0.0, last_sent + heartbeat - loop.time()))
                if batch is None:
                    yield HEARTBEAT
                    last_sent = loop.time()
                    continue
                for entry in batch:
                    # The inbox may repeat what the read gave: ids say which.
                    if entry.id > after and filters.admits(entry, scope):
                        yield entry.sse
                        last_sent = loop.time()
                    after = max(after, entry.id)
    finally:
        hub.leave(subscriber)
