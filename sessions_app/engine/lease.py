"""Session leases: one engine node owns a session at a time, through a Redis key with a TTL.

The owner renews the lease several times per TTL (`lease_renew_interval`); if the node dies
the key expires and another node (or the restarted one) takes the session over, woken for the
moment it expires (`leases_expire_in`) rather than at its next scan. Renew and release only act
when the key still names this node, so a node that lost its lease can never steal it back.
"""

import logging
import os
from pathlib import Path

from django.conf import settings

from yesapp.file_storage import write_whole
from yesapp.redis import get_redis

logger = logging.getLogger(__name__)

LEASE_KEY = "yesapp:lease:session:{session_id}"

_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('expire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


def _key(session_id) -> str:
    return LEASE_KEY.format(session_id=session_id)


# Seconds between renewals at most: a node frozen for d seconds (SIGSTOP, a long garbage
# collection, starved of CPU) finds its lease at most d + this old when it wakes.
RENEW_INTERVAL_MAX = 1.0


def lease_renew_interval() -> float:
    """Seconds between renewals: every second (at least three per TTL), so a node frozen for
    up to ENGINE_LEASE_TTL minus this keeps its sessions, and one late or lost renewal never
    lets a live node's lease expire. Each renewal is one small Redis call per session."""
    return min(RENEW_INTERVAL_MAX, settings.ENGINE_LEASE_TTL / 3)


def lease_acquire(*, session_id, node: str) -> bool:
    return bool(get_redis().set(_key(session_id), node, nx=True, ex=settings.ENGINE_LEASE_TTL))


def lease_renew(*, session_id, node: str) -> bool:
    return bool(get_redis().eval(_RENEW, 1, _key(session_id), node, settings.ENGINE_LEASE_TTL))


def lease_release(*, session_id, node: str) -> bool:
    return bool(get_redis().eval(_RELEASE, 1, _key(session_id), node))


def lease_owner(session_id) -> str | None:
    value = get_redis().get(_key(session_id))
    return value.decode() if value else None


def leases_expire_in(session_ids) -> dict[str, float]:
    """Seconds until each held lease of `session_ids` expires (free ones are left out)."""
    session_ids = [str(session_id) for session_id in session_ids]
    if not session_ids:
        return {}
    pipe = get_redis().pipeline(transaction=False)
    for session_id in session_ids:
        pipe.pttl(_key(session_id))
    return {
        session_id: ms / 1000
        for session_id, ms in zip(session_ids, pipe.execute(), strict=True)
        if ms is not None and ms >= 0
    }


def lease_file_for(session_id, node: str) -> Path:
    """Where `node` writes when its lease on the session runs out, for the browser's fence
    (engine/bin/fence.py). One file a node: two nodes sharing a disk never extend each other's."""
    return Path(settings.SESSIONS_DIR) / str(session_id) / f"lease-until.{node.replace(os.sep, '_')}"


def publish_lease_until(session_id, node: str, until: float) -> None:
    """Tells the fence of the session's browser that the lease holds until `until` (unix time).
    Written whole; a failed write only lets the fence kill the browser early."""
    path = lease_file_for(session_id, node)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_whole(path, f"{until:.3f}\n".encode())
    except OSError as exc:
        logger.warning("Could not write %s: %s", path, exc, extra={"session_id": str(session_id)})
