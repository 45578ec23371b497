"""The one Redis client factory, so every connection has the same bounded timeouts."""

from functools import cache

import redis
from django.conf import settings


def get_redis() -> redis.Redis:
    """The shared client for REDIS_URL (one per URL, so a changed setting takes effect)."""
    return _client(settings.REDIS_URL, settings.REDIS_SOCKET_TIMEOUT)


@cache
def _client(url: str, timeout: float) -> redis.Redis:
    return redis.Redis.from_url(
        url, socket_timeout=timeout, socket_connect_timeout=timeout, health_check_interval=30
    )
