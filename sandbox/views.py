"""The sandbox page and the JSON endpoints its scripts (static/sandbox/wpp/*.js) call.

These stand in for WhatsApp Web and WhatsApp's servers. They are authenticated by the
signed page token in `?token=` (bound to the session id), not by an API key: the engine's
browser opens the page with nothing else. The page's logged-in state travels in the
`X-Sandbox-Device` header (the device token it keeps in localStorage).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from sandbox import contacts, message_content, selectors
from sandbox.models import SandboxContact
from sandbox.page_poll import PagePoll, page_long_poll, page_poll_reply
from sandbox.services.device import (
    sandbox_page_hello,
    sandbox_page_issue_qr,
    sandbox_page_logout,
    sandbox_page_pairing_code,
    sandbox_page_qr_idle,
)
from sandbox.services.messages import OutgoingFile
from sandbox.services.page import (
    sandbox_page_forward,
    sandbox_page_logged_in_device,
    sandbox_page_mark_read,
    sandbox_page_media,
    sandbox_page_send,
)
from sandbox.services.page_url import sandbox_page_session
from yesapp.errors import InvalidInput, NotFound, ServiceError, error_response

DEVICE_HEADER = "X-Sandbox-Device"
LINK_REFS_HEADER = "X-Sandbox-Link-Refs"


def page_device_token(request: HttpRequest) -> str:
    """The device token the page sends with each call (also used by action_views.py)."""
    return request.headers.get(DEVICE_HEADER, "").strip()


def _cursor(value) -> int:
    """The page's event cursor (what it has received), sent with reads and sends."""
    try:
        return max(0, int(value or 0))
    except (TypeError, ValueError) as exc:
        raise InvalidInput("cursor must be a number.") from exc


def page_json_body(request: HttpRequest) -> dict:
    """The page's JSON object body ({} when empty); 400 for anything else."""
    if not request.body:
        return {}
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("The body is not JSON.") from exc
    if not isinstance(data, dict):
        raise InvalidInput("The body must be a JSON object.")
    return data


def page_endpoint(methods: tuple[str, ...]) -> Callable:
    """Wraps a page endpoint: sandbox switched on, the page token checked, the method
    allowed, and every ServiceError answered in the API's one error shape."""

    def decorate(view: Callable) -> Callable:
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request: HttpRequest, session_id, **kwargs) -> HttpResponse:
            if not settings.SANDBOX_ENABLED:
                return error_response(404, "not_found", "The sandbox is turned off (SANDBOX_ENABLED=false).")
            if request.method not in methods:
                return error_response(405, "method_not_allowed", f"Use {' or '.join(methods)}.")
            try:
                session = sandbox_page_session(session_id=session_id, token=request.GET.get("token", ""))
                return view(request, session, **kwargs)
            except ServiceError as exc:
                return error_response(exc.status_code, exc.code, exc.message, exc.details)

        return wrapper

    return decorate


@require_GET
def page(request: HttpRequest, session_id) -> HttpResponse:
    """The WhatsApp Web stand-in itself: defines `window.WPP` and shows the QR or the chat state."""
    if not settings.SANDBOX_ENABLED:
        raise Http404("The sandbox is turned off.")
    token = request.GET.get("token", "")
    try:
        session = sandbox_page_session(session_id=session_id, token=token)
    except ServiceError as exc:
        return render(request, "sandbox/denied.html", {"message": exc.message}, status=exc.status_code)
    config = {
        "sessionId": str(session.id),
        "sessionName": session.name,
        "token": token,
        "pollMs": settings.SANDBOX_POLL_MS,
        "longPollSeconds": settings.SANDBOX_LONG_POLL_SECONDS,
        "qrRefreshMs": settings.SANDBOX_QR_REFRESH_MS,
        "qrMaxRefreshes": settings.SANDBOX_QR_MAX_REFRESHES,
        "mediaMaxBytes": settings.MEDIA_MAX_BYTES,
        "deviceHeader": DEVICE_HEADER,
        "linkRefsHeader": LINK_REFS_HEADER,
    }
    return render(request, "sandbox/page.html", {"config": config, "session": session})


@page_endpoint(("POST",))
def hello(request: HttpRequest, session) -> HttpResponse:
    data = page_json_body(request)
    return JsonResponse(sandbox_page_hello(session=session, device_token=str(data.get("deviceToken") or "")))


@page_endpoint(("GET",))
def events(request: HttpRequest, session) -> HttpResponse:
    """The page's poll. With `wait=<seconds>` a long poll (page_poll.py): answered when there is
    news, streamed from the event loop so the wait holds no thread; without, answered at once."""
    try:
        after = int(request.GET.get("after", "0"))
        wait = min(float(request.GET.get("wait", "0")), settings.SANDBOX_LONG_POLL_SECONDS)
    except ValueError as exc:
        raise InvalidInput("after and wait must be numbers.") from exc
    refs = tuple(ref.strip() for ref in request.headers.get(LINK_REFS_HEADER, "").split(",") if ref.strip())
    poll = PagePoll(
        session=session,
        after=after,
        device_token=page_device_token(request),
        link_refs=refs[:4],
        page_offline=request.GET.get("offline") == "1",
    )
    if wait <= 0:
        return JsonResponse(page_poll_reply(poll))
    response = StreamingHttpResponse(page_long_poll(poll, seconds=wait), content_type="application/json")
    response["Cache-Control"] = "no-store"
    return response


@page_endpoint(("POST",))
def qr(request: HttpRequest, session) -> HttpResponse:
    if page_json_body(request).get("idle"):
        sandbox_page_qr_idle(session=session)
        return JsonResponse({"idle": True})
    return JsonResponse(sandbox_page_issue_qr(session=session, device_token=page_device_token(request)))


@page_endpoint(("POST",))
def pairing_code(request: HttpRequest, session) -> HttpResponse:
    phone = str(page_json_body(request).get("phone") or "")
    code = sandbox_page_pairing_code(session=session, device_token=page_device_token(request), phone=phone)
    return JsonResponse({"code": code})


@page_endpoint(("POST",))
def send(request: HttpRequest, session) -> HttpResponse:
    """A text (JSON) or a file (multipart: `file` plus the wa-js options as fields)."""
    if request.content_type == "multipart/form-data":
        args = _file_send_args(request)
    else:
        args = _json_send_args(page_json_body(request))
    message = sandbox_page_send(session=session, device_token=page_device_token(request), **args)
    return JsonResponse({"msg": selectors.message_model(message, me=session.sandbox_device.wid)})


def _file_send_args(request: HttpRequest) -> dict:
    """`sendFileMessage`'s options, sent as form fields beside the file."""
    fields = request.POST
    upload = request.FILES.get("file")
    if upload is None:
        raise InvalidInput("A multipart send needs a `file` part.")
    file = OutgoingFile(
        data=upload.read(),
        mimetype=fields.get("mimetype", ""),
        filename=fields.get("filename", ""),
        type=fields.get("type", "auto-detect"),
        is_ptt=fields.get("isPtt") == "true",
    )
    extras = message_content.extras(mentioned=_json_list(fields.get("mentionedList")))
    if file.is_ptt and fields.get("waveform") == "true":
        extras["waveform"] = message_content.waveform(file.data)
    return {
        "chat_id": fields.get("chatId", ""),
        "text": fields.get("caption", ""),
        "file": file,
        "mark_read": fields.get("markIsRead") != "false",
        "seen": _cursor(fields.get("cursor")),
        "rich": None,
        "quoted": fields.get("quotedMsg", ""),
        "extras": extras,
    }


def _json_send_args(data: dict) -> dict:
    """`sendTextMessage` (and the rich sends) as the page posts them."""
    chat_id, text = str(data.get("chatId") or ""), str(data.get("text") or "")
    return {
        "chat_id": chat_id,
        "text": text,
        "file": None,
        "mark_read": data.get("markIsRead", True) is not False,
        "seen": _cursor(data.get("cursor")),
        "rich": message_content.from_page(data),
        "quoted": str(data.get("quotedMsg") or ""),
        "extras": message_content.extras(
            mentioned=data.get("mentionedList", []),
            link_preview=data.get("linkPreview") is True,
            text=text,
            mention_all=chat_id.endswith("@g.us") and data.get("detectMentioned") is not False,
        ),
    }


@page_endpoint(("POST",))
def forward(request: HttpRequest, session) -> HttpResponse:
    """`WPP.chat.forwardMessages`: the copies as MsgModels, and the ids not forwarded."""
    data = page_json_body(request)
    ids = data.get("msgIds") if isinstance(data.get("msgIds"), list) else []
    copies, failed = sandbox_page_forward(
        session=session,
        device_token=page_device_token(request),
        chat_id=str(data.get("chatId") or ""),
        wa_ids=[str(wa_id) for wa_id in ids[:100]],
    )
    me = session.sandbox_device.wid
    return JsonResponse({"msgs": [selectors.message_model(copy, me=me) for copy in copies], "failed": failed})


def _json_list(value: str | None) -> list:
    """A multipart field holding a JSON array ([] when absent)."""
    try:
        parsed = json.loads(value) if value else []
    except ValueError as exc:
        raise InvalidInput("mentionedList is not JSON.", code="mentioned_list_is_not_array") from exc
    return parsed


@page_endpoint(("GET",))
def media(request: HttpRequest, session, wa_id: str) -> HttpResponse:
    """`WPP.chat.downloadMedia`: the bytes of a message's file, either direction."""
    message = sandbox_page_media(session=session, device_token=page_device_token(request), wa_id=wa_id)
    response = FileResponse(
        message.media.open("rb"), content_type=message.mimetype or "application/octet-stream"
    )
    response["Cache-Control"] = "no-store"
    return response


@page_endpoint(("POST",))
def read(request: HttpRequest, session) -> HttpResponse:
    data = page_json_body(request)
    unread = sandbox_page_mark_read(
        session=session,
        device_token=page_device_token(request),
        chat_id=str(data.get("chatId") or ""),
        seen=_cursor(data.get("cursor")),
    )
    return JsonResponse({"unreadCount": unread})


@page_endpoint(("POST",))
def exists(request: HttpRequest, session) -> HttpResponse:
    """`WPP.contact.queryWidExists`: every valid number but `...0000` is on the sandbox's WhatsApp."""
    chat_id = str(page_json_body(request).get("id") or "")
    return JsonResponse(contacts.sandbox_query_exists(chat_id=chat_id))


@page_endpoint(("POST",))
def pn_lid(request: HttpRequest, session) -> HttpResponse:
    """`WPP.contact.getPnLidEntry`: the phone and lid of one person, null where unknown."""
    contact_id = str(page_json_body(request).get("id") or "")
    return JsonResponse(contacts.sandbox_pn_lid_entry(session=session, contact_id=contact_id))


def _count(value) -> int:
    """wa-js counts: a number, -1 for all."""
    try:
        return max(-1, min(int(value if value not in (None, "") else 20), 10_000))
    except (TypeError, ValueError) as exc:
        raise InvalidInput("count must be a number.") from exc


@page_endpoint(("GET",))
def chats(request: HttpRequest, session) -> HttpResponse:
    """`WPP.chat.list`: the device's chats, most recently active first."""
    sandbox_page_logged_in_device(session=session, device_token=page_device_token(request))
    return JsonResponse(
        {"chats": selectors.page_chats(session_id=session.pk, count=_count(request.GET.get("count")))}
    )


@page_endpoint(("GET",))
def chat_messages(request: HttpRequest, session) -> HttpResponse:
    """`WPP.chat.getMessages`: a chat's last messages, oldest first; `chat_not_found` for a
    chat the phone does not have, as in wa-js."""
    device = sandbox_page_logged_in_device(session=session, device_token=page_device_token(request))
    chat_id = request.GET.get("chatId", "")
    if not SandboxContact.objects.filter(session=session, phone="+" + chat_id.split("@")[0]).exists():
        raise NotFound(f"Chat not found for {chat_id}", code="chat_not_found", details={"chatId": chat_id})
    messages = selectors.page_chat_messages(
        session_id=session.pk, chat_id=chat_id, count=_count(request.GET.get("count")), me=device.wid
    )
    return JsonResponse({"messages": messages})


@page_endpoint(("POST",))
def logout(request: HttpRequest, session) -> HttpResponse:
    return JsonResponse(
        {"loggedOut": sandbox_page_logout(session=session, device_token=page_device_token(request))}
    )
