"""WAHA's reading endpoints: a number's check, the session's chats and a chat's messages."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework.response import Response

from messaging.contacts import contacts_check
from messaging.payloads import message_event_payload
from messaging.selectors import message_list
from waha.api import serializers as s
from waha.api.base import TAG, WahaView, waha_errors
from waha.api.send_views import MESSAGE_EXAMPLE
from waha.api.session_views import SESSION_PARAM
from waha.selectors import waha_chats
from waha.shapes import wa_message
from yesapp.validators import normalize_phone

CHAT_PARAM = OpenApiParameter(
    "chatId", OpenApiTypes.STR, OpenApiParameter.PATH, description="`<number>@c.us`"
)


class CheckExistsApi(WahaView):
    @extend_schema(
        tags=TAG,
        operation_id="waha_contacts_check_exists",
        summary="Is a number on WhatsApp (WAHA)",
        description="`WPP.contact.queryWidExists`, cached like YesApp's contact check. 422 when the "
        "session is not WORKING.",
        parameters=[s.WahaCheckExistsQuerySerializer],
        responses={200: s.WahaNumberExistsSerializer, **waha_errors(404, 422, 503, 504)},
        examples=[
            OpenApiExample(
                "On WhatsApp", value={"numberExists": True, "chatId": "33612345678@c.us"}, response_only=True
            )
        ],
    )
    def get(self, request):
        query = s.WahaCheckExistsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        session = self.session_named(query.validated_data["session"])
        phone = normalize_phone("+" + query.validated_data["phone"].strip().lstrip("+"))
        [check] = contacts_check(session=session, phones=[phone])
        return Response(
            {"numberExists": check["exists"], "chatId": check["chatId"] if check["exists"] else None}
        )


class ChatsApi(WahaView):
    @extend_schema(
        tags=TAG,
        operation_id="waha_chats_list",
        summary="The session's chats (WAHA)",
        description="Chats YesApp has messages in, most recently active first.",
        parameters=[SESSION_PARAM, s.WahaPageQuerySerializer],
        responses={200: s.WahaChatSerializer(many=True), **waha_errors(404)},
        examples=[
            OpenApiExample(
                "One chat",
                value={"id": "33612345678@c.us", "name": "Anna", "conversationTimestamp": 1764568800},
                response_only=True,
            )
        ],
    )
    def get(self, request, session):
        found = self.session_named(session)
        query = s.WahaPageQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(waha_chats(session=found, **query.validated_data))


class ChatMessagesApi(WahaView):
    @extend_schema(
        tags=TAG,
        operation_id="waha_chats_messages",
        summary="A chat's messages (WAHA)",
        description="Newest first, as WAMessage; from what YesApp stored (sent and received).",
        parameters=[SESSION_PARAM, CHAT_PARAM, s.WahaPageQuerySerializer],
        responses={200: s.WahaWAMessageSerializer(many=True), **waha_errors(404)},
        examples=[OpenApiExample("One message", value=MESSAGE_EXAMPLE, response_only=True)],
    )
    def get(self, request, session, chatId):
        found = self.session_named(session)
        query = s.WahaPageQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        page, _ = message_list(session=found, chat_id=chatId, **query.validated_data)
        return Response([wa_message(message_event_payload(message)) for message in page])
