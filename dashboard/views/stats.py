"""The Stats page: sessions by status, messages per hour, queues, webhooks, uptime."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from dashboard import selectors
from dashboard.auth import viewer_required
from dashboard.charts import HorizontalBars, HourlyBars
from dashboard.templatetags.dashboard_tags import session_label
from messaging.selectors import stats_for_key
from sessions_app.models import SessionStatus

STATUS_CSS = {
    SessionStatus.CONNECTED: "ok",
    SessionStatus.STARTING: "warn",
    SessionStatus.QR: "warn",
    SessionStatus.DISCONNECTED: "bad",
    SessionStatus.FAILED: "bad",
    SessionStatus.STOPPED: "idle",
}


def _duration(seconds: int) -> str:
    days, rest = divmod(max(int(seconds), 0), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min" if minutes else f"{seconds} s"


def stats_context(request: HttpRequest) -> dict:
    key = request.viewer.key
    stats = stats_for_key(key=key)
    by_status = stats["sessions"]["byStatus"]
    status_bars = HorizontalBars.build(
        [(session_label(value), by_status.get(value, 0), STATUS_CSS[value]) for value in SessionStatus.values]
    )
    webhooks = selectors.webhook_outcomes(key=key)
    webhook_bars = HorizontalBars.build(
        [
            ("Succeeded", webhooks["succeeded"], "ok"),
            ("Failed", webhooks["failed"], "bad"),
            ("Pending", webhooks["pending"], "warn"),
        ]
    )
    nodes = selectors.engine_nodes()
    return {
        "stats": stats,
        "status_bars": status_bars,
        "hourly": HourlyBars.build(selectors.messages_per_hour(key=key)),
        "webhooks": webhooks,
        "webhook_bars": webhook_bars,
        # Celery queues and engine nodes are server-wide: only for admin viewers.
        "celery_queues": selectors.celery_queue_depths(nodes=nodes) if request.viewer.is_admin else None,
        "engine_nodes": nodes if request.viewer.is_admin else None,
        "uptime": _duration(stats["uptimeSeconds"]),
    }


@require_GET
@viewer_required
def stats_page(request: HttpRequest) -> HttpResponse:
    return render(request, "dashboard/stats.html", {**stats_context(request), "nav": "stats"})


@require_GET
@viewer_required
def stats_panel(request: HttpRequest) -> HttpResponse:
    return render(request, "partials/stats_panel.html", stats_context(request))
