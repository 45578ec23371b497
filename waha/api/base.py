"""What every WAHA view shares: WAHA's error shape, the schema tag, sessions by name."""

from drf_spectacular.utils import OpenApiResponse
from rest_framework.views import APIView

from sessions_app.models import Session
from waha.api.serializers import WahaErrorSerializer
from waha.errors import waha_exception_handler
from waha.selectors import waha_session_get

TAG = ["WAHA compatibility"]

_ERROR_TITLES = {
    400: "Invalid input",
    401: "No API key, or an unknown one (X-Api-Key)",
    403: "This key may not do this",
    404: "No such session (or not visible to this key)",
    406: "No acceptable answer type",
    409: "Conflict with the session's state",
    413: "Body too large",
    415: "Unsupported body type",
    422: "The session is not WORKING, or WhatsApp refused",
    429: "Too many requests",
    503: "A dependency is down",
    504: "Not done in time",
    507: "The session's media quota is full",
}
# What any call can meet: a bad body or key, the rate limit, content negotiation.
_ALWAYS = (400, 401, 406, 413, 415, 429)


def waha_errors(*statuses: int) -> dict[int, OpenApiResponse]:
    """WAHA-shaped error answers for the schema; those every call can meet are always listed, so
    YesApp's schema hook does not add its own error shape to these operations."""
    return {
        status: OpenApiResponse(WahaErrorSerializer, description=_ERROR_TITLES.get(status, "Error"))
        for status in sorted({*_ALWAYS, *statuses})
    }


class WahaView(APIView):
    """Errors in WAHA's shape instead of YesApp's envelope."""

    def get_exception_handler(self):
        return waha_exception_handler

    def session_named(self, name: str) -> Session:
        return waha_session_get(key=self.request.auth, name=name)
