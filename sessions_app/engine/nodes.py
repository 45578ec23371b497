"""Engine nodes announce themselves in Redis with a heartbeat key that expires."""

from django.conf import settings

from yesapp.redis import get_redis

NODE_KEY = "yesapp:engine:node:{name}"


def node_heartbeat(name: str) -> None:
    get_redis().set(NODE_KEY.format(name=name), "1", ex=settings.ENGINE_LEASE_TTL)


def node_gone(name: str) -> None:
    get_redis().delete(NODE_KEY.format(name=name))


def live_nodes() -> list[str]:
    prefix = NODE_KEY.format(name="")
    return sorted(key.decode()[len(prefix) :] for key in get_redis().scan_iter(match=prefix + "*", count=100))
