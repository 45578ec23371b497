"""The Logs page: recent records of the log file, filtered by level, refreshed live."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from dashboard.auth import viewer_required
from dashboard.logfile import LEVELS, log_records

SHOWN = 200


def _level(request: HttpRequest) -> str:
    level = request.GET.get("level", "").upper()
    return level if level in LEVELS else ""


# Logs hold every session's activity: admin keys and staff users only, like GET /api/v1/logs.
@require_GET
@viewer_required(admin=True, perm=("view_session", "view_message", "view_webhook", "view_apikey"))
def logs_page(request: HttpRequest) -> HttpResponse:
    level = _level(request)
    context = {
        "records": log_records(level=level, limit=SHOWN),
        "level": level,
        "levels": LEVELS,
        "nav": "logs",
    }
    return render(request, "dashboard/logs.html", context)


@require_GET
@viewer_required(admin=True, perm=("view_session", "view_message", "view_webhook", "view_apikey"))
def logs_table(request: HttpRequest) -> HttpResponse:
    return render(
        request, "partials/log_table.html", {"records": log_records(level=_level(request), limit=SHOWN)}
    )
