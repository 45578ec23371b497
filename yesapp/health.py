"""Liveness (`/health`) and readiness (`/ready`) probes. Neither needs an API key; `/ready`
names a failed check to anyone but shows the raw error (hosts, ports, driver messages) only
to a caller with an API key or a dashboard sign-in. Apps add the checks of what they run
with `register_readiness_check` (the engine's: sessions_app/health.py)."""

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.utils.decorators import method_decorator
from django.utils.module_loading import import_string
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


@dataclass(frozen=True)
class ReadinessCheck:
    """One dependency `/ready` checks. `check` answers None when ready, else why not."""

    name: str
    check: Callable[[], str | None]
    # What an anonymous caller learns when it fails: which check, not why.
    public_failure: str
    # A check that reads Redis: while Redis is down its answer would only repeat that failure.
    reads_redis: bool = False


_readiness_checks: dict[str, ReadinessCheck] = {}


def register_readiness_check(check: ReadinessCheck) -> None:
    """Adds a check to `/ready`, after those registered before it (apps call this from ready())."""
    _readiness_checks[check.name] = check


register_readiness_check(ReadinessCheck("database", check_database, "database: not answering"))
register_readiness_check(ReadinessCheck("redis", check_redis, "redis: not answering"))


def run_readiness_checks() -> dict[str, str | None]:
    answers: dict[str, str | None] = {}
    for item in _readiness_checks.values():
        if item.reads_redis and answers.get("redis"):
            answers[item.name] = f"{item.name}: unknown while Redis is down"
        else:
            answers[item.name] = item.check()
    return answers


_ReadySerializer = inline_serializer(
    "Readiness",
    {
        "status": serializers.CharField(help_text="`ok` or `unavailable`."),
        "checks": serializers.DictField(
            child=serializers.CharField(), help_text="`ok`, or why the check failed, per dependency."
        ),
    },
)


def _caller_may_see_details(request: Request) -> bool:
    """A caller whom READER_AUTHENTICATION_CLASSES recognise: a valid X-API-Key (failures
    count towards the usual limit) or a dashboard sign-in."""
    for authentication in settings.READER_AUTHENTICATION_CLASSES:
        try:
            if import_string(authentication)().authenticate(request):
                return True
        except Exception:  # a wrong or throttled key is simply not authenticated here
            return False
    return False


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
            "503 otherwise, naming the check that failed; the raw error only with an API key "
            "or a dashboard sign-in. Set `READY_REQUIRES_ENGINE=false` for a web-only deployment."
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
                                "redis": "redis: not answering",
                                "engine": "engine: no engine worker answers",
                            },
                        },
                        status_codes=["503"],
                    )
                ],
            ),
        },
    )
    def get(self, request: Request) -> Response:
        checks = run_readiness_checks()
        failed = {name: error for name, error in checks.items() if error}
        if failed:
            logger.warning("Not ready: %s", "; ".join(failed.values()))
            if not _caller_may_see_details(request):
                failed = {name: _readiness_checks[name].public_failure for name in failed}
            return Response(
                {"status": "unavailable", "checks": {n: (failed.get(n) or "ok") for n in checks}}, status=503
            )
        return Response({"status": "ok", "checks": {n: "ok" for n in checks}})


health = HealthView.as_view()
ready = ReadyView.as_view()
