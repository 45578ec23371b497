"""Liveness (`/health`) and readiness (`/ready`) probes. Neither needs an API key."""

import logging

from django.conf import settings
from django.db import connection
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

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


_ReadySerializer = inline_serializer(
    "Readiness",
    {
        "status": serializers.CharField(help_text="`ok` or `unavailable`."),
        "checks": serializers.DictField(
            child=serializers.CharField(), help_text="`ok`, or why the check failed, per dependency."
        ),
    },
)


class _ProbeView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]


@method_decorator(never_cache, name="dispatch")
class HealthView(_ProbeView):
    @extend_schema(
        tags=["Health"],
        operation_id="health",
        summary="Liveness: is the web process up?",
        description="Always 200 while the web process answers. Checks nothing else; see `/ready`.",
        auth=[],
        responses={
            200: OpenApiResponse(
                inline_serializer("Health", {"status": serializers.CharField()}),
                examples=[OpenApiExample("Up", value={"status": "ok"})],
            )
        },
    )
    def get(self, request: Request) -> Response:
        return Response({"status": "ok"})


@method_decorator(never_cache, name="dispatch")
class ReadyView(_ProbeView):
    @extend_schema(
        tags=["Health"],
        operation_id="ready",
        summary="Readiness: can this server do its work?",
        description=(
            "200 when the database and Redis answer and at least one engine worker is alive; "
            "503 otherwise, naming the check that failed. Set `READY_REQUIRES_ENGINE=false` "
            "for a web-only deployment."
        ),
        auth=[],
        responses={
            200: OpenApiResponse(
                _ReadySerializer,
                examples=[
                    OpenApiExample(
                        "Ready",
                        value={"status": "ok", "checks": {"database": "ok", "redis": "ok", "engine": "ok"}},
                    )
                ],
            ),
            503: OpenApiResponse(
                _ReadySerializer,
                examples=[
                    OpenApiExample(
                        "Redis down",
                        value={
                            "status": "unavailable",
                            "checks": {
                                "database": "ok",
                                "redis": "redis: Error 111 connecting to 127.0.0.1:6379. Connection refused.",
                                "engine": "engine: unknown while Redis is down",
                            },
                        },
                        status_codes=["503"],
                    )
                ],
            ),
        },
    )
    def get(self, request: Request) -> Response:
        checks = {"database": check_database(), "redis": check_redis()}
        # The engine check reads Redis; without Redis its answer would only repeat that failure.
        checks["engine"] = (
            check_engine() if checks["redis"] is None else "engine: unknown while Redis is down"
        )
        failed = {name: error for name, error in checks.items() if error}
        if failed:
            logger.warning("Not ready: %s", "; ".join(failed.values()))
            return Response(
                {"status": "unavailable", "checks": {n: (failed.get(n) or "ok") for n in checks}}, status=503
            )
        return Response({"status": "ok", "checks": {n: "ok" for n in checks}})


health = HealthView.as_view()
ready = ReadyView.as_view()
