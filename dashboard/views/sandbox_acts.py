"""The sandbox phone's contact acting on a message (react, vote, edit, delete for everyone),
showing typing, and sharing a location, a contact card or a poll: the same services as the
sandbox API (sandbox/actions.py, sandbox.message_content)."""

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from dashboard.auth import viewer_required
from dashboard.forms import SandboxActForm, SandboxPresenceForm, SandboxShareForm
from dashboard.replies import invalid_form, run_service
from dashboard.views.sandbox import sandbox_session_for_viewer
from sandbox import actions, message_content
from sandbox.services.phone import sandbox_inbound
from yesapp.errors import InvalidInput
from yesapp.validators import normalize_phone

_DONE = {
    "react": "The contact reacted.",
    "vote": "The contact voted.",
    "edit": "The contact edited their message.",
    "revoke": "The contact deleted their message for everyone.",
}


def _act(session, data: dict) -> int:
    wa_id, value = data["wa_id"].strip(), data["value"] or ""
    if data["act"] == "react":
        return actions.sandbox_contact_react(session=session, wa_id=wa_id, emoji=value.strip())
    if data["act"] == "vote":
        options = [part.strip() for part in value.split(",") if part.strip()]
        return actions.sandbox_contact_vote(session=session, wa_id=wa_id, options=options)
    if data["act"] == "edit":
        return actions.sandbox_contact_edit(session=session, wa_id=wa_id, text=value)
    return actions.sandbox_contact_revoke(session=session, wa_id=wa_id)


@require_POST
@viewer_required(perm="change_session")
def sandbox_act(request: HttpRequest, session_id) -> HttpResponse:
    session = sandbox_session_for_viewer(request, session_id)
    here = reverse("dashboard:sandbox", args=[session.pk])
    form = SandboxActForm(request.POST)
    if not form.is_valid():
        return invalid_form(request, form, redirect_to=here)
    data = form.cleaned_data
    return run_service(request, lambda: _act(session, data), success=_DONE[data["act"]], redirect_to=here)


@require_POST
@viewer_required(perm="change_session")
def sandbox_presence(request: HttpRequest, session_id) -> HttpResponse:
    session = sandbox_session_for_viewer(request, session_id)
    here = reverse("dashboard:sandbox", args=[session.pk])
    form = SandboxPresenceForm(request.POST)
    if not form.is_valid():
        return invalid_form(request, form, redirect_to=here)
    data = form.cleaned_data
    chat_id = data["from_phone"].lstrip("+") + "@c.us"
    return run_service(
        request,
        lambda: actions.sandbox_contact_presence(session=session, chat_id=chat_id, state=data["state"]),
        success=f"The session sees {data['from_phone']} {data['state']}.",
        redirect_to=here,
    )


def _shared(data: dict) -> message_content.RichContent:
    detail = [part.strip() for part in (data["detail"] or "").split(",") if part.strip()]
    if data["kind"] == "location":
        if len(detail) != 2:
            raise InvalidInput(
                "Give the latitude and longitude, comma-separated.", details={"detail": detail}
            )
        return message_content.location(lat=detail[0], lng=detail[1], name=data["title"])
    if data["kind"] == "contact":
        if len(detail) != 1:
            raise InvalidInput("Give the card's phone number.", details={"detail": detail})
        return message_content.contacts([(data["title"], normalize_phone(detail[0]))])
    return message_content.poll(question=data["title"], options=detail, selectable=0)


@require_POST
@viewer_required(perm="change_session")
def sandbox_share(request: HttpRequest, session_id) -> HttpResponse:
    session = sandbox_session_for_viewer(request, session_id)
    here = reverse("dashboard:sandbox", args=[session.pk])
    form = SandboxShareForm(request.POST)
    if not form.is_valid():
        return invalid_form(request, form, redirect_to=here)
    data = form.cleaned_data
    return run_service(
        request,
        lambda: sandbox_inbound(session=session, from_phone=data["from_phone"], rich=_shared(data)),
        success=f"{data['from_phone']} shared {data['kind']}.",
        redirect_to=here,
    )
