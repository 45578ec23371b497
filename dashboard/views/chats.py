"""The Chats page, a session's inbox: conversations on the left (dashboard/chat_selectors.py),
the open one on the right with a reply box, both kept current by static/dashboard/live.js
(the event stream, or polling when it is unavailable)."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from dashboard import chat_selectors
from dashboard.auth import viewer_required
from dashboard.forms import ChatReplyForm
from dashboard.replies import run_form, run_service
from dashboard.scope import session_for_viewer
from dashboard.views.message_actions import QUICK_REACTIONS
from dashboard.views.messages import messages_with_views
from messaging import actions, services
from messaging.media import MediaSource
from sessions_app.models import Session
from yesapp.errors import InvalidInput
from yesapp.validators import normalize_chat_id, phone_from_chat_id


def _chat_id(raw: str) -> str:
    try:
        return normalize_chat_id(raw)
    except InvalidInput as exc:
        raise Http404(exc.message) from exc


def _open_chat_name(session: Session, chats: list, chat_id: str) -> str:
    """The open chat's name from the list when it is on it, else looked up on its own."""
    if not chat_id:
        return ""
    listed = next((c for c in chats if c.chat_id == chat_id), None)
    return listed.name if listed else chat_selectors.chat_name(session=session, chat_id=chat_id)


def chat_list_context(session: Session, *, open_chat: str = "") -> dict:
    chats, total = chat_selectors.chat_list(session=session)
    return {"session": session, "chats": chats, "chats_total": total, "open_chat": open_chat}


def chat_thread_context(session: Session, chat_id: str) -> dict:
    return {
        "session": session,
        "chat_id": chat_id,
        "chat_phone": phone_from_chat_id(chat_id),
        "thread": messages_with_views(chat_selectors.chat_thread(session=session, chat_id=chat_id)),
        "unread": chat_selectors.chat_unread(session=session, chat_id=chat_id),
        "quick_reactions": QUICK_REACTIONS,
    }


@require_GET
@viewer_required(perm="view_message")
def chats_page(request: HttpRequest, session_id, chat_id: str = "") -> HttpResponse:
    session = session_for_viewer(request, session_id)
    chat_id = _chat_id(chat_id) if chat_id else ""
    listed = chat_list_context(session, open_chat=chat_id)
    context = {
        **listed,
        **(chat_thread_context(session, chat_id) if chat_id else {}),
        "chat_name": _open_chat_name(session, listed["chats"], chat_id),
        "reply_form": ChatReplyForm(),
        "can": request.viewer.can,
        "nav": "sessions",
    }
    return render(request, "dashboard/chats.html", context)


@require_GET
@viewer_required(perm="view_message")
def chat_list_fragment(request: HttpRequest, session_id) -> HttpResponse:
    session = session_for_viewer(request, session_id)
    open_chat = request.GET.get("open", "")
    return render(request, "partials/chat_list.html", chat_list_context(session, open_chat=open_chat))


@require_GET
@viewer_required(perm="view_message")
def chat_thread_fragment(request: HttpRequest, session_id, chat_id: str) -> HttpResponse:
    session = session_for_viewer(request, session_id)
    context = chat_thread_context(session, _chat_id(chat_id))
    context["can"] = request.viewer.can
    return render(request, "partials/chat_thread.html", context)


@require_POST
@viewer_required(perm="add_message")
def chat_reply(request: HttpRequest, session_id, chat_id: str) -> HttpResponse:
    """Sends through the same service as `POST /api/v1/messages` (queued, paced, retried)."""
    session = session_for_viewer(request, session_id)
    chat_id = _chat_id(chat_id)
    here = reverse("dashboard:chat", args=[session.pk, chat_id])

    def send(data: dict):
        upload = data.get("file")
        return services.message_send(
            session=session,
            to=chat_id,
            text=data.get("text") or "",
            media=MediaSource(upload=upload, filename=upload.name) if upload else None,
            reply_to=(data.get("reply_to") or "").strip(),
        )

    form = ChatReplyForm(request.POST, request.FILES)
    return run_form(request, form, send, success="Reply queued.", redirect_to=here)


@require_POST
@viewer_required(perm="add_message")
def chat_read(request: HttpRequest, session_id, chat_id: str) -> HttpResponse:
    """Marks the chat read on the phone (WPP.chat.markIsRead): its unread count drops to 0."""
    session = session_for_viewer(request, session_id)
    chat_id = _chat_id(chat_id)
    here = reverse("dashboard:chat", args=[session.pk, chat_id])
    return run_service(
        request,
        lambda: actions.chat_mark_read(session=session, chat=chat_id),
        success="Marked as read.",
        redirect_to=here,
    )
