"""Errors in the Graph API's shape: `{"error": {"message", "type", "code", "error_subcode",
"error_data", "fbtrace_id"}}`.

Every failure of the facade, whether raised here or by YesApp's own services, is turned into
this shape in one handler, so a Cloud API client reads it with its usual error handling. The
Graph code is chosen from YesApp's own code first, then from the HTTP status; YesApp's code and
message stay readable in `error_data.details`.
"""

from __future__ import annotations

from typing import Any

from rest_framework.response import Response

from yesapp.errors import ServiceError, describe_exception
from yesapp.logging import request_id_var

GRAPH_TYPE = "OAuthException"
# Graph's codes (developers.facebook.com, "Cloud API error codes") for what YesApp can say.
INVALID_PARAMETER = 100
ACCESS_TOKEN = 190
PERMISSION = 10
RATE_LIMIT = 130429
UNDELIVERABLE = 131026
UNSUPPORTED_TYPE = 131051
SOMETHING_WRONG = 131000
SERVICE_UNAVAILABLE = 131016
NOT_REGISTERED = 133010
# Graph's subcode for "Object with ID ... does not exist".
NO_SUCH_OBJECT = 33

_BY_YESAPP_CODE: dict[str, tuple[int, int | None]] = {
    "session_not_connected": (NOT_REGISTERED, None),
    "not_on_whatsapp": (UNDELIVERABLE, None),
    "queue_full": (RATE_LIMIT, None),
}
_BY_STATUS: dict[int, tuple[int, int | None]] = {
    400: (INVALID_PARAMETER, None),
    401: (ACCESS_TOKEN, None),
    403: (PERMISSION, None),
    404: (INVALID_PARAMETER, NO_SUCH_OBJECT),
    405: (INVALID_PARAMETER, None),
    406: (INVALID_PARAMETER, None),
    409: (SOMETHING_WRONG, None),
    413: (INVALID_PARAMETER, None),
    415: (INVALID_PARAMETER, None),
    422: (UNDELIVERABLE, None),
    429: (RATE_LIMIT, None),
    503: (SERVICE_UNAVAILABLE, None),
    504: (SERVICE_UNAVAILABLE, None),
}
_TRANSIENT = (429, 503, 504)


class GraphError(ServiceError):
    """A failure the facade names with its own Graph code (e.g. a message type a linked phone
    cannot send)."""

    def __init__(self, message: str, *, status: int, graph_code: int, subcode: int | None = None, code: str):
        super().__init__(message, code=code)
        self.status_code = status
        self.graph_code = graph_code
        self.subcode = subcode


def graph_error_body(
    *, message: str, graph_code: int, subcode: int | None, details: str, transient: bool
) -> dict[str, Any]:
    return {
        "error": {
            "message": message,
            "type": GRAPH_TYPE,
            "code": graph_code,
            "error_subcode": subcode,
            "error_data": {"messaging_product": "whatsapp", "details": details},
            "is_transient": transient,
            "fbtrace_id": request_id_var.get() or "",
        }
    }


def graph_exception_handler(exc: Exception, context: dict) -> Response:
    """DRF exception handler of the facade's views: YesApp's reply, in Graph's shape."""
    reply = describe_exception(exc, context.get("request"))
    if isinstance(exc, GraphError):
        graph_code, subcode = exc.graph_code, exc.subcode
    else:
        graph_code, subcode = _BY_YESAPP_CODE.get(reply.code) or _BY_STATUS.get(
            reply.status, (SOMETHING_WRONG, None)
        )
    body = graph_error_body(
        message=reply.message,
        graph_code=graph_code,
        subcode=subcode,
        details=f"{reply.code}: {reply.message}",
        transient=reply.status in _TRANSIENT,
    )
    headers = dict(reply.headers)
    if reply.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="YesApp"'
    return Response(body, status=reply.status, headers=headers)
