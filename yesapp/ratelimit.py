"""A request rate limit per API key: a token bucket in Redis, so one busy key cannot take the
web server's threads from every other key.

Each key's bucket holds up to API_RATE_LIMIT_BURST tokens and refills at API_RATE_LIMIT
tokens a second; a request takes one, and a request that finds the bucket empty gets 429
`rate_limited` with `Retry-After`. One Lua script reads, refills and takes in a single step on
Redis's own clock, so gunicorn's processes and threads share one exact count. (DRF's
SimpleRateThrottle keeps a list of timestamps in the cache and writes it back after reading
it, which is neither a bucket with bursts nor atomic across processes; django-ratelimit and
`limits` count in windows.)

When Redis does not answer, requests are let through (fail open) and a warning is logged at
most once a minute: the limit shares capacity fairly, it is not a security boundary (wrong
keys are limited separately, yesapp.authentication), and refusing every call while Redis is
down would turn a Redis outage into an API outage for writes that need only the database.
"""

from __future__ import annotations

import logging
import math
import threading
import time

import redis
from django.conf import settings
from rest_framework.throttling import BaseThrottle

from yesapp.errors import TooManyRequests
from yesapp.models import ApiKey
from yesapp.redis import get_redis

logger = logging.getLogger(__name__)

_BUCKET_KEY = "yesapp:ratelimit:key:{key_id}"
# KEYS[1]: the bucket. ARGV: rate (tokens a second), burst. Returns {allowed, wait in ms}.
# Tokens are kept as a string so fractions survive; the bucket expires once it would be full.
_TAKE_TOKEN = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local saved = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(saved[1]) or burst
local at = tonumber(saved[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate / 1000)
local allowed, wait = 0, 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait = math.ceil((1 - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
return {allowed, wait}
"""
# A limiter check must cost far less than the request it guards: a short socket timeout, and
# after a failure Redis is left alone for a while instead of being dialled on every request.
REDIS_TIMEOUT = 0.5
RETRY_REDIS_AFTER = 5.0
LOG_EVERY = 60.0


class RateLimited(TooManyRequests):
    code = "rate_limited"


class _Outage:
    """When Redis last failed for the limiter, shared by this process's threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.skip_until = 0.0
        self.logged_at = -math.inf

    def failed(self, exc: Exception) -> None:
        now = time.monotonic()
        with self.lock:
            self.skip_until = now + RETRY_REDIS_AFTER
            should_log = now - self.logged_at >= LOG_EVERY
            if should_log:
                self.logged_at = now
        if should_log:
            logger.warning("The request rate limit is off while Redis does not answer (%s)", exc)

    def active(self) -> bool:
        return time.monotonic() < self.skip_until


_outage = _Outage()


def take_token(*, bucket: str, rate: float, burst: int) -> float:
    """Takes one token from `bucket`; returns 0.0 when allowed, else seconds until one is there.
    Raises redis errors to the caller."""
    client = get_redis(timeout=min(REDIS_TIMEOUT, settings.REDIS_SOCKET_TIMEOUT))
    allowed, wait_ms = client.eval(_TAKE_TOKEN, 1, bucket, rate, burst)
    return 0.0 if int(allowed) else int(wait_ms) / 1000


class ApiKeyRateThrottle(BaseThrottle):
    """DRF throttle: API_RATE_LIMIT requests a second per API key, bursts of API_RATE_LIMIT_BURST.
    Runs after authentication; requests without a key (or signed in to the dashboard) are not
    counted here. Raises RateLimited itself, so the answer carries the `rate_limited` code."""

    def allow_request(self, request, view) -> bool:
        rate, burst = settings.API_RATE_LIMIT, settings.API_RATE_LIMIT_BURST
        key = request.auth
        if rate <= 0 or not isinstance(key, ApiKey) or _outage.active():
            return True
        try:
            wait = take_token(bucket=_BUCKET_KEY.format(key_id=key.pk), rate=rate, burst=max(1, burst))
        except (redis.RedisError, OSError) as exc:
            _outage.failed(exc)
            return True
        if wait <= 0:
            return True
        retry_after = max(1, math.ceil(wait))
        raise RateLimited(
            f"This API key sent more than {rate:g} requests a second (bursts of {burst}); "
            f"retry in {retry_after} s.",
            retry_after=retry_after,
            details={"limit": rate, "burst": burst, "retry_after": retry_after},
        )
