"""`GET /metrics`: Prometheus text format, read from the database (and Redis) at scrape time.

One custom collector answers every scrape from the source of truth, so any gunicorn process
gives the same answer and there is no multiprocess bookkeeping. Off unless METRICS_ENABLED;
with METRICS_TOKEN set it needs `Authorization: Bearer <token>` (docs/DEPLOYMENT.md).

Webhook attempts are counted into monotonic counters kept in Redis: the attempt log itself is
pruned after WEBHOOK_RETENTION_DAYS, and a count that shrinks would look to Prometheus like a
counter reset. Each scrape adds the attempts that finished since the last one (by id, a
little behind real time so that no attempt still being committed is skipped).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Max, Q, Sum
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

from yesapp.errors import error_response
from yesapp.redis import get_redis

logger = logging.getLogger(__name__)

# Upper bounds of the webhook attempt duration histogram, in milliseconds.
WEBHOOK_BUCKETS_MS = (25, 50, 100, 250, 500, 1000, 2500, 5000, 10000)
TALLY_KEY = "yesapp:metrics:webhook_attempts"
TALLY_LOCK_KEY = "yesapp:metrics:webhook_attempts:lock"
# The reason the session actor writes when it restarts a crashed or hung browser.
RESTART_REASON = "browser problem"
CELERY_QUEUES = ("default", "webhooks", "engine")


def _tally_grace() -> timedelta:
    """How far behind the counters run: an attempt's row is written when the attempt ends."""
    return timedelta(seconds=settings.WEBHOOK_TIMEOUT + 10)


def webhook_attempts_tally(redis=None) -> dict[str, int]:
    """Adds the attempts finished since the last scrape to the Redis counters; returns them all.

    Rows are counted by increasing id up to the newest one that started more than a grace
    period ago, so a row inserted (and committed) a moment later with a lower id is not
    skipped. Only one scrape updates at a time (a short Redis lock); the others read.
    """
    from webhooks.models import WebhookDeliveryAttempt

    redis = redis or get_redis()
    if redis.set(TALLY_LOCK_KEY, "1", nx=True, ex=30):
        try:
            last_id = int(redis.hget(TALLY_KEY, "last_id") or 0)
            newer = WebhookDeliveryAttempt.objects.filter(pk__gt=last_id)
            upto = newer.filter(started_at__lte=timezone.now() - _tally_grace()).aggregate(top=Max("pk"))[
                "top"
            ]
            if upto:
                window = newer.filter(pk__lte=upto)
                increments: dict[str, int] = {}
                for row in window.values("outcome").annotate(n=Count("pk")):
                    increments[f"outcome:{row['outcome']}"] = row["n"]
                buckets = window.aggregate(
                    total=Count("pk"),
                    sum_ms=Sum("duration_ms"),
                    **{f"le:{le}": Count("pk", filter=Q(duration_ms__lte=le)) for le in WEBHOOK_BUCKETS_MS},
                )
                increments.update({key: value or 0 for key, value in buckets.items()})
                pipe = redis.pipeline(transaction=True)
                for key, value in increments.items():
                    if value:
                        pipe.hincrby(TALLY_KEY, key, value)
                pipe.hset(TALLY_KEY, "last_id", upto)
                pipe.execute()
        finally:
            redis.delete(TALLY_LOCK_KEY)
    return {key.decode(): int(value) for key, value in redis.hgetall(TALLY_KEY).items()}


class YesAppCollector(Collector):
    """Reads sessions, messages, deliveries and restarts at scrape time."""

    def collect(self) -> Iterator:
        yield from self._sessions()
        yield from self._messages()
        yield from self._webhook_deliveries()
        yield from self._engine_restarts()
        yield from self._contract_broken()
        yield from self._redis_metrics()

    def _sessions(self) -> Iterator:
        from sessions_app.models import Session, SessionStatus

        counts = dict.fromkeys(SessionStatus.values, 0)
        for row in Session.objects.values("status").annotate(n=Count("pk")):
            counts[row["status"]] = row["n"]
        family = GaugeMetricFamily("yesapp_sessions", "Sessions by status.", labels=["status"])
        for status, n in sorted(counts.items()):
            family.add_metric([status], n)
        yield family

    def _messages(self) -> Iterator:
        from messaging.models import BACKLOG_STATUSES, Direction, Message, MessageStatus
        from sessions_app.models import Session

        counts = {(Direction.OUTBOUND.value, status): 0 for status in MessageStatus.values}
        counts.pop((Direction.OUTBOUND.value, MessageStatus.RECEIVED.value))
        counts[(Direction.INBOUND.value, MessageStatus.RECEIVED.value)] = 0
        for row in Message.objects.values("direction", "status").annotate(n=Count("pk")):
            counts[(row["direction"], row["status"])] = row["n"]
        family = GaugeMetricFamily(
            "yesapp_messages",
            "Stored messages by direction and current status.",
            labels=["direction", "status"],
        )
        for (direction, status), n in sorted(counts.items()):
            family.add_metric([direction, status], n)
        yield family

        queue = GaugeMetricFamily(
            "yesapp_session_queue_depth",
            "Outbound messages waiting to be sent (queued or sending), per session.",
            labels=["session_id", "session"],
        )
        sessions = Session.objects.annotate(
            backlog=Count(
                "messages",
                filter=Q(messages__direction=Direction.OUTBOUND, messages__status__in=BACKLOG_STATUSES),
            )
        ).values_list("pk", "name", "backlog")
        for pk, name, backlog in sessions:
            queue.add_metric([str(pk), name], backlog)
        yield queue

    def _webhook_deliveries(self) -> Iterator:
        from webhooks.models import DeliveryStatus, WebhookDelivery

        counts = dict.fromkeys(DeliveryStatus.values, 0)
        for row in WebhookDelivery.objects.values("status").annotate(n=Count("pk")):
            counts[row["status"]] = row["n"]
        family = GaugeMetricFamily(
            "yesapp_webhook_deliveries",
            "Webhook deliveries in the log (kept WEBHOOK_RETENTION_DAYS) by status.",
            labels=["status"],
        )
        for status, n in sorted(counts.items()):
            family.add_metric([status], n)
        yield family

    def _engine_restarts(self) -> Iterator:
        yield _status_events_per_session(
            "yesapp_engine_restarts",
            "Browser restarts after a crash or hang, per session (status events with a browser problem).",
            RESTART_REASON,
        )

    def _contract_broken(self) -> Iterator:
        from sessions_app.engine.wpp_contract import CONTRACT_BROKEN_MARK

        yield _status_events_per_session(
            "yesapp_wajs_contract_broken",
            "Starts refused because the page lacked a wa-js function YesApp calls (WhatsApp Web changed: "
            "update wa-js), per session.",
            CONTRACT_BROKEN_MARK,
        )

    def _redis_metrics(self) -> Iterator:
        from sessions_app.engine.memory import browser_memory_all
        from sessions_app.engine.nodes import live_nodes

        up = GaugeMetricFamily("yesapp_redis_up", "1 when Redis answered this scrape.")
        try:
            redis = get_redis()
            tally = webhook_attempts_tally(redis)
            nodes = live_nodes()
            queue_lengths = {name: redis.llen(name) for name in CELERY_QUEUES}
            browser_memory = browser_memory_all()
        except Exception as exc:  # Redis away: the database metrics above still count
            logger.warning("Metrics: Redis did not answer: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up

        attempts = CounterMetricFamily(
            "yesapp_webhook_attempts", "Webhook delivery attempts by outcome.", labels=["outcome"]
        )
        for outcome in ("success", "retry", "failed"):
            attempts.add_metric([outcome], tally.get(f"outcome:{outcome}", 0))
        yield attempts

        total = tally.get("total", 0)
        buckets = [(str(le / 1000), tally.get(f"le:{le}", 0)) for le in WEBHOOK_BUCKETS_MS]
        histogram = HistogramMetricFamily(
            "yesapp_webhook_attempt_duration_seconds",
            "Duration of webhook delivery attempts, request to response.",
        )
        histogram.add_metric([], buckets + [("+Inf", total)], tally.get("sum_ms", 0) / 1000)
        yield histogram

        engines = GaugeMetricFamily("yesapp_engine_nodes", "Engine workers alive (heartbeat in Redis).")
        engines.add_metric([], len(nodes))
        yield engines

        queues = GaugeMetricFamily(
            "yesapp_celery_queue_length", "Tasks waiting in each Celery queue.", labels=["queue"]
        )
        for name, length in queue_lengths.items():
            queues.add_metric([name], length)
        yield queues

        memory = GaugeMetricFamily(
            "yesapp_session_browser_memory_bytes",
            "PSS of each running session's browser, as its engine node measured it (every 30 s).",
            labels=["session_id"],
        )
        for session_id, size in sorted(browser_memory.items()):
            memory.add_metric([session_id], size)
        yield memory


registry = CollectorRegistry(auto_describe=False)
registry.register(YesAppCollector())


def _status_events_per_session(name: str, documentation: str, reason_contains: str) -> CounterMetricFamily:
    """A counter per session of the status changes whose reason contains `reason_contains`."""
    from sessions_app.models import SessionEvent

    family = CounterMetricFamily(name, documentation, labels=["session_id"])
    rows = (
        SessionEvent.objects.filter(reason__contains=reason_contains)
        .values("session_id")
        .annotate(n=Count("pk"))
        .order_by("session_id")
    )
    for row in rows:
        family.add_metric([str(row["session_id"])], row["n"])
    return family


def _authorized(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    if not token:
        return True
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and constant_time_compare(given.strip(), token)


@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus scrape endpoint; 404 while METRICS_ENABLED is off, 401 without the token."""
    if not settings.METRICS_ENABLED:
        return error_response(404, "not_found", "Metrics are off; set METRICS_ENABLED=true.")
    if not _authorized(request):
        response = error_response(
            401, "authentication_failed", "Send the header `Authorization: Bearer <METRICS_TOKEN>`."
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_PLAIN_0_0_4)
