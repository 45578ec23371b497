"""The sandbox phone's groups and calls: simulated people create groups (with the session or
not), change their members, write in them, and ring the session. The same sandbox services as
the sandbox API."""

import re

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from dashboard.auth import viewer_required
from dashboard.forms import SandboxGroupForm, SandboxGroupMemberForm, SandboxGroupWriteForm, SandboxRingForm
from dashboard.replies import run_form
from dashboard.views.sandbox import sandbox_session_for_viewer
from sandbox.calls import sandbox_ring
from sandbox.group_messages import sandbox_group_message
from sandbox.groups import sandbox_group_change_members, sandbox_group_create


def _here(session) -> str:
    return reverse("dashboard:sandbox", args=[session.pk])


@require_POST
@viewer_required(perm="change_session")
def sandbox_group_new(request: HttpRequest, session_id) -> HttpResponse:
    session = sandbox_session_for_viewer(request, session_id)
    return run_form(
        request,
        SandboxGroupForm(request.POST),
        lambda data: sandbox_group_create(
            session=session,
            owner=data["owner"],
            subject=data["subject"],
            members=[m for m in re.split(r"[\s,;]+", data["participants"] or "") if m],
            with_session=data["with_session"],
            lid_addressing=data["lid_addressing"],
        ),
        success=lambda data, group: f"{data['owner']} created {group.subject!r} ({group.gid}).",
        redirect_to=_here(session),
    )


@require_POST
@viewer_required(perm="change_session")
def sandbox_group_members(request: HttpRequest, session_id) -> HttpResponse:
    session = sandbox_session_for_viewer(request, session_id)
    return run_form(
        request,
        SandboxGroupMemberForm(request.POST),
        lambda data: sandbox_group_change_members(
            session=session,
            gid=data["group_id"],
            by=data["by"],
            action=data["action"],
            members=[data["person"]],
        ),
        success=lambda data, results: "; ".join(f"{k}: {v['message']}" for k, v in results.items()) + ".",
        redirect_to=_here(session),
    )


@require_POST
@viewer_required(perm="change_session")
def sandbox_group_write(request: HttpRequest, session_id) -> HttpResponse:
    session = sandbox_session_for_viewer(request, session_id)
    return run_form(
        request,
        SandboxGroupWriteForm(request.POST),
        lambda data: sandbox_group_message(
            session=session, gid=data["group_id"], from_phone=data["from_phone"], text=data["text"]
        ),
        success=lambda data, message: f"{data['from_phone']} wrote in the group.",
        redirect_to=_here(session),
    )


@require_POST
@viewer_required(perm="change_session")
def sandbox_call(request: HttpRequest, session_id) -> HttpResponse:
    session = sandbox_session_for_viewer(request, session_id)
    return run_form(
        request,
        SandboxRingForm(request.POST),
        lambda data: sandbox_ring(
            session=session, from_phone=data["from_phone"], video=data["video"], group_id=data["group_id"]
        ),
        success=lambda data, call: f"{data['from_phone']} is calling the session.",
        redirect_to=_here(session),
    )
