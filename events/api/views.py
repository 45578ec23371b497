"""`GET /api/v1/events` (pages of the log, for clients that poll) and `GET /api/v1/events/stream`
(the same entries as Server-Sent Events, live)."""

from django.conf import settings
from django.http import StreamingHttpResponse
from django.utils.module_loading import import_string
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from events.api.serializers import (
    EventListOutputSerializer,
    EventListQuerySerializer,
    EventOutputSerializer,
    EventStreamQuerySerializer,
)
from events.selectors import event_log_end, event_log_horizon, events_for_key
from events.stream import StreamFilters, event_stream, pruned_message
from sessions_app.selectors import session_get_for_key
from yesapp.api.envelope import list_envelope
from yesapp.errors import ServiceError
from yesapp.schema import ApiErrorSerializer, error_responses

TAG = ["events"]
_FILTER_PARAMS = [
    OpenApiParameter("session", OpenApiTypes.UUID, description="Only this session's events."),
    OpenApiParameter(
        "types",
        str,
        description=(
            "Only these events, comma-separated, e.g. `message.received,message.status`. "
            "`chat.presence` comes only when named here."
        ),
    ),
]
_EVENT_EXAMPLE = {
    "id": 1042,
    "event": "message.received",
    "sessionId": "3f1c2b9e-8d7a-4e62-9f0a-1b2c3d4e5f60",
    "createdAt": "2026-01-05T10:02:41.123456Z",
    # The webhook body of the same event (docs/WEBHOOKS.md), shortened.
    "data": {
        "event": "message.received",
        "sessionId": "3f1c2b9e-8d7a-4e62-9f0a-1b2c3d4e5f60",
        "messageId": "5c9e6f1a-0b7d-4d1e-8a39-2f4b6c8d0e12",
        "direction": "inbound",
        "status": "received",
        "type": "text",
        "from": "33612345678@c.us",
        "text": "Hello!",
        "timestamp": "2026-01-05T10:02:41Z",
        "mediaUrl": None,
    },
}


class EventsPruned(ServiceError):
    status_code = 410
    code = "events_pruned"


def _filters(request: Request, serializer_class) -> tuple[dict, StreamFilters]:
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    data = query.validated_data
    session_id = data.get("session")
    if session_id is not None:
        session_get_for_key(key=request.auth, session_id=session_id)  # 404 outside the key's scope
    return data, StreamFilters(key=request.auth, session_id=session_id, names=data.get("types", ()))


class EventListApi(APIView):
    @extend_schema(
        tags=TAG,
        operation_id="events_list",
        summary="Page through the event log",
        description=(
            "Every event YesApp emitted (the ones webhooks get), oldest first, with the id it has "
            "in the log. Poll with `after` set to the last id you saw. A key limited to some "
            "sessions sees only theirs. 410 (`events_pruned`) when events after `after` were "
            "already deleted (EVENT_RETENTION_DAYS)."
        ),
        parameters=[EventListQuerySerializer],
        responses={
            200: OpenApiResponse(
                EventListOutputSerializer,
                examples=[
                    OpenApiExample(
                        "One page", value={"items": [_EVENT_EXAMPLE], "total": 1, "limit": 100, "offset": 0}
                    )
                ],
            ),
            **error_responses(400, 404),
            410: OpenApiResponse(
                ApiErrorSerializer,
                description="Events after `after` are past the retention",
                examples=[
                    OpenApiExample(
                        "Past the retention",
                        value={
                            "error": {
                                "code": "events_pruned",
                                "message": "Events after #12 are partly past the retention "
                                "(EVENT_RETENTION_DAYS) and were deleted. Reload your state from "
                                "the API, then read on from #977.",
                                "details": {"after": 12, "prunedThrough": 977},
                            }
                        },
                        status_codes=["410"],
                        response_only=True,
                    )
                ],
            ),
        },
    )
    def get(self, request: Request) -> Response:
        data, filters = _filters(request, EventListQuerySerializer)
        after, limit = data["after"], data["limit"]
        horizon = event_log_horizon()
        if 0 < after < horizon:
            raise EventsPruned(
                pruned_message(after=after, horizon=horizon),
                details={"after": after, "prunedThrough": horizon},
            )
        entries = events_for_key(
            key=filters.key, after=after, session_id=filters.session_id, names=filters.names
        )
        items = EventOutputSerializer(entries[:limit], many=True).data
        return Response(list_envelope(items=items, total=entries.count(), limit=limit, offset=0))


class EventStreamApi(APIView):
    """The checks (key, filters, scope) run as any API call; the stream itself is an async
    iterator the ASGI server drives on its event loop."""

    def get_authenticators(self):
        # The `X-API-Key` header, or the dashboard's sign-in cookie (for reads, like the API docs).
        return [import_string(path)() for path in settings.READER_AUTHENTICATION_CLASSES]

    def perform_content_negotiation(self, request, force=False):
        # Clients ask for `text/event-stream`; errors before the stream starts answer in JSON.
        return JSONRenderer(), JSONRenderer.media_type

    @extend_schema(
        tags=TAG,
        operation_id="events_stream",
        summary="Stream events live (Server-Sent Events)",
        description=(
            "One SSE event per log entry: `id:` its log id, `event:` its name, `data:` the JSON "
            "body webhooks get. Resume with the `Last-Event-ID` header (what `EventSource` sends "
            "when it reconnects) or `after`: you get exactly the events after that id, nothing "
            "missed while you were away. Without either, the stream starts with the next event. "
            "A comment line every EVENT_STREAM_HEARTBEAT seconds (15) keeps proxies from closing "
            "it. When the position asked for is past the retention, one `event: error` with "
            '`{"error": {"code": "events_pruned", ...}}` is sent and the stream ends. The key goes '
            "in the `X-API-Key` header only; a key in the URL is refused."
        ),
        parameters=[
            OpenApiParameter("after", int, description="Start after this event id (0: the oldest kept)."),
            *_FILTER_PARAMS,
            OpenApiParameter(
                "Last-Event-ID",
                int,
                OpenApiParameter.HEADER,
                description="Start after this event id; wins over `after`.",
            ),
        ],
        responses={
            (200, "text/event-stream"): OpenApiResponse(
                OpenApiTypes.STR,
                description="An endless stream of Server-Sent Events.",
                examples=[
                    OpenApiExample(
                        "Two events and a heartbeat",
                        value=(
                            'id: 1042\nevent: message.received\ndata: {"event":"message.received",...}\n\n'
                            'id: 1043\nevent: message.status\ndata: {"event":"message.status",...}\n\n'
                            ": heartbeat\n\n"
                        ),
                    )
                ],
            ),
            **error_responses(400, 404),
        },
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        data, filters = _filters(request, EventStreamQuerySerializer)
        after = _last_event_id(request)
        if after is None:
            after = data.get("after")
        if after is None:
            # Fixed before the answer's headers go out: whatever commits after them is streamed.
            after = event_log_end()
        stream = event_stream(
            filters=filters,
            after=after,
            pruned_through=event_log_horizon(),
            heartbeat=settings.EVENT_STREAM_HEARTBEAT,
        )
        response = StreamingHttpResponse(stream, content_type="text/event-stream")
        response["Cache-Control"] = "no-cache"
        # nginx and similar proxies would otherwise buffer the stream.
        response["X-Accel-Buffering"] = "no"
        return response


def _last_event_id(request: Request) -> int | None:
    raw = request.headers.get("Last-Event-ID", "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise ServiceError(
            "Last-Event-ID must be the id of an event (a whole number).",
            code="validation_error",
            details={"Last-Event-ID": raw[:40]},
        )
    return int(raw)
