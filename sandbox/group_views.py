"""The page endpoints behind the sandbox's `WPP.group.*` and `WPP.call.reject`
(static/sandbox/wpp/group.js); authenticated like every page endpoint (sandbox/views.py
`page_endpoint`)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse

from sandbox.calls import page_call_reject
from sandbox.group_page import page_group_call
from sandbox.views import page_device_token, page_endpoint, page_json_body


@page_endpoint(("POST",))
def group(request: HttpRequest, session) -> HttpResponse:
    """One `WPP.group.*` call: `{op, args}` → `{value}` (or a wa-js error code)."""
    data = page_json_body(request)
    args = data.get("args") if isinstance(data.get("args"), dict) else {}
    value = page_group_call(
        session=session, device_token=page_device_token(request), op=str(data.get("op") or ""), args=args
    )
    return JsonResponse({"value": value})


@page_endpoint(("POST",))
def call_reject(request: HttpRequest, session) -> HttpResponse:
    call_id = str(page_json_body(request).get("callId") or "")
    rejected = page_call_reject(session=session, device_token=page_device_token(request), call_id=call_id)
    return JsonResponse({"value": rejected})
