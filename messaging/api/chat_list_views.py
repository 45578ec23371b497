"""A session's chats as WhatsApp Web lists them, and importing a chat's earlier messages.
Thin views over messaging.chats."""

from django.conf import settings
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from messaging import chats
from messaging.api.chat_views import PATH_PARAMS
from messaging.api.contact_views import ASKS_THE_PAGE
from messaging.api.views import SESSION_ID_PARAM
from sessions_app.selectors import session_get_for_key
from yesapp.api.envelope import PageQuerySerializer, list_envelope, list_envelope_serializer
from yesapp.schema import error_responses

TAG = ["Chats"]


class PersonSerializer(serializers.Serializer):
    phone = serializers.CharField(allow_null=True, help_text="E.164; null when WhatsApp hides it.")
    lid = serializers.CharField(allow_null=True, help_text="`<digits>@lid`; null when unknown.")


class LastMessageSerializer(serializers.Serializer):
    waId = serializers.CharField(help_text="WhatsApp's id of the message.")
    messageId = serializers.UUIDField(
        allow_null=True, help_text="YesApp's id when the message is stored here (GET .../messages/{id})."
    )
    fromMe = serializers.BooleanField()
    type = serializers.CharField(help_text="text, image, ... as in messages.")
    text = serializers.CharField(allow_blank=True, help_text="The text, or a media message's caption.")
    timestamp = serializers.DateTimeField(allow_null=True)


class ChatOutputSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="`...@c.us`, `...@lid` or `...@g.us`: use it as `to` or `chat`.")
    name = serializers.CharField(allow_null=True, help_text="The chat's title in WhatsApp; null if none.")
    kind = serializers.ChoiceField(choices=["user", "group"])
    contact = PersonSerializer(allow_null=True, help_text="The person of a `user` chat; null for groups.")
    unreadCount = serializers.IntegerField()
    archived = serializers.BooleanField()
    pinned = serializers.BooleanField()
    muted = serializers.BooleanField()
    mutedUntil = serializers.DateTimeField(
        allow_null=True, help_text="Null when not muted or muted for good."
    )
    lastActivityAt = serializers.DateTimeField(allow_null=True)
    lastMessage = LastMessageSerializer(allow_null=True)


class ChatSyncInputSerializer(serializers.Serializer):
    limit = serializers.IntegerField(
        required=False,
        default=100,
        min_value=1,
        max_value=settings.HISTORY_SYNC_MAX,
        help_text=f"The chat's latest messages to read: 1 to {settings.HISTORY_SYNC_MAX} (default 100).",
    )


class ChatSyncOutputSerializer(serializers.Serializer):
    chatId = serializers.CharField()
    limit = serializers.IntegerField()
    found = serializers.IntegerField(help_text="Messages WhatsApp Web gave.")
    imported = serializers.IntegerField(help_text="Stored now.")
    alreadyStored = serializers.IntegerField(help_text="Stored before (deduplicated by WhatsApp id).")
    skipped = serializers.IntegerField(
        help_text="Without an id or time, or older than MESSAGE_RETENTION_DAYS."
    )
    oldestAt = serializers.DateTimeField(allow_null=True, help_text="When the oldest message found was sent.")


CHAT_EXAMPLE = {
    "id": "33612345678@c.us",
    "name": "Alice Martin",
    "kind": "user",
    "contact": {"phone": "+33612345678", "lid": "123456789012345@lid"},
    "unreadCount": 2,
    "archived": False,
    "pinned": True,
    "muted": False,
    "mutedUntil": None,
    "lastActivityAt": "2026-11-27T10:00:00Z",
    "lastMessage": {
        "waId": "false_33612345678@c.us_3A1F0E2D4C5B6A798877",
        "messageId": "6f1d1d0a-3c55-4b8e-9a39-2f1f8c7a1b20",
        "fromMe": False,
        "type": "text",
        "text": "See you tomorrow",
        "timestamp": "2026-11-27T10:00:00Z",
    },
}
SYNC_EXAMPLE = {
    "chatId": "33612345678@c.us",
    "limit": 500,
    "found": 212,
    "imported": 180,
    "alreadyStored": 32,
    "skipped": 0,
    "oldestAt": "2026-09-02T08:15:00Z",
}


class ChatListApi(APIView):
    @extend_schema(
        tags=TAG,
        summary="List chats",
        operation_id="chats_list",
        parameters=[SESSION_ID_PARAM, PageQuerySerializer],
        description=(
            "The session's chats with people and groups as WhatsApp Web lists them (wa-js "
            "`WPP.chat.list`), most recently active first: name, kind (`user` or `group`), the person "
            "(`contact`: `phone` and `lid`, null where unknown), unread count, archived, pinned, muted, "
            "and the last message (with YesApp's `messageId` when it is stored here). Read from "
            "WhatsApp on each call (it changes with every message). " + ASKS_THE_PAGE
        ),
        responses={
            200: list_envelope_serializer(ChatOutputSerializer(many=True), name="ChatList"),
            **error_responses(400, 404, 409, 503, 504),
        },
        examples=[
            OpenApiExample(
                "One chat",
                value=list_envelope(items=[CHAT_EXAMPLE], total=1, limit=100, offset=0),
                response_only=True,
            )
        ],
    )
    def get(self, request, session_id):
        session = session_get_for_key(key=request.auth, session_id=session_id)
        query = PageQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        limit, offset = query.validated_data["limit"], query.validated_data["offset"]
        items, total = chats.chat_list(session=session, limit=limit, offset=offset)
        data = ChatOutputSerializer(items, many=True).data
        return Response(list_envelope(items=data, total=total, limit=limit, offset=offset))


class ChatSyncApi(APIView):
    @extend_schema(
        tags=TAG,
        summary="Import a chat's earlier messages",
        operation_id="chats_sync",
        parameters=PATH_PARAMS,
        request=ChatSyncInputSerializer,
        description=(
            "Reads the chat's latest `limit` messages from WhatsApp Web (wa-js `WPP.chat.getMessages`, "
            "which has the phone send older ones when needed) and stores those YesApp does not have "
            "(deduplicated by WhatsApp id), so `GET .../messages?chat=` shows the conversation from "
            "before the number was linked. Imported messages keep the time they were sent as "
            "`createdAt`, send no webhooks, and their media is downloaded afterwards in the background "
            "(`mediaStatus` `pending`, then `stored`). Waits up to `HISTORY_SYNC_TIMEOUT` (60 s) for "
            "the page; 400 for a chat id that is neither a chat id nor a number, 404 `chat_not_found` for "
            "a chat the session's WhatsApp does not have. "
            + ASKS_THE_PAGE.replace("CONTACTS_QUERY_TIMEOUT", "HISTORY_SYNC_TIMEOUT")
        ),
        responses={200: ChatSyncOutputSerializer, **error_responses(400, 404, 409, 503, 504)},
        examples=[
            OpenApiExample("500 messages", value={"limit": 500}, request_only=True),
            OpenApiExample("Imported", value=SYNC_EXAMPLE, response_only=True),
        ],
    )
    def post(self, request, session_id, chat_id):
        session = session_get_for_key(key=request.auth, session_id=session_id)
        body = ChatSyncInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = chats.chat_sync_history(session=session, chat=chat_id, limit=body.validated_data["limit"])
        return Response(ChatSyncOutputSerializer(result).data)
