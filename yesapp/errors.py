"""One error shape for the whole API: `{"error": {"code", "message", "details"}}`.

Services raise `ServiceError` subclasses; DRF's own exceptions and anything unexpected are
mapped here, in one handler, so every client sees the same shape for every failure.
"""

import logging
import math
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import (
    BadRequest,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response

logger = logging.getLogger(__name__)


class ServiceError(Exception):
    """A failure a client can act on. Subclasses set the HTTP status and a stable code."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}
        if code:
            self.code = code


class InvalidInput(ServiceError):
    status_code = 400
    code = "validation_error"


class Forbidden(ServiceError):
    """The key may see the resource but not do this to it (403)."""

    status_code = 403
    code = "forbidden"


class NotFound(ServiceError):
    status_code = 404
    code = "not_found"


class Conflict(ServiceError):
    """The request is valid but not in the current state of the resource (409)."""

    status_code = 409
    code = "conflict"


class TooManyRequests(ServiceError):
    status_code = 429
    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after: int, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServiceUnavailable(ServiceError):
    """A dependency (Redis, the engine) is down; nothing was stored (503)."""

    status_code = 503
    code = "service_unavailable"


class GatewayTimeout(ServiceError):
    """The engine took the request but the page did not answer in time (504)."""

    status_code = 504
    code = "engine_timeout"


def error_body(code: str, message: str, details: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def error_response(status: int, code: str, message: str, details: dict | None = None) -> JsonResponse:
    """A plain Django response in the API's error shape, for code outside DRF views."""
    return JsonResponse(error_body(code, message, details), status=status)


_DRF_CODES = {
    drf_exceptions.ParseError: "malformed_request",
    drf_exceptions.NotAuthenticated: "not_authenticated",
    drf_exceptions.AuthenticationFailed: "authentication_failed",
    drf_exceptions.PermissionDenied: "permission_denied",
    drf_exceptions.NotFound: "not_found",
    drf_exceptions.MethodNotAllowed: "method_not_allowed",
    drf_exceptions.NotAcceptable: "not_acceptable",
    drf_exceptions.UnsupportedMediaType: "unsupported_media_type",
    drf_exceptions.Throttled: "too_many_requests",
}

# Codes for error responses that were not raised as exceptions (Django's own 404/405 pages).
STATUS_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    429: "too_many_requests",
    500: "internal_error",
    503: "service_unavailable",
    507: "insufficient_storage",
}


def _validation_message(detail: Any) -> str:
    """The first human-readable message inside a DRF validation error, with its field."""
    if isinstance(detail, dict):
        for field, value in detail.items():
            inner = _validation_message(value)
            return inner if field == "non_field_errors" else f"{field}: {inner}"
    if isinstance(detail, list) and detail:
        return _validation_message(detail[0])
    return str(detail) if detail else "Invalid input."


@dataclass
class ErrorReply:
    status: int
    code: str
    message: str
    details: dict = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def body(self) -> dict:
        return error_body(self.code, self.message, self.details)


def describe_exception(exc: Exception, request: HttpRequest | None = None) -> ErrorReply:
    """Maps any exception to the API's error reply; unexpected ones are logged with traceback."""
    if isinstance(exc, ServiceError):
        reply = ErrorReply(exc.status_code, exc.code, exc.message, exc.details)
        if isinstance(exc, TooManyRequests):
            reply.headers["Retry-After"] = str(exc.retry_after)
        return reply
    if isinstance(exc, drf_exceptions.ValidationError):
        details = exc.detail if isinstance(exc.detail, dict) else {"errors": exc.detail}
        return ErrorReply(400, "validation_error", _validation_message(exc.detail), details)
    if isinstance(exc, DjangoValidationError):
        return ErrorReply(400, "validation_error", " ".join(exc.messages), {"errors": exc.messages})
    if isinstance(exc, drf_exceptions.APIException):
        reply = ErrorReply(exc.status_code, _DRF_CODES.get(type(exc), exc.default_code), str(exc.detail))
        if isinstance(exc, drf_exceptions.NotAuthenticated):
            reply.message = "An API key is required in the X-API-Key header."
        elif isinstance(exc, drf_exceptions.ParseError):
            reply.message = f"The request body could not be parsed: {exc.detail}"
        elif isinstance(exc, drf_exceptions.Throttled) and exc.wait is not None:
            retry_after = max(1, math.ceil(exc.wait))
            reply.headers["Retry-After"] = str(retry_after)
            reply.details = {"retry_after": retry_after}
        if reply.status == 401:
            reply.headers["WWW-Authenticate"] = getattr(exc, "auth_header", None) or "X-API-Key"
        return reply
    if isinstance(exc, Http404):
        return ErrorReply(404, "not_found", "Not found.")
    if isinstance(exc, PermissionDenied):
        return ErrorReply(403, "permission_denied", "Permission denied.")
    if isinstance(exc, RequestDataTooBig):
        return ErrorReply(413, "payload_too_large", "The request body is too large.")
    if isinstance(exc, (BadRequest, SuspiciousOperation)):
        return ErrorReply(400, "bad_request", "Bad request.")
    # The traceback goes to the log (with the request id); the client sees none of it.
    logger.error(
        "Unhandled error in %s %s",
        getattr(request, "method", "?"),
        getattr(request, "path", "?"),
        exc_info=(type(exc), exc, exc.__traceback__),
    )
    return ErrorReply(500, "internal_error", "Internal server error.")


def api_exception_handler(exc: Exception, context: dict) -> Response:
    """DRF's EXCEPTION_HANDLER: maps every exception to the one error shape."""
    reply = describe_exception(exc, context.get("request"))
    return Response(reply.body, status=reply.status, headers=reply.headers)


# Paths whose every answer is JSON, errors included (the probes live outside /api/).
JSON_PATHS = ("/api/", "/health", "/ready")


def wants_json(request: HttpRequest) -> bool:
    return request.path.startswith(JSON_PATHS) or "application/json" in request.headers.get("Accept", "")


def handler404(request: HttpRequest, exception: Exception | None = None):
    if wants_json(request):
        return error_response(404, "not_found", f"No endpoint at {request.path}.")
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def handler500(request: HttpRequest):
    if wants_json(request):
        return error_response(500, "internal_error", "Internal server error.")
    from django.views.defaults import server_error

    return server_error(request)


def handler400(request: HttpRequest, exception: Exception | None = None):
    if wants_json(request):
        return error_response(400, "bad_request", "Bad request.")
    from django.views.defaults import bad_request

    return bad_request(request, exception)
