"""Request-wide middleware: request ids and the body size limit."""

import re
import uuid

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from yesapp.errors import error_response
from yesapp.logging import request_id_var

# A client-chosen id is echoed back only when it is short and harmless in a log line.
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdMiddleware:
    """Honours an incoming `X-Request-ID` (or makes one), logs with it, returns it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request_id
        return response


class BodySizeLimitMiddleware:
    """Answers 413 before reading a body larger than API_MAX_BODY_BYTES.

    DRF's JSON parser reads the raw stream, which bypasses Django's own
    DATA_UPLOAD_MAX_MEMORY_SIZE check, so the limit is enforced here for every view.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.headers.get("Content-Length") or 0)
        except ValueError:
            return error_response(400, "bad_request", "Content-Length is not a number.")
        if length > settings.API_MAX_BODY_BYTES:
            return error_response(
                413,
                "payload_too_large",
                f"The request body is {length} bytes; the limit is {settings.API_MAX_BODY_BYTES}.",
                {"limit": settings.API_MAX_BODY_BYTES},
            )
        return self.get_response(request)
