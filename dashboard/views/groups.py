"""The Groups page of a session (members with their roles, the invite link, add and remove
people, create and leave groups) and the session's call setting. The same services as the
groups and calls APIs: the dashboard cannot do what the API would refuse."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from calls.services import call_settings_update
from dashboard.auth import viewer_required
from dashboard.forms import CallSettingsForm, GroupCreateForm, GroupMemberForm
from dashboard.replies import run_form, run_service
from dashboard.scope import session_for_viewer
from groups import services
from yesapp.errors import ServiceError

STATUS_WORDS = {
    "added": "added",
    "invited": "sent an invitation (their privacy setting)",
    "not_on_whatsapp": "not on WhatsApp",
    "already_member": "already a member",
    "removed": "removed",
    "promoted": "now an admin",
    "demoted": "no longer an admin",
    "already_admin": "already an admin",
    "not_admin": "not an admin",
    "not_member": "not a member",
}


@require_GET
@viewer_required(perm="view_session")
def groups_page(request: HttpRequest, session_id) -> HttpResponse:
    session = session_for_viewer(request, session_id)
    groups, problem = [], ""
    try:
        groups = services.group_list(session=session)
    except ServiceError as exc:
        problem = exc.message
    context = {
        "session": session,
        "groups": groups,
        "problem": problem,
        "create_form": GroupCreateForm(),
        "member_form": GroupMemberForm(),
        "nav": "sessions",
    }
    return render(request, "dashboard/groups.html", context)


def _here(session) -> str:
    return reverse("dashboard:groups", args=[session.pk])


def _outcomes(results: list[dict]) -> str:
    parts = []
    for result in results:
        person = result["participant"]["phone"] or result["participant"]["lid"] or "?"
        parts.append(
            f"{person}: {STATUS_WORDS.get(result['status'], result.get('error') or result['status'])}"
        )
    return "; ".join(parts) + "."


@require_POST
@viewer_required(perm="change_session")
def group_create(request: HttpRequest, session_id) -> HttpResponse:
    session = session_for_viewer(request, session_id)
    return run_form(
        request,
        GroupCreateForm(request.POST),
        lambda data: services.group_create(
            session=session, subject=data["subject"], participants=data["participants"]
        ),
        success=lambda data, created: f"Group {created[0]['subject']!r} created. " + _outcomes(created[1]),
        redirect_to=_here(session),
    )


@require_POST
@viewer_required(perm="change_session")
def group_members(request: HttpRequest, session_id, group_id: str) -> HttpResponse:
    session = session_for_viewer(request, session_id)
    return run_form(
        request,
        GroupMemberForm(request.POST),
        lambda data: services.group_participants_change(
            session=session, group_id=group_id, action=data["action"], people=[data["person"]]
        ),
        success=lambda data, results: _outcomes(results),
        redirect_to=_here(session),
    )


@require_POST
@viewer_required(perm="change_session")
def group_invite(request: HttpRequest, session_id, group_id: str) -> HttpResponse:
    session = session_for_viewer(request, session_id)
    revoke = request.POST.get("revoke") == "1"
    return run_service(
        request,
        lambda: services.group_invite(session=session, group_id=group_id, revoke=revoke),
        success=lambda invite: ("New invite link: " if revoke else "Invite link: ") + invite["link"],
        redirect_to=_here(session),
    )


@require_POST
@viewer_required(perm="change_session")
def group_leave(request: HttpRequest, session_id, group_id: str) -> HttpResponse:
    session = session_for_viewer(request, session_id)
    return run_service(
        request,
        lambda: services.group_leave(session=session, group_id=group_id),
        success="The session left the group.",
        redirect_to=_here(session),
    )


@require_POST
@viewer_required(perm="change_session")
def call_settings_save(request: HttpRequest, session_id) -> HttpResponse:
    session = session_for_viewer(request, session_id)
    return run_form(
        request,
        CallSettingsForm(request.POST),
        lambda data: call_settings_update(
            session=session, reject_calls=data["reject_calls"], reject_message=data["reject_message"]
        ),
        success=lambda data, row: (
            "Calls are rejected automatically." if row.reject_calls else "Calls ring as usual."
        ),
        redirect_to=reverse("dashboard:session", args=[session.pk]),
    )
