"""How open streams hear of new entries: one Redis pub/sub channel, published to after the
entry's transaction commits.

A notice only wakes streams up; they read what is new from the log itself, so a notice that
is lost (Redis down, a publish that failed) delays a stream until its next heartbeat, when it
looks at the log anyway, and loses nothing.
"""

import json
import logging

import redis
from django.conf import settings

from events.models import Event
from yesapp.redis import get_redis

logger = logging.getLogger(__name__)


def channel() -> str:
    """`yesapp:events:<db>`: installs that share a Redis server on different databases don't
    wake each other's streams (pub/sub channels are server-wide)."""
    return f"yesapp:events:{get_redis().connection_pool.connection_kwargs.get('db', 0)}"


def event_announce(entry: Event) -> None:
    """Publishes `{"id", "name", "sessionId"}` of a committed entry, so a stream whose filters
    leave it out need not read the log for it."""
    notice = json.dumps({"id": entry.id, "name": entry.name, "sessionId": str(entry.session_id)})
    try:
        get_redis().publish(channel(), notice)
    except (redis.RedisError, OSError) as exc:
        logger.warning("Could not announce event %s to open streams: %s", entry.id, exc)


def async_redis():
    """A client of redis-py's asyncio API for one stream's subscription."""
    import redis.asyncio

    return redis.asyncio.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=settings.REDIS_SOCKET_TIMEOUT,
        health_check_interval=30,
    )
