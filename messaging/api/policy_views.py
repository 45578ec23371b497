"""GET/PUT/PATCH /sessions/{id}/sending-policy: how a session sends (messaging.sending_policy)."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from messaging import pacing, sending_policy
from messaging.api.policy_serializers import SendingPolicyInputSerializer, SendingPolicyOutputSerializer
from messaging.api.views import SESSION_ID_PARAM
from sessions_app.selectors import session_get_for_key
from yesapp.errors import InvalidInput
from yesapp.schema import error_responses

TAG = ["Sending policy"]
EXAMPLE = {
    "preset": "natural",
    **sending_policy.PRESETS["natural"],
    "overrides": [],
    "updatedAt": None,
    "usage": {
        "minute": {"used": 3, "limit": 50},
        "hour": {"used": 41, "limit": None},
        "day": {"used": 212, "limit": None},
        "newChats": {"used": 4, "limit": None},
        "warmup": None,
        "quietUntil": None,
        "dayStartedAt": "2026-11-27T00:00:00Z",
    },
}
CAREFUL_EXAMPLE = {
    **EXAMPLE,
    "preset": "careful",
    **sending_policy.PRESETS["careful"],
    "quietHours": {"start": "21:00", "end": "08:00", "timeZone": "Europe/Paris"},
    "overrides": ["quietHours"],
    "updatedAt": "2026-11-27T10:00:00Z",
    "usage": {
        **EXAMPLE["usage"],
        "minute": {"used": 1, "limit": 6},
        "hour": {"used": 12, "limit": 100},
        "day": {"used": 30, "limit": 400},
        "newChats": {"used": 4, "limit": 20},
        "warmup": {"day": 3, "limit": 45},
        "dayStartedAt": "2026-11-26T23:00:00Z",
    },
}
PATCHED_EXAMPLE = {
    **EXAMPLE,
    "perDay": 300,
    "overrides": ["perDay"],
    "updatedAt": "2026-11-27T10:00:00Z",
    "usage": {**EXAMPLE["usage"], "day": {"used": 212, "limit": 300}},
}
_ABOUT = (
    "A session's sending policy makes its sending look like a person's (docs/ANTI_BAN.md): "
    '"typing…" before a text, chats read before a reply, random gaps, caps per minute, hour and day '
    "and on first contacts, a warm-up for new numbers, quiet hours, a number check before the first "
    "message. Presets: `off` (only the server's rate limit), `natural` (the default), `careful` (new "
    "or once restricted numbers). Each queued message shows when it is expected to go and why "
    "(`notBefore`, `waitingFor`). "
)


def _answer(session) -> Response:
    body = sending_policy.policy_json(session.pk)
    body["usage"] = pacing.policy_usage(session.pk, sending_policy.policy_for(session.pk))
    return Response(SendingPolicyOutputSerializer(body).data)


def _valid(request, *, partial: bool) -> dict:
    if not isinstance(request.data, dict) or not request.body:
        raise InvalidInput('The body must be a JSON object, e.g. {"preset": "natural"}.')
    data = SendingPolicyInputSerializer(data=request.data, partial=partial)
    data.is_valid(raise_exception=True)
    return dict(data.validated_data)


class SendingPolicyApi(APIView):
    @extend_schema(
        tags=TAG,
        summary="A session's sending policy, and today's use of its caps",
        operation_id="sending_policy_get",
        parameters=[SESSION_ID_PARAM],
        description=_ABOUT + "`usage` tells how much of each cap is used now.",
        responses={200: SendingPolicyOutputSerializer, **error_responses(404)},
        examples=[OpenApiExample("natural", value=EXAMPLE, response_only=True)],
    )
    def get(self, request, session_id):
        return _answer(session_get_for_key(key=request.auth, session_id=session_id))

    @extend_schema(
        tags=TAG,
        summary="Set a session's sending policy",
        operation_id="sending_policy_replace",
        parameters=[SESSION_ID_PARAM],
        description=_ABOUT + "The policy becomes the `preset` given (SENDING_POLICY_DEFAULT_PRESET when "
        "left out) with the fields given; the fields left out take the preset's values. What GET answers "
        "can be sent back as it is (`usage`, `overrides` and `updatedAt` are ignored). Queued messages "
        "are scheduled again under the new policy.",
        request=SendingPolicyInputSerializer,
        responses={200: SendingPolicyOutputSerializer, **error_responses(400, 404)},
        examples=[
            OpenApiExample(
                "careful, quiet at night",
                request_only=True,
                value={
                    "preset": "careful",
                    "quietHours": {"start": "21:00", "end": "08:00", "timeZone": "Europe/Paris"},
                },
            ),
            OpenApiExample("careful, with quiet hours", value=CAREFUL_EXAMPLE, response_only=True),
        ],
    )
    def put(self, request, session_id):
        session = session_get_for_key(key=request.auth, session_id=session_id)
        sending_policy.sending_policy_replace(session=session, **_valid(request, partial=False))
        return _answer(session)

    @extend_schema(
        tags=TAG,
        summary="Change some fields of a session's sending policy",
        operation_id="sending_policy_update",
        parameters=[SESSION_ID_PARAM],
        description=_ABOUT + "Only the fields given change; fields set otherwise than the preset stay so, "
        "even when `preset` changes.",
        request=SendingPolicyInputSerializer,
        responses={200: SendingPolicyOutputSerializer, **error_responses(400, 404)},
        examples=[
            OpenApiExample("A daily cap", request_only=True, value={"perDay": 300}),
            OpenApiExample("With a daily cap", value=PATCHED_EXAMPLE, response_only=True),
        ],
    )
    def patch(self, request, session_id):
        session = session_get_for_key(key=request.auth, session_id=session_id)
        sending_policy.sending_policy_update(session=session, **_valid(request, partial=True))
        return _answer(session)
