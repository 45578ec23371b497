"""One reader of the event log per web worker process, shared by every open stream.

Without it, each open stream would hold a Redis subscription of its own and query the
database on every notice: 500 streams, 500 connections to Redis and 500 queries per event.
The hub subscribes once, reads each new entry once (with its SSE text formatted once) and
hands it to every open stream; each stream still applies its own key scope and filters
(events/stream.py), and still reads the log itself on connect, on reconnect and when it fell
too far behind, so the hub is only the live part.

Ordering, and why nothing is lost: a stream joins the hub before its catch-up read. The hub
fixes its position (the log's end) before the first stream joins, and a joining stream is
added under the same lock the hub reads under, so every entry after the hub's position at
join time reaches the stream's queue, and every entry up to it is committed and in the
stream's own catch-up read. The stream drops the entries both gave it by id.
"""

import asyncio
import contextvars
import logging
import weakref
from collections import deque
from dataclasses import dataclass

import redis
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connections

from events.broadcast import async_redis, channel
from events.interest import interest_mark
from events.models import Event
from events.selectors import event_log_end

logger = logging.getLogger(__name__)

# Entries read per query; the hub reads pages of this size until it has caught up.
BATCH = 200
# While Redis is unreachable, how often the hub looks at the log instead of waiting for notices.
POLL_WITHOUT_REDIS = 1.0
# Entries a stream may have waiting (its client reads slowly) before it stops queueing and
# reads its gap from the log instead: a slow client costs the database, not unbounded memory.
MAX_BACKLOG = 1000


@dataclass(frozen=True, slots=True)
class LiveEntry:
    id: int
    name: str
    session_id: str
    sse: str  # the whole SSE event, `id:` to the blank line, shared by every stream


def sse_event(entry: Event) -> str:
    # The body is compact JSON (no newlines), so it is one `data:` line.
    return f"id: {entry.id}\nevent: {entry.name}\ndata: {entry.body}\n\n"


class Subscriber:
    """One open stream's inbox: entries the hub read, oldest first."""

    __slots__ = ("entries", "interests", "overflowed", "_wake")

    def __init__(self, interests: frozenset[tuple[str, str]] = frozenset()) -> None:
        self.entries: deque[LiveEntry] = deque()
        # The opt-in events it asked for, marked in Redis while it is open (events/interest.py).
        self.interests = interests
        self.overflowed = False
        self._wake = asyncio.Event()

    def offer(self, batch: list[LiveEntry]) -> None:
        if self.overflowed:
            return
        if len(self.entries) + len(batch) > MAX_BACKLOG:
            self.overflowed = True
            self.entries.clear()
        else:
            self.entries.extend(batch)
        self._wake.set()

    async def take(self, timeout: float) -> list[LiveEntry] | None:
        """What is waiting (possibly nothing, when it overflowed), or None after `timeout`."""
        if not self.entries and not self.overflowed:
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout)
            except TimeoutError:
                return None
        batch = list(self.entries)
        self.entries.clear()
        return batch


def _read_after(position: int) -> list[LiveEntry]:
    try:
        rows = Event.objects.filter(id__gt=position).order_by("id").only("id", "name", "session_id", "body")
        return [LiveEntry(e.id, e.name, str(e.session_id), sse_event(e)) for e in rows[:BATCH]]
    finally:
        connections.close_all()  # this runs in a pool thread: leave no connection behind


def _log_end() -> int:
    try:
        return event_log_end()
    finally:
        connections.close_all()


class EventHub:
    """Follows the log for the open streams of one event loop (one per web worker process)."""

    def __init__(self) -> None:
        self.subscribers: set[Subscriber] = set()
        # The id of the last entry handed out; None while no stream is open (nothing is read then).
        self.position: int | None = None
        self._lock = asyncio.Lock()
        self._task: asyncio.Task | None = None
        self._listening: asyncio.Future | None = None
        self._marked_at = 0.0

    async def join(self, interests: frozenset[tuple[str, str]] = frozenset()) -> Subscriber:
        if self._task is None or self._task.done():  # done: only if it could not even start
            self._listening = asyncio.get_running_loop().create_future()
            # A context of its own: the hub outlives the request that happened to start it.
            self._task = asyncio.create_task(self._run(), context=contextvars.Context())
        await asyncio.shield(self._listening)  # subscribed before the position is fixed
        subscriber = Subscriber(interests)
        if interests:  # logged from now on, not from the hub's next round
            await sync_to_async(interest_mark, thread_sensitive=False)(interests)
        async with self._lock:
            if self.position is None:
                self.position = await sync_to_async(_log_end, thread_sensitive=False)()
            self.subscribers.add(subscriber)
        return subscriber

    def leave(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)
        if not self.subscribers and not self._lock.locked():
            self.position = None

    async def _run(self) -> None:
        client = async_redis()
        pubsub = client.pubsub()
        await _subscribe(pubsub)
        self._listening.set_result(None)
        while True:
            try:
                await self._wait(pubsub, settings.EVENT_STREAM_HEARTBEAT)
                await self.read_new()
                await self._mark_interests()
            except Exception:  # a hub that died would leave every stream silent
                logger.exception("The event hub failed; it reads the log again in a second")
                await asyncio.sleep(POLL_WITHOUT_REDIS)

    async def read_new(self) -> None:
        """Reads what the log has after the position and hands it to every open stream."""
        async with self._lock:
            while self.subscribers and self.position is not None:
                batch = await sync_to_async(_read_after, thread_sensitive=False)(self.position)
                if batch:
                    self.position = batch[-1].id
                    for subscriber in self.subscribers:
                        subscriber.offer(batch)
                if len(batch) < BATCH:
                    break
            if not self.subscribers:
                self.position = None

    async def _mark_interests(self) -> None:
        """Every heartbeat, the opt-in events the open streams ask for, marked again."""
        now = asyncio.get_running_loop().time()
        if now - self._marked_at < settings.EVENT_STREAM_HEARTBEAT:
            return
        self._marked_at = now
        interests = set().union(*(subscriber.interests for subscriber in self.subscribers))
        if interests:
            await sync_to_async(interest_mark, thread_sensitive=False)(interests)

    async def _wait(self, pubsub, timeout: float) -> None:
        """Returns at the first notice of an entry past the position, or after `timeout`
        (after a quiet heartbeat the log is read anyway, so a lost notice costs one heartbeat)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (left := deadline - loop.time()) > 0:
            try:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=left)
            except (redis.RedisError, OSError, RuntimeError) as exc:
                # RuntimeError: never subscribed, Redis was down when the hub started.
                logger.warning("The event hub lost its Redis subscription (%s); polling the log", exc)
                await asyncio.sleep(min(left, POLL_WITHOUT_REDIS))
                await _subscribe(pubsub)
                return
            if message is not None and self.subscribers:
                return


async def _subscribe(pubsub) -> None:
    try:
        await pubsub.subscribe(channel())
    except (redis.RedisError, OSError):
        pass  # the next wait polls again


_hubs: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, EventHub]" = weakref.WeakKeyDictionary()


def event_hub() -> EventHub:
    """The hub of the running event loop: one per web worker process under uvicorn."""
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None:
        hub = _hubs[loop] = EventHub()
    return hub
