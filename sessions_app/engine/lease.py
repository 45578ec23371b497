"""Session leases: one engine node owns a session at a time, through a Redis key with a TTL.

The owner renews the lease on every heartbeat; if the node dies the key expires and another
node (or the restarted one) takes the session over. Renew and release only act when the
key still names this node, so a node that lost its lease can never steal it back.
"""

from django.conf import settings

from yesapp.redis import get_redis

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


def lease_acquire(*, session_id, node: str) -> bool:
    return bool(get_redis().set(_key(session_id), node, nx=True, ex=settings.ENGINE_LEASE_TTL))


def lease_renew(*, session_id, node: str) -> bool:
    return bool(get_redis().eval(_RENEW, 1, _key(session_id), node, settings.ENGINE_LEASE_TTL))


def lease_release(*, session_id, node: str) -> bool:
    return bool(get_redis().eval(_RELEASE, 1, _key(session_id), node))


def lease_owner(session_id) -> str | None:
    value = get_redis().get(_key(session_id))
    return value.decode() if value else None
