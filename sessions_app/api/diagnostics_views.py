"""What went wrong in a session: a live diagnostics report and the page events it could not store."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from sessions_app.api.serializers import FailedEventListQuerySerializer, FailedEventOutputSerializer
from sessions_app.api.views import TAG
from sessions_app.diagnostics import session_diagnose
from sessions_app.quarantine import failed_event_retry
from sessions_app.selectors import failed_event_get, failed_events_for_session, session_get_for_key
from yesapp.api.envelope import list_envelope, list_envelope_serializer
from yesapp.schema import error_responses


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
