"""Acting on a message: react (POST .../reaction), edit (PATCH) and delete (DELETE).

Each answers 202 with the action, which is queued and sent like a message (messaging.actions):
follow it with GET .../messages/{actionId} or `message.status`; the change on the message
itself comes as `message.reaction`, `message.edited` or `message.revoked`.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from messaging import actions, selectors
from messaging.api.action_serializers import (
    DeleteQuerySerializer,
    EditInputSerializer,
    ReactionInputSerializer,
)
from messaging.api.serializers import MessageOutputSerializer
from sessions_app.selectors import session_get_for_key
from yesapp.schema import error_responses

TAG = ["Messages"]
PATH_PARAMS = [
    OpenApiParameter("session_id", OpenApiTypes.UUID, OpenApiParameter.PATH),
    OpenApiParameter("message_id", OpenApiTypes.UUID, OpenApiParameter.PATH),
]
ACTION_ERRORS = error_responses(400, 404, 409, 429)
ACTION_EXAMPLE = {
    "messageId": "0c4d8e2f-1a3b-4c5d-8e9f-a0b1c2d3e4f5",
    "sessionId": "5b0e7c1e-8f0a-4c1e-9a55-1d3c2b7a9e10",
    "direction": "outbound",
    "status": "queued",
    "type": "reaction",
    "chatId": "33612345678@c.us",
    "from": "33700000000@c.us",
    "to": "33612345678@c.us",
    "phone": "+33612345678",
    "author": "",
    "contactName": "",
    "fromPhone": False,
    "contact": {"phone": "+33612345678", "lid": None},
    "text": "👍",
    "replyTo": None,
    "location": None,
    "contacts": None,
    "poll": None,
    "mentions": [],
    "mentionsAll": False,
    "forwarded": False,
    "waMessageId": "",
    "timestamp": "2026-11-27T10:05:00Z",
    "mediaUrl": None,
    "media": None,
    "error": None,
    "idempotencyKey": None,
    "createdAt": "2026-11-27T10:05:00Z",
    "sentAt": None,
    "deliveredAt": None,
    "readAt": None,
    "failedAt": None,
    "notBefore": None,
    "waitingFor": None,
    "action": "reaction",
    "targetMessageId": "9b2f3c1a-5d6e-4f70-8a91-b2c3d4e5f601",
    "reactions": [],
    "editedAt": None,
    "edits": [],
    "revokedAt": None,
    "deletedAt": None,
}


def _queued_example(action: str, text: str) -> OpenApiExample:
    value = {**ACTION_EXAMPLE, "type": action, "action": action, "text": text}
    return OpenApiExample("Queued", value=value, response_only=True, status_codes=["202"])


QUEUED = OpenApiResponse(
    MessageOutputSerializer, description="The action, queued (`action`, `targetMessageId`, `status`)."
)
_RULES = (
    "\n\nThe action is queued behind the session's messages, counts toward its rate limit and "
    "`QUEUE_MAX`, and moves `queued` → `sending` → `sent` (or `failed`) like a message: the answer "
    "is **202** with the action's own `messageId`. 404 `message_not_found` for an unknown message; "
    "409 `session_not_connected`, `message_revoked` (deleted for everyone already) or "
    "`message_not_sent` (a failed send)."
)


def _target(request, session_id, message_id):
    session = session_get_for_key(key=request.auth, session_id=session_id)
    return selectors.message_for_key(key=request.auth, message_id=message_id, session=session)


def accepted(action) -> Response:
    location = f"/api/v1/sessions/{action.session_id}/messages/{action.pk}"
    return Response(
        MessageOutputSerializer(action).data, status=status.HTTP_202_ACCEPTED, headers={"Location": location}
    )


class MessageReactionApi(APIView):
    @extend_schema(
        tags=TAG,
        summary="React to a message",
        operation_id="messages_react",
        parameters=PATH_PARAMS,
        request=ReactionInputSerializer,
        description=(
            "Sets our reaction on a message, received or sent (`WPP.chat.sendReactionToMessage`); "
            '`"emoji": ""` removes it. The message then shows it in `reactions`, and '
            "`message.reaction` reports it." + _RULES
        ),
        responses={202: QUEUED, **ACTION_ERRORS},
        examples=[
            OpenApiExample("React", value={"emoji": "👍"}, request_only=True),
            OpenApiExample("Remove our reaction", value={"emoji": ""}, request_only=True),
            _queued_example("reaction", "👍"),
        ],
    )
    def post(self, request, session_id, message_id):
        target = _target(request, session_id, message_id)
        data = ReactionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return accepted(actions.message_react(target=target, emoji=data.validated_data["emoji"]))


class MessageEditDeleteMixin:
    """PATCH and DELETE of `.../messages/{messageId}` (GET is MessageDetailApi's own)."""

    @extend_schema(
        tags=TAG,
        summary="Edit a sent text",
        operation_id="messages_edit",
        parameters=PATH_PARAMS,
        request=EditInputSerializer,
        description=(
            "Replaces the text of a text message this session sent (`WPP.chat.editMessage`), within "
            "WhatsApp's window of 15 minutes after sending: later, 409 `edit_window_passed`. A received "
            "message is 409 `not_own_message`; media, 409 `not_editable`. The message keeps its earlier "
            "texts in `edits`, and `message.edited` reports the change." + _RULES
        ),
        responses={202: QUEUED, **ACTION_ERRORS},
        examples=[
            OpenApiExample("New text", value={"text": "See you at 10, not 9"}, request_only=True),
            _queued_example("edit", "See you at 10, not 9"),
        ],
    )
    def patch(self, request, session_id, message_id):
        target = _target(request, session_id, message_id)
        data = EditInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return accepted(actions.message_edit(target=target, text=data.validated_data["text"]))

    @extend_schema(
        tags=TAG,
        summary="Delete a message",
        operation_id="messages_delete",
        parameters=[*PATH_PARAMS, DeleteQuerySerializer],
        description=(
            "Deletes a message for everyone (`WPP.chat.deleteMessage` with revoke): only messages this "
            "session sent (else 409 `not_own_message`), within about 60 hours of sending (else 409 "
            "`revoke_window_passed`). With `?forEveryone=false`, deletes it on the linked device only, "
            "any message. The message gets `revokedAt` (and `message.revoked`) or `deletedAt`." + _RULES
        ),
        responses={202: QUEUED, **ACTION_ERRORS},
        examples=[_queued_example("revoke", "")],
    )
    def delete(self, request, session_id, message_id):
        target = _target(request, session_id, message_id)
        query = DeleteQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return accepted(
            actions.message_delete(target=target, for_everyone=query.validated_data["forEveryone"])
        )
