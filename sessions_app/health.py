"""The engine's readiness check for `/ready` (registered in SessionsConfig.ready())."""

from django.conf import settings

from sessions_app.engine.nodes import live_nodes
from yesapp.health import ReadinessCheck


def check_engine() -> str | None:
    if not settings.READY_REQUIRES_ENGINE:
        return None
    try:
        if not live_nodes():
            return "engine: no engine worker is alive (start one with `make run` or the worker container)"
    except Exception as exc:
        return f"engine: {exc}"
    return None


ENGINE_READINESS = ReadinessCheck(
    "engine", check_engine, public_failure="engine: no engine worker answers", reads_redis=True
)
