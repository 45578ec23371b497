"""Liveness (`/health`) and readiness (`/ready`) probes. Neither needs an API key."""

import logging

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from yesapp.redis import get_redis

logger = logging.getLogger(__name__)


def check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any driver error means "not ready"
        return f"database: {exc}"
    return None


def check_redis() -> str | None:
    try:
        get_redis().ping()
    except Exception as exc:
        return f"redis: {exc}"
    return None


def check_engine() -> str | None:
    if not settings.READY_REQUIRES_ENGINE:
        return None
    from sessions_app.engine.nodes import live_nodes

    try:
        if not live_nodes():
            return "engine: no engine worker is alive (start one with `make run` or the worker container)"
    except Exception as exc:
        return f"engine: {exc}"
    return None


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def ready(request: HttpRequest) -> JsonResponse:
    checks = {"database": check_database(), "redis": check_redis()}
    # The engine check reads Redis; without Redis its answer would only repeat that failure.
    checks["engine"] = check_engine() if checks["redis"] is None else "engine: unknown while Redis is down"
    failed = {name: error for name, error in checks.items() if error}
    if failed:
        logger.warning("Not ready: %s", "; ".join(failed.values()))
        return JsonResponse(
            {"status": "unavailable", "checks": {n: (failed.get(n) or "ok") for n in checks}}, status=503
        )
    return JsonResponse({"status": "ok", "checks": {n: "ok" for n in checks}})
