"""How a waiting sandbox page hears that there is news for it: a Redis pub/sub channel per
session, published to after the transaction that made the news commits.

A notice only wakes the page's long poll (page_poll.py), which then reads the database; a lost
notice (Redis down, a publish that failed) delays the page until the poll's next look, at most
page_poll.LOOK_EVERY seconds, and loses nothing.
"""

from __future__ import annotations

import logging
from functools import partial

import redis
from django.conf import settings
from django.db import transaction

from yesapp.redis import get_redis

logger = logging.getLogger(__name__)


def page_wakeup_channel(session_id) -> str:
    """Per session and Redis database: installs sharing a Redis server don't wake each other."""
    db = get_redis().connection_pool.connection_kwargs.get("db", 0)
    return f"yesapp:sandbox-page:{db}:{session_id}"


def page_wake(session_id) -> None:
    try:
        get_redis().publish(page_wakeup_channel(session_id), "1")
    except (redis.RedisError, OSError) as exc:
        logger.info("Could not wake the sandbox page of %s (it looks again soon): %s", session_id, exc)


def page_wake_on_commit(session_id) -> None:
    """Wakes the page once the current transaction commits (at once outside one)."""
    transaction.on_commit(partial(page_wake, session_id))


def async_redis():
    """A client of redis-py's asyncio API for one waiting poll's subscription."""
    import redis.asyncio

    return redis.asyncio.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=settings.REDIS_SOCKET_TIMEOUT,
        health_check_interval=30,
    )
