"""The sandbox page's endpoints for what the session does to a message (sandbox/actions.py):
`WPP.chat.sendReactionToMessage`, `deleteMessage` and `editMessage`, the presence
(`markIsComposing`, `markIsRecording`, `markIsPaused`) and opening a chat (`WPP.chat.find`)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse

from sandbox import actions
from sandbox.views import page_device_token, page_endpoint, page_json_body


def _text(data: dict, name: str) -> str:
    value = data.get(name)
    return value if isinstance(value, str) else ""


@page_endpoint(("POST",))
def react(request: HttpRequest, session) -> HttpResponse:
    data = page_json_body(request)
    verdict = actions.sandbox_page_react(
        session=session,
        device_token=page_device_token(request),
        wa_id=_text(data, "msgId"),
        emoji=_text(data, "emoji"),
    )
    return JsonResponse({"sendMsgResult": verdict})


@page_endpoint(("POST",))
def delete(request: HttpRequest, session) -> HttpResponse:
    data = page_json_body(request)
    answer = actions.sandbox_page_delete(
        session=session,
        device_token=page_device_token(request),
        wa_id=_text(data, "msgId"),
        revoke=data.get("revoke") is True,
    )
    return JsonResponse(answer)


@page_endpoint(("POST",))
def edit(request: HttpRequest, session) -> HttpResponse:
    data = page_json_body(request)
    msg = actions.sandbox_page_edit(
        session=session,
        device_token=page_device_token(request),
        wa_id=_text(data, "msgId"),
        text=_text(data, "text"),
    )
    return JsonResponse({"msg": msg})


@page_endpoint(("POST",))
def presence(request: HttpRequest, session) -> HttpResponse:
    data = page_json_body(request)
    actions.sandbox_page_presence(
        session=session,
        device_token=page_device_token(request),
        chat_id=_text(data, "chatId"),
        state=_text(data, "state"),
        page_ms=data.get("at"),
    )
    return JsonResponse({})


@page_endpoint(("POST",))
def find_chat(request: HttpRequest, session) -> HttpResponse:
    data = page_json_body(request)
    chat_id = actions.sandbox_page_find_chat(
        session=session, device_token=page_device_token(request), chat_id=_text(data, "chatId")
    )
    return JsonResponse({"id": chat_id})
