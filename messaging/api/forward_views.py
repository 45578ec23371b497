"""Forwarding a message: POST .../messages/{messageId}/forward (messaging.forwarding)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from messaging import selectors
from messaging.api.serializers import MessageOutputSerializer, RecipientField
from messaging.api.views import _IDEMPOTENCY_KEY, IDEMPOTENCY_HEADER, MESSAGE_EXAMPLE, _idempotency_key
from messaging.forwarding import message_forward
from sessions_app.selectors import session_get_for_key
from yesapp.schema import error_responses


class ForwardInputSerializer(serializers.Serializer):
    to = RecipientField(help_text="E.164 number or chat id (`...@c.us`, `...@g.us`, `...@lid`).")


FORWARD_EXAMPLE = {
    **MESSAGE_EXAMPLE,
    "messageId": "4e6f2a1b-7c8d-4e9f-a0b1-c2d3e4f5a6b7",
    "chatId": "4915112345678@c.us",
    "to": "4915112345678@c.us",
    "phone": "+4915112345678",
    "contact": {"phone": "+4915112345678", "lid": None},
    "forwarded": True,
    "status": "queued",
    "waMessageId": "",
    "idempotencyKey": None,
    "sentAt": None,
    "deliveredAt": None,
    "readAt": None,
}


class MessageForwardApi(APIView):
    @extend_schema(
        tags=["Messages"],
        summary="Forward a message",
        operation_id="messages_forward",
        parameters=[
            OpenApiParameter("session_id", OpenApiTypes.UUID, OpenApiParameter.PATH),
            OpenApiParameter("message_id", OpenApiTypes.UUID, OpenApiParameter.PATH),
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                str,
                OpenApiParameter.HEADER,
                pattern=_IDEMPOTENCY_KEY.pattern,
                description="Forwarding again with the same key returns the first forward.",
            ),
        ],
        request=ForwardInputSerializer,
        description=(
            "Forwards a message, received or sent, to another chat (`WPP.chat.forwardMessages`): "
            "WhatsApp shows the copy as forwarded. The copy is a new message (`forwarded: true`), queued "
            "behind the session's messages, counted by its rate limit and `QUEUE_MAX`, moving `queued` → "
            "`sending` → `sent` → `delivered` → `read` like any send; its `waMessageId` arrives with "
            "WhatsApp's echo of it. 404 `message_not_found` for an unknown message; 409 "
            "`session_not_connected`, `message_not_sent` (ours, not sent yet) or `message_revoked`; "
            "422 `not_on_whatsapp` for a number known absent."
        ),
        responses={
            202: OpenApiResponse(MessageOutputSerializer, description="The forwarded copy, queued."),
            **error_responses(400, 404, 409, 422, 429),
        },
        examples=[
            OpenApiExample("Forward", value={"to": "+4915112345678"}, request_only=True),
            OpenApiExample("Queued", value=FORWARD_EXAMPLE, response_only=True, status_codes=["202"]),
        ],
    )
    def post(self, request, session_id, message_id):
        session = session_get_for_key(key=request.auth, session_id=session_id)
        target = selectors.message_for_key(key=request.auth, message_id=message_id, session=session)
        serializer = ForwardInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        message, created = message_forward(
            target=target, to=serializer.validated_data["to"], idempotency_key=_idempotency_key(request)
        )
        headers = {"Location": f"/api/v1/sessions/{session.pk}/messages/{message.pk}"}
        if not created:
            headers["Idempotent-Replayed"] = "true"
        return Response(
            MessageOutputSerializer(message).data, status=status.HTTP_202_ACCEPTED, headers=headers
        )
