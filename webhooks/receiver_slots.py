"""A slow receiver's share of the workers.

A lane (one session's deliveries to one endpoint) holds a worker while it sends. Many sessions
pointing at one receiver that answers slowly (or times out) would hold every worker, and the
other receivers would wait. So a receiver whose last batch had an attempt that took at least
WEBHOOK_SLOW_RECEIVER_SECONDS is marked slow for a minute (a fast batch clears the mark), and
while it is slow at most WEBHOOK_SLOW_RECEIVER_SLOTS lanes send to it at once, across every
worker; a lane over the cap is queued again a second later without claiming anything.

The slots are a Redis sorted set of holders scored by when their hold lapses, so a worker that
dies holding one frees it after its claim would have lapsed. Redis unavailable: no cap.
"""

import contextlib
import time
import uuid
from collections.abc import Iterable, Iterator
from urllib.parse import urlsplit

from django.conf import settings
from redis.exceptions import RedisError

from webhooks.policy import AttemptResult
from yesapp.redis import get_redis

SLOW_KEY = "yesapp:webhooks:slow:{origin}"
SLOTS_KEY = "yesapp:webhooks:slots:{origin}"
SLOW_FOR = 60  # seconds a receiver stays slow after a slow batch
# A lane over the cap is looked at again after this many seconds.
RETRY_AFTER = 1.0


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def note_speed(url: str, results: Iterable[AttemptResult]) -> None:
    """Marks the receiver slow when an attempt of the batch was slow, or clears the mark."""
    limit_ms = settings.WEBHOOK_SLOW_RECEIVER_SECONDS * 1000
    results = list(results)
    if not results:
        return
    key = SLOW_KEY.format(origin=origin_of(url))
    with contextlib.suppress(RedisError):
        if any(result.duration_ms >= limit_ms for result in results):
            get_redis().set(key, 1, ex=SLOW_FOR)
        else:
            get_redis().delete(key)


@contextlib.contextmanager
def receiver_slot(url: str, *, hold: float) -> Iterator[bool]:
    """Whether this lane may send to the receiver now: True unless the receiver is slow and
    its slots are all taken. A slot taken is held for the block, for at most `hold` seconds."""
    origin = origin_of(url)
    key, token = SLOTS_KEY.format(origin=origin), uuid.uuid4().hex
    holders = _take(origin, key, token, hold=hold)
    try:
        # Two lanes that arrive together may both see the other and both wait: never too many.
        yield holders <= settings.WEBHOOK_SLOW_RECEIVER_SLOTS
    finally:
        if holders:
            with contextlib.suppress(RedisError):
                get_redis().zrem(key, token)


def _take(origin: str, key: str, token: str, *, hold: float) -> int:
    """How many lanes hold a slot of the receiver with this one; 0 when it is not slow (or
    Redis cannot tell) and no slot was taken."""
    redis = get_redis()
    try:
        if not redis.exists(SLOW_KEY.format(origin=origin)):
            return 0
        now = time.time()
        with redis.pipeline() as pipe:
            pipe.zremrangebyscore(key, "-inf", now)  # holders that died
            pipe.zadd(key, {token: now + hold})
            pipe.zcard(key)
            pipe.expire(key, int(hold) + 1)
            return pipe.execute()[2]
    except RedisError:
        return 0
