"""The sandbox phone's contact acting on a message (react, vote, edit, delete for everyone) and
showing typing: the same services as the sandbox API (sandbox/actions.py)."""

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from dashboard.auth import viewer_required
from dashboard.forms import SandboxActForm, SandboxPresenceForm
from dashboard.replies import invalid_form, run_service
from dashboard.views.sandbox import sandbox_session_for_viewer
from sandbox import actions

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
