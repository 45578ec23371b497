"""Opt-in events (`chat.presence`: a contact typing, many times a minute) are logged only while
someone listens for them, so a busy session does not fill the log, and every stream's hub,
with entries nobody receives.

Who listens:
- a webhook that names the event: the webhooks app says so with a check it registers in its
  `AppConfig.ready()` (`interest_check_register`), since the event log cannot import it;
- an open stream that names it in `types`: while one is open, its web worker's hub marks the
  interest in Redis, again every heartbeat; the mark expires three heartbeats after the last
  stream closed (or its worker died).

Streams, `GET /api/v1/events` and webhooks alike carry opt-in events only when they name them.
When Redis cannot say, the event is logged: better an entry nobody reads than a lost one.
"""

import logging
from collections.abc import Callable, Iterable
from typing import Any

import redis
from django.conf import settings

from yesapp.events import OPT_IN_EVENTS
from yesapp.redis import get_redis

logger = logging.getLogger(__name__)

ALL_SESSIONS = "*"

# (event, session_id) -> whether that listener wants it.
InterestCheck = Callable[[str, Any], bool]
_checks: list[InterestCheck] = []


def interest_check_register(check: InterestCheck) -> None:
    """For an app that delivers opt-in events on its own (webhooks): `check(event, session_id)`."""
    if check not in _checks:
        _checks.append(check)


def _mark_key(event: str, session: str) -> str:
    db = get_redis().connection_pool.connection_kwargs.get("db", 0)
    return f"yesapp:events:interest:{db}:{event}:{session}"


def interest_mark(marks: Iterable[tuple[str, str]]) -> None:
    """Marks (event, session id or ALL_SESSIONS) as listened to for three heartbeats."""
    marks = list(marks)
    if not marks:
        return
    ttl = max(1, int(3 * settings.EVENT_STREAM_HEARTBEAT))
    try:
        with get_redis().pipeline(transaction=False) as pipe:
            for event, session in marks:
                pipe.set(_mark_key(event, session), 1, ex=ttl)
            pipe.execute()
    except (redis.RedisError, OSError) as exc:
        logger.warning("Could not mark the open streams' interest in %s: %s", marks, exc)


def anyone_listens(*, event: str, session_id: Any) -> bool:
    """Whether `event` of `session_id` must be logged: always, unless it is opt-in and no
    stream nor webhook asks for it."""
    if event not in OPT_IN_EVENTS:
        return True
    try:
        marked = get_redis().exists(_mark_key(event, ALL_SESSIONS), _mark_key(event, str(session_id)))
    except (redis.RedisError, OSError):
        return True
    return bool(marked) or any(check(event, session_id) for check in _checks)


def opt_in_wanted(names: Iterable[str]) -> tuple[str, ...]:
    """The opt-in events among the names a reader asked for."""
    return tuple(name for name in names if name in OPT_IN_EVENTS)
