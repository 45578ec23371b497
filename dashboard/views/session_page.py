"""The session page: status header, the "link a phone" panel (QR, pairing code), and the
context of its send form, message log and webhook card."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from redis.exceptions import RedisError

from calls.services import call_settings_get
from dashboard.auth import viewer_required
from dashboard.forms import CallSettingsForm, ContactCheckForm, PairingCodeForm, SendForm, WebhookForm
from dashboard.replies import invalid_form, reply
from dashboard.scope import session_for_viewer
from dashboard.views.failed_events import failed_events_context
from dashboard.views.messages import message_log_context
from dashboard.views.sending_policy import sending_policy_context
from dashboard.views.sessions import viewer_actions
from sessions_app import services
from sessions_app.diagnostics import session_diagnose
from sessions_app.engine.memory import browser_memory_of
from sessions_app.models import Session, SessionStatus
from sessions_app.qr import qr_data_url
from sessions_app.selectors import pairing_code_state
from webhooks.selectors import webhook_config_for_session
from yesapp.errors import ServiceError

DIRECTIONS = [("all", "All"), ("inbound", "Inbound"), ("outbound", "Outbound")]


def link_context(session: Session) -> dict:
    waiting = session.status == SessionStatus.QR and bool(session.qr_raw)
    return {
        "session": session,
        "pairing": pairing_code_state(session) if waiting else {},
        "waiting_for_scan": waiting,
        "qr_image": qr_data_url(session.qr_raw) if waiting else "",
    }


def header_context(request: HttpRequest, session: Session) -> dict:
    try:
        memory = browser_memory_of([session.pk]).get(str(session.pk))
    except (RedisError, OSError):  # the page still works without Redis; the figure is unknown
        memory = None
    return {
        "session": session,
        "actions": viewer_actions(request, session),
        "browser_memory": memory,
    }


def webhook_context(session: Session) -> dict:
    config = webhook_config_for_session(session=session)
    initial = {"url": config.url, "events": list(config.events)} if config else {}
    return {"webhook": config, "webhook_form": WebhookForm(initial=initial)}


def session_detail_context(request: HttpRequest, session: Session) -> dict:
    can = request.viewer.can  # a staff user sees only the parts their permissions allow
    direction = request.GET.get("direction", "all")
    return {
        **header_context(request, session),
        "send_form": SendForm(),
        "contact_check_form": ContactCheckForm(auto_id="check_%s"),  # the pairing form has id_phone
        "pairing_form": PairingCodeForm(),
        "directions": DIRECTIONS,
        "nav": "sessions",
        "can": can,
        **link_context(session),
        **(message_log_context(session, direction=direction) if can["view_message"] else {}),
        **(webhook_context(session) if can["view_webhook"] else {}),
        **sending_policy_context(session),
        **failed_events_context(session),
        "call_form": _call_form(session),
    }


def _call_form(session: Session) -> CallSettingsForm:
    row = call_settings_get(session=session)
    return CallSettingsForm(initial={"reject_calls": row.reject_calls, "reject_message": row.reject_message})


@require_GET
@viewer_required
def session_detail(request: HttpRequest, session_id) -> HttpResponse:
    session = session_for_viewer(request, session_id)
    return render(request, "dashboard/session_detail.html", session_detail_context(request, session))


@require_GET
@viewer_required
def session_header(request: HttpRequest, session_id) -> HttpResponse:
    session = session_for_viewer(request, session_id)
    return render(request, "partials/session_header.html", header_context(request, session))


@require_GET
@viewer_required
def session_link_panel(request: HttpRequest, session_id) -> HttpResponse:
    session = session_for_viewer(request, session_id)
    return render(request, "partials/link_panel.html", link_context(session))


@require_POST
@viewer_required(perm="change_session")
def session_pairing_code(request: HttpRequest, session_id) -> HttpResponse:
    session = session_for_viewer(request, session_id)
    here = reverse("dashboard:session", args=[session.pk])
    form = PairingCodeForm(request.POST)
    if not form.is_valid():
        return invalid_form(request, form, redirect_to=here)
    try:
        state = services.session_pairing_code(session=session, phone=form.cleaned_data["phone"])
    except ServiceError as exc:
        return reply(request, ok=False, message=exc.message, redirect_to=here, status=exc.status_code)
    if state.get("status") != "ready":  # the engine answers later; the link panel shows the code
        message = "Pairing code asked for; it shows here in a moment."
        return reply(request, ok=True, message=message, redirect_to=here)
    code = state["code"]
    return reply(
        request, ok=True, message=f"Pairing code: {code}. Type it on the phone.", redirect_to=here, code=code
    )


@require_GET
@viewer_required
def session_diagnostics_panel(request: HttpRequest, session_id) -> HttpResponse:
    """The diagnostics report (sessions_app/diagnostics.py) as a panel; loaded after the page, so
    a slow page never delays the session page itself."""
    session = session_for_viewer(request, session_id)
    try:
        context = {"session": session, "report": session_diagnose(session=session)}
    except ServiceError as exc:
        context = {"session": session, "problem": exc.message}
    return render(request, "partials/diagnostics_panel.html", context)
