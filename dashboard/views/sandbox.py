"""The sandbox phone: "scan" the QR, write to the session as a contact (text, files, voice
notes, replies, mentions, forwards), and see what contacts received with their receipts. The
same sandbox services as the sandbox API; acting on messages and typing: sandbox_acts.py."""

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from dashboard.auth import viewer_required
from dashboard.forms import (
    SandboxActForm,
    SandboxGroupForm,
    SandboxGroupMemberForm,
    SandboxGroupWriteForm,
    SandboxInboundForm,
    SandboxLinkForm,
    SandboxPresenceForm,
    SandboxProfileForm,
    SandboxRingForm,
)
from dashboard.media import media_response
from dashboard.replies import invalid_form, run_service
from dashboard.scope import session_for_viewer
from sandbox import message_content, selectors
from sandbox.directory import sandbox_contact_update
from sandbox.groups import sandbox_groups_state
from sandbox.services.device import sandbox_device, sandbox_disconnect, sandbox_link
from sandbox.services.device import sandbox_state as sandbox_device_state
from sandbox.services.messages import OutgoingFile
from sandbox.services.phone import sandbox_inbound, sandbox_settle_receipts
from sessions_app.models import Session, SessionStatus
from sessions_app.qr import qr_data_url
from yesapp.media_input import check_size

OUTBOX_SHOWN = 30
# wa-js ack values as a contact's phone shows them.
ACK_LABELS = {-1: "failed", 0: "pending", 1: "sent", 2: "delivered", 3: "read", 4: "played"}


def sandbox_session_for_viewer(request: HttpRequest, session_id) -> Session:
    session = session_for_viewer(request, session_id)
    if not settings.SANDBOX_ENABLED or not session.sandbox:
        raise Http404("This session does not run on the sandbox.")
    return session


def _state_context(session: Session) -> dict:
    state = sandbox_device_state(device=sandbox_device(session=session))
    waiting = session.status == SessionStatus.QR and bool(session.qr_raw)
    return {
        "session": session,
        "state": state,
        "qr_image": qr_data_url(session.qr_raw) if waiting else "",
    }


@require_GET
@viewer_required(perm=("view_session", "view_message"))
def sandbox_phone(request: HttpRequest, session_id) -> HttpResponse:
    session = sandbox_session_for_viewer(request, session_id)
    context = {
        **_state_context(session),
        "link_form": SandboxLinkForm(),
        "inbound_form": SandboxInboundForm(),
        "group_form": SandboxGroupForm(auto_id="group_%s"),
        "group_member_form": SandboxGroupMemberForm(auto_id="member_%s"),
        "group_write_form": SandboxGroupWriteForm(auto_id="gwrite_%s"),
        "ring_form": SandboxRingForm(auto_id="ring_%s"),
        "sandbox_groups": sandbox_groups_state(session=session),
        "act_form": SandboxActForm(),
        "presence_form": SandboxPresenceForm(),
        "profile_form": SandboxProfileForm(),
        "nav": "sessions",
    }
    return render(request, "dashboard/sandbox_phone.html", context)


@require_GET
@viewer_required(perm=("view_session", "view_message"))
def sandbox_state(request: HttpRequest, session_id) -> HttpResponse:
    session = sandbox_session_for_viewer(request, session_id)
    return render(request, "partials/sandbox_state.html", _state_context(session))


@require_GET
@viewer_required(perm=("view_session", "view_message"))
def sandbox_outbox(request: HttpRequest, session_id) -> HttpResponse:
    session = sandbox_session_for_viewer(request, session_id)
    # Receipts are applied when someone looks, as the sandbox API's outbox does.
    sandbox_settle_receipts(session=session)
    outbox = list(selectors.outbox(session=session)[:OUTBOX_SHOWN])
    for message in outbox:
        message.ack_label = ACK_LABELS.get(message.ack, str(message.ack))
    return render(request, "partials/sandbox_outbox.html", {"session": session, "outbox": outbox})


@require_POST
@viewer_required(perm="change_session")
def sandbox_scan(request: HttpRequest, session_id) -> HttpResponse:
    session = sandbox_session_for_viewer(request, session_id)
    here = reverse("dashboard:sandbox", args=[session.pk])
    form = SandboxLinkForm(request.POST)
    if not form.is_valid():
        return invalid_form(request, form, redirect_to=here)
    data = form.cleaned_data
    return run_service(
        request,
        lambda: sandbox_link(session=session, phone=data["phone"], name=data["name"], code=data["code"]),
        success=("Code accepted." if data["code"] else "Scanned.") + " The session connects in a moment.",
        redirect_to=here,
    )


@require_POST
@viewer_required(perm="change_session")
def sandbox_unlink(request: HttpRequest, session_id) -> HttpResponse:
    session = sandbox_session_for_viewer(request, session_id)
    return run_service(
        request,
        lambda: sandbox_disconnect(session=session, mode="unlink"),
        success="The sandbox phone removed the linked device; the session shows a new QR.",
        redirect_to=reverse("dashboard:sandbox", args=[session.pk]),
    )


@require_POST
@viewer_required(perm="change_session")
def sandbox_write(request: HttpRequest, session_id) -> HttpResponse:
    session = sandbox_session_for_viewer(request, session_id)
    here = reverse("dashboard:sandbox", args=[session.pk])
    form = SandboxInboundForm(request.POST, request.FILES)
    if not form.is_valid():
        return invalid_form(request, form, redirect_to=here)
    data = form.cleaned_data

    def write():
        extras = message_content.extras(
            mentioned=message_content.phone_mentions(data["mentions"]), forwarded=data["forwarded"]
        )
        return sandbox_inbound(
            session=session,
            from_phone=data["from_phone"],
            name=data["name"],
            text=data["text"] or "",
            file=_uploaded_file(data.get("file"), voice=data["voice"]),
            quoted=data["reply_to"].strip(),
            extras=extras,
        )

    return run_service(
        request,
        write,
        success=f"{data['name'] or data['from_phone']} sent the message.",
        redirect_to=here,
    )


def _uploaded_file(upload, *, voice: bool = False) -> OutgoingFile | None:
    if upload is None:
        return None
    check_size(upload.size)  # before reading it into memory
    return OutgoingFile(
        data=upload.read(),
        mimetype=upload.content_type or "",
        filename=upload.name or "",
        type="ptt" if voice else "auto-detect",
    )


@require_GET
@viewer_required(perm=("view_session", "view_message"))
def sandbox_media(request: HttpRequest, session_id, wa_id: str) -> HttpResponse:
    session = sandbox_session_for_viewer(request, session_id)
    message = selectors.outbox_message(session=session, wa_id=wa_id)
    if message is None or not message.is_media:
        raise Http404("No file with this id in the outbox.")
    return media_response(
        request, message.media.open("rb"), mimetype=message.mimetype, filename=message.filename or "file"
    )


@require_POST
@viewer_required(perm="change_session")
def sandbox_profile(request: HttpRequest, session_id) -> HttpResponse:
    """Sets a simulated contact's profile and chat state (sandbox/directory.py)."""
    session = sandbox_session_for_viewer(request, session_id)
    here = reverse("dashboard:sandbox", args=[session.pk])
    form = SandboxProfileForm(request.POST)
    if not form.is_valid():
        return invalid_form(request, form, redirect_to=here)
    data = dict(form.cleaned_data)
    phone = data.pop("phone")
    return run_service(
        request,
        lambda: sandbox_contact_update(session=session, phone=phone, **data),
        success=f"{phone}'s profile is set: the session sees it in its contacts.",
        redirect_to=here,
    )
