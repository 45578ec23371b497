"""Small presentation filters: badge colours and short labels. No HTML is built here, so
everything the templates print stays auto-escaped."""

from datetime import datetime, timedelta

from django import template
from django.core.handlers.asgi import ASGIRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince

from dashboard.media import media_kind
from sessions_app.advice import SessionProblem
from sessions_app.advice import session_problem as _session_problem

register = template.Library()

_SESSION_CSS = {
    "connected": "ok",
    "starting": "warn",
    "qr": "warn",
    "disconnected": "bad",
    "failed": "bad",
    "stopped": "idle",
}
_SESSION_LABELS = {"qr": "waiting for scan"}
_MESSAGE_CSS = {
    "pending": "idle",
    "queued": "idle",
    "sending": "warn",
    "sent": "info",
    "delivered": "info",
    "read": "ok",
    "received": "ok",
    "failed": "bad",
}
_DELIVERY_CSS = {"pending": "warn", "sending": "warn", "succeeded": "ok", "failed": "bad"}
_LEVEL_CSS = {"DEBUG": "idle", "INFO": "info", "WARNING": "warn", "ERROR": "bad", "CRITICAL": "bad"}
_ACK_CSS = {-1: "bad", 0: "idle", 1: "idle", 2: "info", 3: "ok", 4: "ok"}


@register.filter
def session_css(status: str) -> str:
    return _SESSION_CSS.get(status, "idle")


@register.filter
def session_label(status: str) -> str:
    return _SESSION_LABELS.get(status, status)


@register.filter
def session_problem(session) -> SessionProblem | None:
    """Why the session is stuck and what to do (sessions_app/advice.py), or None."""
    return _session_problem(session)


@register.filter
def message_css(status: str) -> str:
    return _MESSAGE_CSS.get(status, "idle")


@register.filter
def delivery_css(status: str) -> str:
    return _DELIVERY_CSS.get(status, "idle")


@register.filter
def level_css(level: str) -> str:
    return _LEVEL_CSS.get(level, "idle")


@register.filter
def ack_css(ack: int) -> str:
    return _ACK_CSS.get(ack, "idle")


register.filter("media_kind", media_kind)


@register.filter
def ago(moment: datetime | None) -> str:
    """ "just now", "5 minutes ago", or "—" when there is no time."""
    if moment is None:
        return "—"
    if timezone.now() - moment < timedelta(minutes=1):
        return "just now"
    return f"{timesince(moment)} ago"


@register.filter
def map_url(location: dict | None) -> str:
    """A link to the place on OpenStreetMap (no key, no tracking script: a plain link)."""
    if not location or location.get("latitude") is None or location.get("longitude") is None:
        return ""
    lat, lng = location["latitude"], location["longitude"]
    return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lng}#map=17/{lat}/{lng}"


@register.simple_tag(takes_context=True)
def live_stream(context, session=None) -> str:
    """The element static/dashboard/live.js follows: the event stream of `session` (of every
    session the viewer sees without one). Only when this server runs under ASGI, as `make run`
    starts it: under WSGI (`runserver`, a test's live server) a stream would hold a thread for
    good, and the page polls as it always did."""
    if not isinstance(context.get("request"), ASGIRequest):
        return ""
    url = reverse("events-stream") + (f"?session={session.pk}" if session is not None else "")
    return format_html('<div hidden data-live-stream="{}"></div>', url)
