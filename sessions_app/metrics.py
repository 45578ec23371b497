"""The sessions' and engine's families of `GET /metrics` (registered in SessionsConfig.ready())."""

from collections.abc import Iterator

from django.db.models import Count
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from sessions_app.engine.memory import browser_memory_all, js_heap_all
from sessions_app.engine.nodes import live_nodes
from sessions_app.engine.recycle import RECYCLE_REASON
from sessions_app.engine.wpp_contract import CONTRACT_BROKEN_MARK
from sessions_app.models import Session, SessionEvent, SessionStatus

# The reason the session actor writes when it restarts a crashed or hung browser.
RESTART_REASON = "browser problem"


def sessions_by_status() -> Iterator[Metric]:
    counts = dict.fromkeys(SessionStatus.values, 0)
    for row in Session.objects.values("status").annotate(n=Count("pk")):
        counts[row["status"]] = row["n"]
    family = GaugeMetricFamily("yesapp_sessions", "Sessions by status.", labels=["status"])
    for status, n in sorted(counts.items()):
        family.add_metric([status], n)
    yield family


def engine_restarts() -> Iterator[Metric]:
    yield _status_events_per_session(
        "yesapp_engine_restarts",
        "Browser restarts after a crash or hang, per session (status events with a browser problem).",
        RESTART_REASON,
    )


def engine_recycles() -> Iterator[Metric]:
    yield _status_events_per_session(
        "yesapp_engine_recycles",
        "Browsers restarted on their profile because they grew above ENGINE_SESSION_MEMORY_MAX, "
        "per session (the session stays connected).",
        RECYCLE_REASON,
    )


def wajs_contract_broken() -> Iterator[Metric]:
    yield _status_events_per_session(
        "yesapp_wajs_contract_broken",
        "Starts refused because the page lacked a wa-js function YesApp calls (WhatsApp Web changed: "
        "update wa-js), per session.",
        CONTRACT_BROKEN_MARK,
    )


def _status_events_per_session(name: str, documentation: str, reason_contains: str) -> CounterMetricFamily:
    """A counter per session of the status changes whose reason contains `reason_contains`."""
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


def engine_nodes() -> Iterator[Metric]:
    """Read from Redis (register with reads_redis=True), like `browser_memory`."""
    engines = GaugeMetricFamily("yesapp_engine_nodes", "Engine workers alive (heartbeat in Redis).")
    engines.add_metric([], len(live_nodes()))
    yield engines


def browser_memory() -> Iterator[Metric]:
    memory = GaugeMetricFamily(
        "yesapp_session_browser_memory_bytes",
        "PSS of each running session's browser, as its engine node measured it (every 30 s).",
        labels=["session_id"],
    )
    for session_id, size in sorted(browser_memory_all().items()):
        memory.add_metric([session_id], size)
    yield memory
    heap = GaugeMetricFamily(
        "yesapp_session_js_heap_bytes",
        "JS heap used by each running session's page (Performance.getMetrics), measured with the PSS.",
        labels=["session_id"],
    )
    for session_id, size in sorted(js_heap_all().items()):
        heap.add_metric([session_id], size)
    yield heap
