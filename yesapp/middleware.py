"""Request-wide middleware: request ids, the API's error shape outside DRF, the body size limit."""

import logging
import re
import time
import uuid

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from yesapp.errors import STATUS_CODES, describe_exception, error_response, wants_json
from yesapp.logging import request_id_var

# A client-chosen id is echoed back only when it is short and harmless in a log line.
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# Probes, static files and the sandbox page's 4-per-second polls would drown the access log.
_QUIET_PATHS = ("/health", "/ready", "/static/", "/sandbox/web/")
access_logger = logging.getLogger("yesapp.access")


class RequestIdMiddleware:
    """Honours an incoming `X-Request-ID` (or makes one), logs with it, returns it.

    Also writes the access log: one line per request with method, path, status and duration.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            duration_ms = round((time.monotonic() - started) * 1000, 1)
            # Probes, static files and the dashboard's own polling are frequent and dull:
            # logged only at DEBUG (errors are still logged at INFO).
            quiet = request.path.startswith(_QUIET_PATHS) or (
                request.method == "GET" and request.headers.get("X-Requested-With") == "fetch"
            )
            level = logging.DEBUG if quiet and response.status_code < 500 else logging.INFO
            access_logger.log(
                level,
                "%s %s %s %.1fms",
                request.method,
                request.path,
                response.status_code,
                duration_ms,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": duration_ms,
                },
            )
        finally:
            request_id_var.reset(token)
        return response


class ApiErrorMiddleware:
    """Keeps the one error shape on API paths for failures that happen outside DRF views.

    An exception in a plain Django view becomes the JSON error reply (500 without the
    traceback, which is logged), and Django's own HTML error pages (404 from the URL
    resolver, 405 from `require_GET`, DEBUG pages) are replaced by JSON.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code < 400 or not wants_json(request) or _is_json(response):
            return response
        status = response.status_code
        message = _html_error_message(request, response)
        replacement = error_response(status, STATUS_CODES.get(status, "error"), message)
        for header in ("Allow", "Retry-After", "WWW-Authenticate"):
            if header in response:
                replacement[header] = response[header]
        return replacement

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not wants_json(request):
            return None
        reply = describe_exception(exception, request)
        response = JsonResponse(reply.body, status=reply.status)
        for name, value in reply.headers.items():
            response[name] = value
        return response


def _is_json(response: HttpResponse) -> bool:
    return response.get("Content-Type", "").startswith("application/json")


def _html_error_message(request: HttpRequest, response: HttpResponse) -> str:
    if response.status_code == 404:
        return f"No endpoint at {request.path}."
    if response.status_code == 405:
        allowed = response.get("Allow", "")
        return f"Method {request.method} is not allowed here" + (f"; use {allowed}." if allowed else ".")
    if response.status_code >= 500:
        return "Internal server error."
    return "The request failed."


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
