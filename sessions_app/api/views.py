"""Session endpoints: the sessions themselves, their actions and their status history.

Linking a phone (QR, pairing code) is in link_views.py; diagnostics and failed page events in
diagnostics_views.py. Views are thin: they validate, call one service and serialize.
"""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from sessions_app import services
from sessions_app.api.serializers import (
    SessionCreatedSerializer,
    SessionCreateInputSerializer,
    SessionEventOutputSerializer,
    SessionOutputSerializer,
)
from sessions_app.models import SessionStatus
from sessions_app.selectors import session_get_for_key, sessions_for_key
from yesapp.api.envelope import PageQuerySerializer, list_envelope, list_envelope_serializer
from yesapp.authentication import IsAdminKey
from yesapp.errors import InvalidInput
from yesapp.schema import error_responses

TAG = ["Sessions"]
SESSION_EXAMPLE = {
    "id": "5b0e7c1e-8f0a-4c1e-9a55-1d3c2b7a9e10",
    "name": "support",
    "sandbox": True,
    "status": "connected",
    "desiredState": "running",
    "phone": "+33612345678",
    "pushName": "",
    "lastError": "",
    "engineNode": "engine@host",
    "createdAt": "2026-11-27T10:00:00Z",
    "updatedAt": "2026-11-27T10:01:00Z",
    "statusChangedAt": "2026-11-27T10:01:00Z",
    "lastConnectedAt": "2026-11-27T10:01:00Z",
    "lastActivityAt": "2026-11-27T10:05:00Z",
    "pairingCode": None,
}
_EVENTS = [
    {
        "fromStatus": "disconnected",
        "toStatus": "connected",
        "reason": "linked and ready",
        "createdAt": "2026-11-27T10:02:04Z",
    },
    {
        "fromStatus": "connected",
        "toStatus": "disconnected",
        "reason": "browser problem at step 'drain events': ...; restarting in 1s",
        "createdAt": "2026-11-27T10:02:00Z",
    },
]
EVENTS_EXAMPLE = OpenApiExample(
    "Linked, then a browser crash",
    value=list_envelope(items=_EVENTS, total=2, limit=100, offset=0),
    response_only=True,
)


class SessionListCreateApi(APIView):
    def get_permissions(self):
        # Any key lists the sessions it may see; only admin keys create sessions.
        return [IsAdminKey()] if self.request.method == "POST" else super().get_permissions()

    @extend_schema(
        tags=TAG,
        operation_id="sessions_list",
        examples=[
            OpenApiExample(
                "One session",
                value=list_envelope(items=[SESSION_EXAMPLE], total=1, limit=100, offset=0),
                response_only=True,
            )
        ],
        summary="List sessions",
        description="Every session this API key may see, oldest first, with its status: "
        "`{items, total, limit, offset}`.",
        parameters=[PageQuerySerializer],
        responses={
            200: list_envelope_serializer(SessionOutputSerializer(many=True), name="SessionList"),
            **error_responses(400),
        },
    )
    def get(self, request):
        sessions = sessions_for_key(key=request.auth)
        if wanted := request.query_params.get("status"):
            if wanted not in SessionStatus.values:
                raise InvalidInput(f"status must be one of {', '.join(SessionStatus.values)}.")
            sessions = sessions.filter(status=wanted)
        page = PageQuerySerializer(data=request.query_params)
        page.is_valid(raise_exception=True)
        limit, offset = page.validated_data["limit"], page.validated_data["offset"]
        items = SessionOutputSerializer(sessions[offset : offset + limit], many=True).data
        return Response(list_envelope(items=items, total=sessions.count(), limit=limit, offset=offset))

    @extend_schema(
        tags=TAG,
        operation_id="sessions_create",
        summary="Create and start a session",
        description=(
            "Creates a session and starts its browser. Poll `GET /sessions/{id}` (or the `session.status` "
            "webhook) until `status` is `qr`, then show `GET /sessions/{id}/qr` to the phone. With "
            '`"sandbox": true` the session runs on the built-in sandbox: link it with '
            "`POST /sandbox/sessions/{id}/link`, no phone needed. Admin keys only."
        ),
        request=SessionCreateInputSerializer,
        responses={201: SessionCreatedSerializer, **error_responses(400, 403, 409)},
        examples=[
            OpenApiExample("Sandbox session", value={"name": "support", "sandbox": True}, request_only=True),
            OpenApiExample(
                "With a webhook",
                value={"name": "shop", "webhook": {"url": "https://example.com/hook"}},
                request_only=True,
            ),
            OpenApiExample("Created", value={**SESSION_EXAMPLE, "status": "starting"}, response_only=True),
        ],
    )
    def post(self, request):
        data = SessionCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        session, answer = services.session_create(**data.validated_data)
        body = SessionOutputSerializer(session).data
        body.update(answer)
        return Response(body, status=status.HTTP_201_CREATED)


class SessionDetailApi(APIView):
    def get_permissions(self):
        return [IsAdminKey()] if self.request.method == "DELETE" else super().get_permissions()

    @extend_schema(
        tags=TAG,
        operation_id="sessions_get",
        summary="Get a session",
        description="The session's status, linked number and last error.",
        responses={200: SessionOutputSerializer, **error_responses(404)},
        examples=[OpenApiExample("Connected", value=SESSION_EXAMPLE, response_only=True)],
    )
    def get(self, request, session_id):
        return Response(
            SessionOutputSerializer(session_get_for_key(key=request.auth, session_id=session_id)).data
        )

    @extend_schema(
        tags=TAG,
        operation_id="sessions_delete",
        summary="Delete a session",
        description="Stops the browser, deletes its profile directory (the link to the phone) and all "
        "its data: messages, media, webhook configuration. Admin keys only.",
        responses={204: OpenApiResponse(description="Deleted."), **error_responses(403, 404)},
    )
    def delete(self, request, session_id):
        services.session_delete(session=session_get_for_key(key=request.auth, session_id=session_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


def _action_view(action: str, summary: str, description: str, errors: tuple[int, ...] = (404, 409)):
    service = services.SESSION_ACTIONS[action]

    class SessionActionApi(APIView):
        @extend_schema(
            tags=TAG,
            summary=summary,
            description=description,
            request=None,
            responses={202: SessionOutputSerializer, **error_responses(*errors)},
            operation_id=f"sessions_{action}",
            examples=[
                OpenApiExample("Accepted", value=SESSION_EXAMPLE, response_only=True, status_codes=["202"])
            ],
        )
        def post(self, request, session_id):
            session = service(session=session_get_for_key(key=request.auth, session_id=session_id))
            return Response(SessionOutputSerializer(session).data, status=status.HTTP_202_ACCEPTED)

    SessionActionApi.__name__ = f"Session{action.title()}Api"
    return SessionActionApi


SessionStartApi = _action_view(
    "start", "Start a session", "Starts a stopped or failed session. 409 when it is already running."
)
SessionStopApi = _action_view(
    "stop",
    "Stop a session",
    "Closes the browser; the phone stays linked, so a later start needs no new scan. "
    "409 when already stopped.",
)
SessionRestartApi = _action_view(
    "restart",
    "Restart a session",
    "Restarts the browser (a fresh page, same profile: no new scan).",
    errors=(404,),
)
SessionLogoutApi = _action_view(
    "logout",
    "Log out (unlink the phone)",
    "Unlinks this device from the phone (WPP.conn.logout); the session then waits for a new scan. "
    "409 unless the session is linked. The API waits at most `ENGINE_COMMAND_WAIT` (2 s) for the "
    "browser and answers 202 either way: poll `GET /sessions/{id}` until `status` is `qr`. An error "
    "the engine answers in time is a 409; one that comes later is in `GET /sessions/{id}/events` "
    "(reason `logout failed: ...`).",
    errors=(404, 409, 503),
)


class SessionEventsApi(APIView):
    @extend_schema(
        tags=TAG,
        operation_id="sessions_events",
        examples=[EVENTS_EXAMPLE],
        summary="Status history of a session",
        description="The status changes with their reasons, newest first: `{items, total, limit, offset}`.",
        parameters=[PageQuerySerializer],
        responses={
            200: list_envelope_serializer(SessionEventOutputSerializer(many=True), name="SessionEventList"),
            **error_responses(400, 404),
        },
    )
    def get(self, request, session_id):
        session = session_get_for_key(key=request.auth, session_id=session_id)
        page = PageQuerySerializer(data=request.query_params)
        page.is_valid(raise_exception=True)
        limit, offset = page.validated_data["limit"], page.validated_data["offset"]
        events = session.events.all()
        items = SessionEventOutputSerializer(events[offset : offset + limit], many=True).data
        return Response(list_envelope(items=items, total=events.count(), limit=limit, offset=offset))
