"""The one Redis client factory, so every connection has the same bounded timeouts."""

from functools import cache

import redis
from django.conf import settings


def get_redis(*, timeout: float | None = None) -> redis.Redis:
    """The shared client for REDIS_URL (one per URL, so a changed setting takes effect).
    `timeout` (seconds) for a caller that must give up sooner than REDIS_SOCKET_TIMEOUT."""
    return _client(settings.REDIS_URL, timeout or settings.REDIS_SOCKET_TIMEOUT)


@cache
def _client(url: str, timeout: float) -> redis.Redis:
    return redis.Redis.from_url(
        url, socket_timeout=timeout, socket_connect_timeout=timeout, health_check_interval=30
    )
