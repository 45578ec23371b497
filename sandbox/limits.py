"""How fast the sandbox's simulated contacts may write to one session (SANDBOX_INBOUND_PER_MINUTE):
the inbound API is a test tool, but it stores messages and files like real traffic does."""

import logging
import time

import redis
from django.conf import settings

from yesapp.errors import TooManyRequests
from yesapp.redis import get_redis

logger = logging.getLogger(__name__)

_KEY = "yesapp:sandbox:inbound:{session_id}:{minute}"


def sandbox_inbound_rate_check(*, session_id) -> None:
    """Counts one inbound message in the session's current minute; TooManyRequests past the
    limit (0 = no limit). Without Redis nothing is counted: the sandbox keeps working."""
    limit = settings.SANDBOX_INBOUND_PER_MINUTE
    if limit <= 0:
        return
    now = time.time()
    minute = int(now // 60)
    key = _KEY.format(session_id=session_id, minute=minute)
    try:
        pipe = get_redis().pipeline(transaction=True)
        pipe.incr(key)
        pipe.expire(key, 120)
        count, _ = pipe.execute()
    except (redis.RedisError, OSError) as exc:
        logger.warning("Sandbox inbound rate not counted (Redis): %s", exc)
        return
    if count > limit:
        retry_after = max(1, int((minute + 1) * 60 - now) + 1)
        raise TooManyRequests(
            f"The sandbox accepts {limit} inbound messages a minute per session "
            f"(SANDBOX_INBOUND_PER_MINUTE); retry in {retry_after} s.",
            retry_after=retry_after,
            details={"limit": limit},
        )
