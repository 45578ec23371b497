"""The session's groups as the page last listed them, kept in Redis for GROUPS_CACHE_SECONDS:
groups change rarely, and a page round trip per GET would cost a browser call each time.
Every change YesApp makes or hears of (group.participant_changed) drops the copy. Redis being
away only means asking the page again."""

from __future__ import annotations

import json
import logging
from uuid import UUID

import redis
from django.conf import settings

from yesapp.redis import get_redis

logger = logging.getLogger(__name__)


def _key(session_id: UUID) -> str:
    return f"yesapp:groups:{session_id}"


def cached_groups(session_id: UUID) -> list[dict] | None:
    if settings.GROUPS_CACHE_SECONDS <= 0:
        return None
    try:
        raw = get_redis().get(_key(session_id))
    except redis.RedisError as exc:
        logger.warning("Groups cache unreadable: %s", exc)
        return None
    return json.loads(raw) if raw else None


def cache_groups(session_id: UUID, groups: list[dict]) -> None:
    if settings.GROUPS_CACHE_SECONDS <= 0:
        return
    try:
        get_redis().set(_key(session_id), json.dumps(groups), ex=settings.GROUPS_CACHE_SECONDS)
    except redis.RedisError as exc:
        logger.warning("Groups cache not written: %s", exc)


def forget_groups(session_id: UUID) -> None:
    try:
        get_redis().delete(_key(session_id))
    except redis.RedisError as exc:
        logger.warning("Groups cache not cleared: %s", exc)
