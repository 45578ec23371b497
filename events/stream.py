"""`GET /api/v1/events/stream` as an async generator of Server-Sent Events.

It runs on the web server's event loop (ASGI), not in a thread of its own: it waits on a
Redis pub/sub subscription (events/broadcast.py) and reads the log only when something new
may be there, so an idle stream costs a socket and a few objects. The log is the truth: a
stream subscribes first, then reads from its position, so an entry committed in between is
read rather than missed; a notice is only a reason to read again.
"""

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from uuid import UUID

import redis
from asgiref.sync import sync_to_async
from django.db import connections

from events.broadcast import async_redis, channel
from events.models import Event
from events.selectors import events_for_key
from yesapp.models import ApiKey

logger = logging.getLogger(__name__)

# Entries read per query; a stream far behind catches up in pages of this size.
BATCH = 200
# While Redis is unreachable, how often a stream looks at the log instead of waiting for notices.
POLL_WITHOUT_REDIS = 1.0


@dataclass(frozen=True)
class StreamFilters:
    key: ApiKey
    session_id: UUID | None = None
    names: tuple[str, ...] = field(default=())

    def may_want(self, notice: dict) -> bool:
        """Whether a pub/sub notice can be for this stream (the key's scope is checked by the
        read itself)."""
        if self.session_id is not None and notice.get("sessionId") != str(self.session_id):
            return False
        return not self.names or notice.get("name") in self.names


def sse_event(entry: Event) -> str:
    # The body is compact JSON (no newlines), so it is one `data:` line.
    return f"id: {entry.id}\nevent: {entry.name}\ndata: {entry.body}\n\n"


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


async def _wait_for_notice(pubsub, filters: StreamFilters, timeout: float) -> bool:
    """True as soon as a notice this stream may want arrives, False after `timeout` without.
    Without Redis it polls: True after POLL_WITHOUT_REDIS seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (left := deadline - loop.time()) > 0:
        try:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=left)
        except (redis.RedisError, OSError, RuntimeError) as exc:
            # RuntimeError: never subscribed, Redis was down when the stream opened.
            logger.warning("Event stream lost its Redis subscription (%s); polling the log", exc)
            await asyncio.sleep(min(left, POLL_WITHOUT_REDIS))
            await _resubscribe(pubsub)
            return True
        if message is None:
            continue
        try:
            notice = json.loads(message["data"])
        except (ValueError, TypeError):
            continue
        if filters.may_want(notice):
            return True
    return False


async def _resubscribe(pubsub) -> None:
    try:
        await pubsub.subscribe(channel())
    except (redis.RedisError, OSError):
        pass  # the next wait polls again


async def event_stream(
    *, filters: StreamFilters, after: int, pruned_through: int, heartbeat: float
) -> AsyncIterator[str]:
    """Every entry after `after` that the filters let through, then each new one as it commits;
    a comment every `heartbeat` seconds of quiet. When `after` is below `pruned_through` (the
    log's horizon) only an `error` event, and the end."""
    if 0 < after < pruned_through:
        yield pruned_position_error(after=after, horizon=pruned_through)
        return
    client = async_redis()
    pubsub = client.pubsub()
    try:
        # Subscribed before the first read: an entry committed in between is in that read.
        await _resubscribe(pubsub)
        yield ": stream open\n\n"
        while True:
            entries = await sync_to_async(_read_batch)(filters, after)
            for entry in entries:
                yield sse_event(entry)
                after = entry.id
            if len(entries) == BATCH:
                continue
            # After a quiet heartbeat the log is read anyway, so a lost notice costs one heartbeat.
            if not await _wait_for_notice(pubsub, filters, heartbeat):
                yield ": heartbeat\n\n"
    finally:
        await pubsub.aclose()
        await client.aclose()
