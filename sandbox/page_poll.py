"""The sandbox page's long poll: one request that is answered as soon as there is news for the
page (events, its link, its logout, the connection dropping or coming back), or empty after
SANDBOX_LONG_POLL_SECONDS.

It runs on the web server's event loop (ASGI; views.events returns it as a streaming body), not
in a thread of its own: it waits on the session's Redis channel (page_wakeup.py) and reads the
database only when woken, when a contact's receipt falls due, and every LOOK_EVERY seconds.
Those looks also keep the page counted as present (`page_seen_at`, PAGE_ALIVE_SECONDS) and make
up for a wake-up notice that was lost. Each read closes its database connection, so a waiting
page holds neither a thread nor a connection. Subscribed before the first read: news committed
in between is in that read.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

import redis
from asgiref.sync import sync_to_async
from django.db import IntegrityError, connections
from django.db.models import Min
from django.utils import timezone

from sandbox import selectors
from sandbox.models import Ack, Direction, SandboxMessage
from sandbox.page_wakeup import async_redis, page_wakeup_channel
from sandbox.services.device import PAGE_ALIVE_SECONDS, sandbox_device
from sandbox.services.page import sandbox_page_poll
from sessions_app.models import Session
from yesapp.errors import NotFound, ServiceError

logger = logging.getLogger(__name__)

# Seconds between reads of a waiting poll: well inside PAGE_ALIVE_SECONDS, so the page stays
# "present" (sandbox_page_mode) while it waits.
LOOK_EVERY = PAGE_ALIVE_SECONDS / 2


@dataclass(frozen=True)
class PagePoll:
    session: Session
    after: int
    device_token: str
    link_refs: tuple[str, ...]
    page_offline: bool  # what the page shows now: an answer is news when this changes


def page_poll_reply(poll: PagePoll) -> dict:
    """One look: the page's login state and the events after its cursor, as the page reads them."""
    result = sandbox_page_poll(
        session=poll.session, after=poll.after, device_token=poll.device_token, link_refs=poll.link_refs
    )
    return {
        "auth": result.auth,
        "link": result.link,
        "offline": result.offline,
        "cursor": result.cursor,
        "events": [selectors.page_event(event, me=result.me) for event in result.events],
    }


def _is_news(reply: dict, poll: PagePoll) -> bool:
    logged_out = reply["auth"] == "invalid"
    return bool(reply["events"] or reply["link"] or logged_out or reply["offline"] != poll.page_offline)


def _seconds_to_next_change(session: Session) -> float | None:
    """When the page must look again without a notice: a receipt falling due or the end of an
    outage (only future ones: one already due but not applied, e.g. while offline, waits)."""
    now = timezone.now()
    outbound = SandboxMessage.objects.filter(session=session, direction=Direction.OUTBOUND)
    due = [
        outbound.filter(ack=Ack.SENT, delivered_due_at__gt=now).aggregate(at=Min("delivered_due_at"))["at"],
        outbound.filter(ack=Ack.RECEIVED, read_due_at__gt=now).aggregate(at=Min("read_due_at"))["at"],
        sandbox_device(session=session).offline_until,
    ]
    times = [(at - now).total_seconds() for at in due if at is not None and at > now]
    return min(times) + 0.01 if times else None


def _look(poll: PagePoll) -> tuple[dict, float | None]:
    try:
        reply = page_poll_reply(poll)
        return reply, (None if _is_news(reply, poll) else _seconds_to_next_change(poll.session))
    except IntegrityError as exc:
        # The session was deleted while its page waited: its device row cannot be made again.
        if Session.objects.filter(pk=poll.session.pk).exists():
            raise
        raise NotFound("No session with this id.", details={"sessionId": str(poll.session.pk)}) from exc
    finally:
        connections.close_all()  # a waiting page must not hold a database connection


async def _wait_for_notice(pubsub, timeout: float) -> None:
    """Returns on a notice or after `timeout` seconds; without Redis, after the timeout."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (left := deadline - loop.time()) > 0:
        try:
            if await pubsub.get_message(ignore_subscribe_messages=True, timeout=left):
                return
        except (redis.RedisError, OSError, RuntimeError):
            # RuntimeError: never subscribed (Redis was down): the periodic look is the fallback.
            await asyncio.sleep(left)
            return


async def page_long_poll(poll: PagePoll, *, seconds: float) -> AsyncIterator[str]:
    """The JSON answer of one long poll, as the single chunk of a streaming response."""
    client = async_redis()
    pubsub = client.pubsub()
    try:
        try:
            await pubsub.subscribe(page_wakeup_channel(poll.session.pk))
        except (redis.RedisError, OSError) as exc:
            logger.info("Sandbox long poll without Redis notices (%s): looking every %ss", exc, LOOK_EVERY)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while True:
            try:
                # Not thread-sensitive: a shared pool thread for the look, none kept for the wait.
                reply, change_in = await sync_to_async(_look, thread_sensitive=False)(poll)
            except ServiceError as exc:
                yield json.dumps({"error": {"code": exc.code, "message": exc.message}})
                return
            left = deadline - loop.time()
            if _is_news(reply, poll) or left <= 0:
                yield json.dumps(reply)
                return
            if change_in is not None:
                left = min(left, change_in)
            await _wait_for_notice(pubsub, min(left, LOOK_EVERY))
    finally:
        await pubsub.aclose()
        await client.aclose()
