"""The session page's message log, send form and "is this number on WhatsApp?" form, and media
files for previews and downloads."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from dashboard.auth import viewer_required
from dashboard.forms import ContactCheckForm, SendForm
from dashboard.media import media_response
from dashboard.replies import invalid_form, reply
from dashboard.scope import found_or_404, session_for_viewer
from dashboard.views.message_actions import QUICK_REACTIONS
from messaging import selectors, services
from messaging.contacts import contacts_check
from messaging.media import MediaSource
from messaging.models import MediaStatus, Message
from messaging.payloads import message_event_payload
from messaging.people import messages_lid_pairs
from sessions_app.models import Session
from yesapp.errors import ServiceError
from yesapp.file_storage import file_stream

LOG_LIMIT = 50


def messages_with_views(messages: list[Message]) -> list[Message]:
    """Each message as the API shows it (kinds, quote, reactions, edits, tally, mentions), read
    by partials/message_body.html as `m.view`, and the text of the messages quoted, in one query."""
    pairs = messages_lid_pairs(messages)
    quoted = selectors.message_texts(ids={m.reply_to_id for m in messages if m.reply_to_id})
    for message in messages:
        message.view = message_event_payload(message, lid_pairs=pairs)
        message.quoted_text = quoted.get(message.reply_to_id, "")
    return messages


def message_log_context(session: Session, *, direction: str) -> dict:
    direction = direction if direction in ("inbound", "outbound") else "all"
    messages, total = selectors.message_list(session=session, direction=direction, limit=LOG_LIMIT)
    messages = messages_with_views(list(messages))
    # Not "messages": that name belongs to Django's flash messages in every template.
    return {
        "session": session,
        "log_messages": messages,
        "total": total,
        "direction": direction,
        "quick_reactions": QUICK_REACTIONS,
    }


@require_GET
@viewer_required(perm="view_message")
def message_log(request: HttpRequest, session_id) -> HttpResponse:
    session = session_for_viewer(request, session_id)
    context = message_log_context(session, direction=request.GET.get("direction", "all"))
    context["can"] = request.viewer.can
    return render(request, "partials/message_log.html", context)


@require_POST
@viewer_required(perm="add_message")
def message_send(request: HttpRequest, session_id) -> HttpResponse:
    session = session_for_viewer(request, session_id)
    here = reverse("dashboard:session", args=[session.pk])
    form = SendForm(request.POST, request.FILES)
    if not form.is_valid():
        return invalid_form(request, form, redirect_to=here)
    upload = form.cleaned_data.get("file")
    media = MediaSource(upload=upload, filename=upload.name) if upload else None
    try:
        message, _ = services.message_send(
            session=session,
            to=form.cleaned_data["to"],
            text=form.cleaned_data.get("text") or "",
            media=media,
            queue=form.cleaned_data.get("queue", False),
            reply_to=(form.cleaned_data.get("reply_to") or "").strip(),
        )
    except ServiceError as exc:
        return reply(
            request, ok=False, message=exc.message, redirect_to=here, status=exc.status_code, code=exc.code
        )
    return reply(
        request,
        ok=True,
        message=f"Message to {form.cleaned_data['to']} queued.",
        redirect_to=here,
        messageId=str(message.pk),
        status=202,
    )


@require_POST
@viewer_required(perm="add_message")
def contact_check(request: HttpRequest, session_id) -> HttpResponse:
    """One number checked through the session's page (or its cached answer), shown as a toast."""
    session = session_for_viewer(request, session_id)
    here = reverse("dashboard:session", args=[session.pk])
    form = ContactCheckForm(request.POST)
    if not form.is_valid():
        return invalid_form(request, form, redirect_to=here)
    try:
        (result,) = contacts_check(session=session, phones=[form.cleaned_data["phone"]])
    except ServiceError as exc:
        return reply(
            request, ok=False, message=exc.message, redirect_to=here, status=exc.status_code, code=exc.code
        )
    if result["exists"]:
        lid = f" (lid {result['lid']})" if result["lid"] else ""
        sentence = f"{result['phone']} is on WhatsApp{lid}."
    else:
        sentence = f"{result['phone']} is not on WhatsApp: sends to it are refused while this answer holds."
    return reply(
        request, ok=True, message=sentence, redirect_to=here, exists=result["exists"], lid=result["lid"]
    )


@require_GET
@viewer_required(perm="view_message")
def media_download(request: HttpRequest, message_id) -> HttpResponse:
    message = found_or_404(selectors.message_for_key, key=request.viewer.key, message_id=message_id)
    opened = file_stream(message.media_name) if message.media_status == MediaStatus.STORED else None
    if opened is None:
        raise Http404("This message has no stored media.")
    return media_response(
        request,
        opened[0],
        mimetype=message.media_mimetype,
        filename=message.media_filename or message.media_name,
    )
