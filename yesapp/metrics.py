"""`GET /metrics`: Prometheus text format, read from the database (and Redis) at scrape time.

One custom collector answers every scrape from the source of truth, so any gunicorn process
gives the same answer and there is no multiprocess bookkeeping. Off unless METRICS_ENABLED;
with METRICS_TOKEN set it needs `Authorization: Bearer <token>` (docs/DEPLOYMENT.md).

Each app registers what it counts from its AppConfig.ready() with `register_collector`
(sessions_app/metrics.py, messaging/metrics.py, webhooks/metrics.py). Collectors that read
Redis are all read before any of them is answered, so while Redis is away they drop out
together and `yesapp_redis_up` says why; the database families still count.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from yesapp.errors import error_response
from yesapp.redis import get_redis

logger = logging.getLogger(__name__)

MetricFamilies = Callable[[], Iterable[Metric]]

CELERY_QUEUES = ("default", "webhooks", "engine")

_database_collectors: list[MetricFamilies] = []
_redis_collectors: list[MetricFamilies] = []


def register_collector(collect: MetricFamilies, *, reads_redis: bool = False) -> None:
    """Adds `collect` (no arguments, returns metric families) to every scrape, in the order
    registered; `reads_redis` for one that reads Redis (see the module's docstring)."""
    collectors = _redis_collectors if reads_redis else _database_collectors
    if collect not in collectors:
        collectors.append(collect)


def celery_queue_lengths() -> Iterator[Metric]:
    redis = get_redis()
    lengths = {name: redis.llen(name) for name in CELERY_QUEUES}
    queues = GaugeMetricFamily(
        "yesapp_celery_queue_length", "Tasks waiting in each Celery queue.", labels=["queue"]
    )
    for name, length in lengths.items():
        queues.add_metric([name], length)
    yield queues


class YesAppCollector(Collector):
    """Runs the registered collectors at scrape time."""

    def collect(self) -> Iterator[Metric]:
        for collect in _database_collectors:
            yield from collect()
        yield from self._redis_families()

    def _redis_families(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("yesapp_redis_up", "1 when Redis answered this scrape.")
        try:
            families = [family for collect in _redis_collectors for family in collect()]
        except Exception as exc:  # Redis away: the database metrics above still count
            logger.warning("Metrics: Redis did not answer: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families


registry = CollectorRegistry(auto_describe=False)
registry.register(YesAppCollector())
register_collector(celery_queue_lengths, reads_redis=True)


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
