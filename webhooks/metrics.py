"""The webhooks' families of `GET /metrics` (registered in WebhooksConfig.ready()).

Webhook attempts are counted into monotonic counters kept in Redis: the attempt log itself is
pruned after WEBHOOK_RETENTION_DAYS, and a count that shrinks would look to Prometheus like a
counter reset. Each scrape adds the attempts that finished since the last one (by id, a
little behind real time so that no attempt still being committed is skipped).
"""

from collections.abc import Iterator
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric

from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookDeliveryAttempt
from yesapp.redis import get_redis

# Upper bounds of the webhook attempt duration histogram, in milliseconds.
WEBHOOK_BUCKETS_MS = (25, 50, 100, 250, 500, 1000, 2500, 5000, 10000)
TALLY_KEY = "yesapp:metrics:webhook_attempts"
TALLY_LOCK_KEY = "yesapp:metrics:webhook_attempts:lock"


def _tally_grace() -> timedelta:
    """How far behind the counters run: an attempt's row is written when the attempt ends."""
    return timedelta(seconds=settings.WEBHOOK_TIMEOUT + 10)


def webhook_attempts_tally(redis=None) -> dict[str, int]:
    """Adds the attempts finished since the last scrape to the Redis counters; returns them all.

    Rows are counted by increasing id up to the newest one that started more than a grace
    period ago, so a row inserted (and committed) a moment later with a lower id is not
    skipped. Only one scrape updates at a time (a short Redis lock); the others read.
    """
    redis = redis or get_redis()
    if redis.set(TALLY_LOCK_KEY, "1", nx=True, ex=30):
        try:
            _add_finished_attempts(redis)
        finally:
            redis.delete(TALLY_LOCK_KEY)
    return {key.decode(): int(value) for key, value in redis.hgetall(TALLY_KEY).items()}


def _add_finished_attempts(redis) -> None:
    last_id = int(redis.hget(TALLY_KEY, "last_id") or 0)
    newer = WebhookDeliveryAttempt.objects.filter(pk__gt=last_id)
    upto = newer.filter(started_at__lte=timezone.now() - _tally_grace()).aggregate(top=Max("pk"))["top"]
    if not upto:
        return
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


def webhook_deliveries_by_status() -> Iterator[Metric]:
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


def webhook_attempts() -> Iterator[Metric]:
    """Read from Redis (register with reads_redis=True): the attempt counters and latencies."""
    tally = webhook_attempts_tally()
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
