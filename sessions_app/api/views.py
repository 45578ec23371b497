"""Session endpoints: thin views that validate, call one service and serialize."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import renderers, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from sessions_app import services
from sessions_app.api.serializers import (
    FailedEventListQuerySerializer,
    FailedEventOutputSerializer,
    PairingCodeInputSerializer,
    PairingCodeOutputSerializer,
    QrOutputSerializer,
    SessionCreatedSerializer,
    SessionCreateInputSerializer,
    SessionEventOutputSerializer,
    SessionOutputSerializer,
)
from sessions_app.diagnostics import session_diagnose
from sessions_app.models import SessionStatus
from sessions_app.qr import qr_data_url, qr_png
from sessions_app.quarantine import failed_event_retry
from sessions_app.selectors import (
    failed_event_get,
    failed_events_for_session,
    session_get_for_key,
    sessions_for_key,
)
from yesapp.api.envelope import PageQuerySerializer, list_envelope, list_envelope_serializer
from yesapp.authentication import IsAdminKey
from yesapp.errors import Conflict, InvalidInput
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
PAIRING_EXAMPLE = {
    "status": "ready",
    "code": "K3ZP9QWA",
    "phone": "+33612345678",
    "error": "",
    "requestedAt": "2026-11-27T10:00:05Z",
}


QR_EXAMPLE = OpenApiExample(
    "Waiting for a scan",
    value={
        "status": "qr",
        "qr": "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAA...",
        "raw": "2@Zm9vYmFy,c2VjcmV0a2V5,aWRlbnRpdHk=,YWR2",
        "issuedAt": "2026-11-27T10:00:03Z",
    },
    response_only=True,
    media_type="application/json",
)
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
    service = getattr(services, f"session_{action}")

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


class PngRenderer(renderers.BaseRenderer):
    media_type = "image/png"
    format = "png"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class SessionQrApi(APIView):
    renderer_classes = [renderers.JSONRenderer, PngRenderer]

    @extend_schema(
        tags=TAG,
        operation_id="sessions_qr",
        examples=[QR_EXAMPLE],
        summary="Get the QR code to link a phone",
        description=(
            "While the session waits for a scan (`status` = `qr`): the QR as a PNG data URL plus the "
            "raw string. Send `Accept: image/png` to get the PNG itself. On the phone: WhatsApp → "
            "Settings → Linked devices → Link a device. The QR changes every ~20 s; poll this every "
            "few seconds. 409 when the session is not waiting for a scan."
        ),
        responses={
            (200, "application/json"): QrOutputSerializer,
            (200, "image/png"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The QR code as a PNG image."
            ),
            **error_responses(404, 409),
        },
    )
    def get(self, request, session_id):
        session = session_get_for_key(key=request.auth, session_id=session_id)
        if session.status != SessionStatus.QR or not session.qr_raw:
            if request.accepted_renderer.format == "png":
                request.accepted_renderer = renderers.JSONRenderer()
                request.accepted_media_type = "application/json"
            raise Conflict(
                f"The session is not waiting for a scan (status: {session.status}).",
                code="not_waiting_for_scan",
                details={"status": session.status},
            )
        if request.accepted_renderer.format == "png":
            return HttpResponse(qr_png(session.qr_raw), content_type="image/png")
        return Response(
            {
                "status": session.status,
                "qr": qr_data_url(session.qr_raw),
                "raw": session.qr_raw,
                "issuedAt": session.qr_issued_at,
            }
        )


class SessionPairingCodeApi(APIView):
    @extend_schema(
        tags=TAG,
        operation_id="sessions_pairing_code",
        summary="Link with a phone number instead of a QR",
        description=(
            "Asks WhatsApp for an 8-character pairing code for this number (wa-js "
            "`WPP.conn.genLinkDeviceCodeForPhoneNumber`). On the phone: Linked devices → Link a device → "
            "Link with phone number instead, then type the code. 409 unless the session waits for a scan.\n\n"
            "The API waits at most `ENGINE_COMMAND_WAIT` (2 s) for the browser: **200** with `status` "
            "`ready` and the `code` when it answered in time, otherwise **202** with `status` `pending`. "
            "Then poll `GET /sessions/{id}`: its `pairingCode` becomes `ready` (with the code) or `failed` "
            "(with `error`). An error the engine answers in time is a 409 with its code."
        ),
        request=PairingCodeInputSerializer,
        responses={
            200: PairingCodeOutputSerializer,
            202: PairingCodeOutputSerializer,
            **error_responses(400, 404, 409, 503),
        },
        examples=[
            OpenApiExample("Request", value={"phone": "+33612345678"}, request_only=True),
            OpenApiExample("Code", value=PAIRING_EXAMPLE, response_only=True, status_codes=["200"]),
            OpenApiExample(
                "Not answered yet",
                value={**PAIRING_EXAMPLE, "status": "pending", "code": ""},
                response_only=True,
                status_codes=["202"],
            ),
        ],
    )
    def post(self, request, session_id):
        session = session_get_for_key(key=request.auth, session_id=session_id)
        data = PairingCodeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        state = services.session_pairing_code(session=session, **data.validated_data)
        ready = state.get("status") == "ready"
        return Response(
            PairingCodeOutputSerializer(state).data,
            status=status.HTTP_200_OK if ready else status.HTTP_202_ACCEPTED,
            headers={} if ready else {"Location": f"/api/v1/sessions/{session.pk}"},
        )


class SessionDiagnosticsApi(APIView):
    class OutputSerializer(serializers.Serializer):
        class CheckSerializer(serializers.Serializer):
            name = serializers.CharField()
            ok = serializers.BooleanField(allow_null=True, help_text="null: nothing to judge yet.")
            value = serializers.JSONField(allow_null=True)
            verdict = serializers.CharField()

        sessionId = serializers.UUIDField()
        status = serializers.CharField()
        checkedAt = serializers.DateTimeField()
        wajsVersion = serializers.CharField()
        whatsappVersion = serializers.CharField()
        healthy = serializers.BooleanField()
        checks = CheckSerializer(many=True)

    @extend_schema(
        tags=TAG,
        operation_id="sessions_diagnostics",
        summary="Diagnose a running session",
        description=(
            "Asks the session's page right now: wa-js and WhatsApp Web versions, whether every wa-js "
            "function and event YesApp relies on is there; adds the last event received, browser "
            "memory and the last errors, each with a plain verdict. Attach it to a bug report. "
            "409 unless an engine node runs the session; 504 if the page does not answer within "
            "ENGINE_DIAGNOSTICS_TIMEOUT."
        ),
        responses={200: OutputSerializer, **error_responses(404, 409, 503, 504)},
        examples=[
            OpenApiExample(
                "Healthy",
                response_only=True,
                value={
                    "sessionId": "5f0c6f1e-3d7a-4c1b-9a63-2f4f2d0c8b11",
                    "status": "connected",
                    "checkedAt": "2026-12-01T01:20:00Z",
                    "wajsVersion": "4.6.0",
                    "whatsappVersion": "2.3000.1017",
                    "healthy": True,
                    "checks": [
                        {"name": "contract functions", "ok": True, "value": 18, "verdict": "all 18 present"},
                        {"name": "browser memory", "ok": True, "value": 301989888, "verdict": "288 MB"},
                    ],
                },
            )
        ],
    )
    def get(self, request, session_id):
        session = session_get_for_key(key=request.auth, session_id=session_id)
        return Response(self.OutputSerializer(session_diagnose(session=session)).data)


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


FAILED_EVENT_EXAMPLE = {
    "id": "0c6a1f7e-2b7d-4d8e-9a51-3f5e0b1c2d3e",
    "sessionId": "5b0e7c1e-8f0a-4c1e-9a55-1d3c2b7a9e10",
    "event": "chat.new_message",
    "status": "quarantined",
    "error": "MalformedEvent: chat.new_message without a message id",
    "attempts": 1,
    "payload": '{"id": null, "from": "4915112345678@c.us", "type": "chat", "body": "Hi"}',
    "truncated": False,
    "pageAt": "2026-11-27T10:05:00Z",
    "createdAt": "2026-11-27T10:05:00Z",
    "updatedAt": "2026-11-27T10:05:00Z",
    "resolvedAt": None,
}


class FailedEventListApi(APIView):
    @extend_schema(
        tags=TAG,
        operation_id="sessions_failed_events",
        summary="Page events the engine could not store",
        description=(
            "Events from WhatsApp Web that raised while being stored are kept here with the error "
            "instead of being dropped (the session carries on). Newest first; `status` filters. "
            "Kept FAILED_EVENT_RETENTION_DAYS days."
        ),
        parameters=[FailedEventListQuerySerializer],
        responses={
            200: list_envelope_serializer(FailedEventOutputSerializer(many=True), name="FailedEventList"),
            **error_responses(400, 404),
        },
        examples=[
            OpenApiExample(
                "One quarantined event",
                value={"items": [FAILED_EVENT_EXAMPLE], "total": 1, "limit": 50, "offset": 0},
                response_only=True,
            )
        ],
    )
    def get(self, request, session_id):
        session = session_get_for_key(key=request.auth, session_id=session_id)
        query = FailedEventListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        limit, offset = query.validated_data["limit"], query.validated_data["offset"]
        failed = failed_events_for_session(session=session, status=query.validated_data.get("status"))
        items = FailedEventOutputSerializer(failed[offset : offset + limit], many=True).data
        return Response(list_envelope(items=items, total=failed.count(), limit=limit, offset=offset))


class FailedEventRetryApi(APIView):
    @extend_schema(
        tags=TAG,
        operation_id="sessions_failed_events_retry",
        request=None,
        summary="Handle a failed page event again",
        description=(
            "Marks the event `retrying`; the session's engine handles it again at once if it runs, "
            "when it next connects otherwise, and it ends `resolved` or `quarantined` with the new "
            "error. 409 for an event already resolved or too large to have been kept whole."
        ),
        responses={202: FailedEventOutputSerializer, **error_responses(404, 409)},
        examples=[
            OpenApiExample(
                "Retry requested",
                value={**FAILED_EVENT_EXAMPLE, "status": "retrying"},
                response_only=True,
                status_codes=["202"],
            )
        ],
    )
    def post(self, request, session_id, event_id):
        session = session_get_for_key(key=request.auth, session_id=session_id)
        failed = failed_event_retry(failed_event=failed_event_get(session=session, event_id=event_id))
        return Response(FailedEventOutputSerializer(failed).data, status=status.HTTP_202_ACCEPTED)
