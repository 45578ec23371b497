"""A session's call setting: reject incoming calls, optionally answering with a text."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from calls import services
from calls.api.serializers import CallSettingsInputSerializer, CallSettingsSerializer
from sessions_app.selectors import session_get_for_key
from yesapp.schema import error_responses

TAG = ["Calls"]
SESSION_ID = OpenApiParameter("session_id", OpenApiTypes.UUID, OpenApiParameter.PATH)
EXAMPLE = {
    "rejectCalls": True,
    "rejectMessage": "Sorry, I can't take calls here; please write.",
    "updatedAt": None,
}


class CallSettingsApi(APIView):
    @extend_schema(
        tags=TAG,
        summary="The session's call setting",
        operation_id="calls_settings",
        parameters=[SESSION_ID],
        description="Whether incoming calls are rejected at once, and the text then sent to the caller.",
        responses={200: CallSettingsSerializer, **error_responses(404)},
        examples=[OpenApiExample("Reject with a text", value=EXAMPLE, response_only=True)],
    )
    def get(self, request, session_id):
        session = session_get_for_key(key=request.auth, session_id=session_id)
        row = services.call_settings_get(session=session)
        return Response(CallSettingsSerializer(services.call_settings_json(row)).data)

    @extend_schema(
        tags=TAG,
        summary="Change the session's call setting",
        operation_id="calls_settings_update",
        parameters=[SESSION_ID],
        description=(
            "With `rejectCalls`, every call is rejected as it rings (wa-js `WPP.call.reject`; the "
            "`call.received` webhook says `rejected: true`), and after a one-to-one call the "
            "`rejectMessage`, if any, is sent to the caller like any queued message."
        ),
        request=CallSettingsInputSerializer,
        responses={200: CallSettingsSerializer, **error_responses(400, 404)},
        examples=[
            OpenApiExample(
                "Reject with a text",
                value={"rejectCalls": True, "rejectMessage": "Sorry, I can't take calls here; please write."},
                request_only=True,
            ),
            OpenApiExample("Changed", value=EXAMPLE, response_only=True),
        ],
    )
    def patch(self, request, session_id):
        session = session_get_for_key(key=request.auth, session_id=session_id)
        body = CallSettingsInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        row = services.call_settings_update(
            session=session,
            reject_calls=data.get("rejectCalls"),
            reject_message=(data.get("rejectMessage") or "") if "rejectMessage" in data else None,
        )
        return Response(CallSettingsSerializer(services.call_settings_json(row)).data)
