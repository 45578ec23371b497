"""Messaging endpoints: thin views that validate, call one service or selector, and serialize."""

import re

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from messaging import selectors, services
from messaging.api.action_views import MessageEditDeleteMixin
from messaging.api.send_examples import KIND_EXAMPLES
from messaging.api.serializers import (
    MessageListOutputSerializer,
    MessageListQuerySerializer,
    MessageOutputSerializer,
    MessageSendInputSerializer,
    MessageSendMultipartSerializer,
    StatsOutputSerializer,
)
from messaging.content import content_to_send
from messaging.media import MediaSource
from messaging.models import MediaStatus
from messaging.people import messages_lid_pairs
from sessions_app.selectors import session_get_for_key
from yesapp.api.envelope import list_envelope
from yesapp.errors import InvalidInput, NotFound
from yesapp.file_storage import STREAM_BLOCK, file_stream
from yesapp.schema import error_responses

TAG = ["Messages"]
IDEMPOTENCY_HEADER = "Idempotency-Key"
_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")

MESSAGE_EXAMPLE = {
    "messageId": "9b2f3c1a-5d6e-4f70-8a91-b2c3d4e5f601",
    "sessionId": "5b0e7c1e-8f0a-4c1e-9a55-1d3c2b7a9e10",
    "direction": "outbound",
    "status": "queued",
    "type": "text",
    "chatId": "33612345678@c.us",
    "from": "33700000000@c.us",
    "to": "33612345678@c.us",
    "phone": "+33612345678",
    "author": "",
    "contactName": "",
    "fromPhone": False,
    "contact": {"phone": "+33612345678", "lid": "123456789012345@lid"},
    "text": "Hello from YesApp",
    "replyTo": None,
    "location": None,
    "contacts": None,
    "poll": None,
    "mentions": [],
    "mentionsAll": False,
    "forwarded": False,
    "waMessageId": "",
    "timestamp": "2026-11-27T10:00:00Z",
    "mediaUrl": None,
    "media": None,
    "error": None,
    "idempotencyKey": "order-1234-confirmation",
    "createdAt": "2026-11-27T10:00:00Z",
    "sentAt": None,
    "deliveredAt": None,
    "readAt": None,
    "failedAt": None,
    "notBefore": None,
    "waitingFor": None,
    "action": None,
    "targetMessageId": None,
    "reactions": [],
    "editedAt": None,
    "edits": [],
    "revokedAt": None,
    "deletedAt": None,
}
# Request bodies of the other kinds, for Swagger UI; docs/API_REFERENCE.md lists the same.
SESSION_ID_PARAM = OpenApiParameter("session_id", OpenApiTypes.UUID, OpenApiParameter.PATH)
MESSAGE_ID_PARAM = OpenApiParameter("message_id", OpenApiTypes.UUID, OpenApiParameter.PATH)


def _idempotency_key(request) -> str:
    value = request.headers.get(IDEMPOTENCY_HEADER)
    if value is None:
        return ""
    if not _IDEMPOTENCY_KEY.match(value):
        raise InvalidInput(
            f"The {IDEMPOTENCY_HEADER} header must be 1 to 255 printable ASCII characters without spaces.",
            code="invalid_idempotency_key",
        )
    return value


def _media_source(data: dict, *, multipart: bool) -> MediaSource | None:
    if multipart:
        if "file" not in data:
            return None
        return MediaSource(kind=data.get("type", ""), upload=data["file"], filename=data.get("filename", ""))
    media = data.get("media")
    if media is None:
        return None
    return MediaSource(
        kind="voice" if data["type"] == "voice" else media.get("type", ""),
        data=media.get("data"),
        url=media.get("url"),
        filename=media.get("filename", ""),
        mimetype=media.get("mimetype", ""),
    )


class MessageListSendApi(APIView):
    # A file upload: JSON (media as base64 or a URL) or multipart (a `file` part).
    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema(
        tags=TAG,
        summary="Send a message",
        operation_id="messages_send",
        parameters=[
            SESSION_ID_PARAM,
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                str,
                OpenApiParameter.HEADER,
                pattern=_IDEMPOTENCY_KEY.pattern,
                description="Any unique string (up to 255 characters). Sending again with the same key "
                "on the same session returns the first message and sends nothing twice.",
            ),
        ],
        description=(
            "Queues a message (text, media, a voice note, a location, contact cards or a poll, any of "
            "them quoting another with `replyTo`) and answers **202** with its `messageId` and `status` "
            "(`queued`). The session's worker sends queued messages in order, within the per-session "
            "rate limit (`RATE_LIMIT_PER_MINUTE`); follow the status with `GET .../messages/{messageId}` "
            "or the `message.status` webhook.\n\n"
            "`to` is an E.164 number (`+33612345678`) or a chat id (`...@c.us`, `...@g.us`).\n\n"
            "Media (up to `MEDIA_MAX_BYTES`, 16 MB by default; larger → 413): JSON "
            '`"media": {"type", "data": "<base64>"}`, or `multipart/form-data` with a `file` field, or '
            '`"media": {"type", "url": "https://..."}`. The content type is sniffed from the bytes.\n\n'
            "A media **URL is not fetched during the request**: the answer is 202 with `status` "
            "`pending` (`media.status` `fetching`) and a worker fetches it (timeout `MEDIA_URL_TIMEOUT`, "
            "the size cap, public addresses only unless `MEDIA_URL_ALLOW_PRIVATE`). Then the message "
            "becomes `queued`, or `failed` with `error.code` `media_fetch_failed`, `media_url_refused`, "
            "`payload_too_large` or `media_type_mismatch` (and a `message.status` webhook). A URL whose "
            "host is a private IP address is refused at once (400 `media_url_refused`).\n\n"
            'A session that is not connected answers 409 unless the body says `"queue": true`; a '
            "session with `QUEUE_MAX` messages waiting answers 429 with `Retry-After`. Media that "
            "would pass the session's `MEDIA_QUOTA_BYTES` answers 507 `media_quota_exceeded`. A number "
            "that a contact check (`GET .../contacts/check`) found not on WhatsApp within "
            "`CONTACTS_CHECK_CACHE_SECONDS` answers 422 `not_on_whatsapp` instead of being sent blind.\n\n"
            "`type` (text, image, video, audio, document, voice, location, contact, poll) follows from "
            "the body when left out. A `replyTo` this session never stored answers 404 "
            "`reply_to_not_found`; one of ours not sent yet, 409 `reply_to_not_sent`."
        ),
        request={
            "application/json": MessageSendInputSerializer,
            "multipart/form-data": MessageSendMultipartSerializer,
        },
        responses={
            202: OpenApiResponse(
                MessageOutputSerializer,
                description="Queued (or the first answer, for a repeated Idempotency-Key).",
            ),
            **error_responses(400, 404, 409, 413, 422, 429, 503, 507),
        },
        examples=[
            OpenApiExample(
                "Text", value={"to": "+33612345678", "text": "Hello from YesApp"}, request_only=True
            ),
            OpenApiExample(
                "Image from a URL",
                value={
                    "to": "+33612345678",
                    "caption": "Your invoice",
                    "media": {"type": "image", "url": "https://example.com/invoice.png"},
                },
                request_only=True,
            ),
            OpenApiExample(
                "Document in base64",
                value={
                    "to": "33612345678@c.us",
                    "media": {"type": "document", "data": "JVBERi0xLjQK...", "filename": "invoice.pdf"},
                },
                request_only=True,
            ),
            OpenApiExample(
                "Queue while disconnected",
                value={"to": "+33612345678", "text": "See you tomorrow", "queue": True},
                request_only=True,
            ),
            *KIND_EXAMPLES,
            OpenApiExample("Queued", value=MESSAGE_EXAMPLE, response_only=True, status_codes=["202"]),
        ],
    )
    def post(self, request, session_id):
        session = session_get_for_key(key=request.auth, session_id=session_id)
        multipart = (request.content_type or "").startswith("multipart/")
        serializer_class = MessageSendMultipartSerializer if multipart else MessageSendInputSerializer
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        media = _media_source(data, multipart=multipart)
        caption = data.get("caption") or (data.get("media") or {}).get("caption") or ""
        message, created = services.message_send(
            session=session,
            to=data["to"],
            text=(caption or data.get("text", "")) if media else data.get("text", ""),
            media=media,
            queue=data["queue"],
            idempotency_key=_idempotency_key(request),
            content=None if multipart else content_to_send(data["type"], data),
            reply_to=data.get("replyTo", ""),
            mentions=data.get("mentions"),
            link_preview=data.get("linkPreview"),
        )
        headers = {"Location": f"/api/v1/sessions/{session.pk}/messages/{message.pk}"}
        if not created:
            headers["Idempotent-Replayed"] = "true"
        return Response(
            MessageOutputSerializer(message).data, status=status.HTTP_202_ACCEPTED, headers=headers
        )

    @extend_schema(
        tags=TAG,
        summary="List messages",
        operation_id="messages_list",
        parameters=[SESSION_ID_PARAM, MessageListQuerySerializer],
        description=(
            "The session's messages, newest first: `{items, total, limit, offset}` (`messages`, the same "
            "as `items`, is deprecated). Filter by "
            "`direction` (all, inbound, outbound), `chat` (chat id or number), `phone`, `status`, and a "
            "time range `since`/`until` (ISO 8601)."
        ),
        responses={200: MessageListOutputSerializer, **error_responses(400, 404)},
        examples=[
            OpenApiExample(
                "One message",
                value=list_envelope(
                    items=[MESSAGE_EXAMPLE],
                    total=1,
                    limit=50,
                    offset=0,
                    deprecated={"messages": [MESSAGE_EXAMPLE]},
                ),
                response_only=True,
            )
        ],
    )
    def get(self, request, session_id):
        session = session_get_for_key(key=request.auth, session_id=session_id)
        query = MessageListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        messages, total = selectors.message_list(
            session=session,
            direction=params["direction"],
            chat_id=params.get("chat", ""),
            phone=params.get("phone", ""),
            status=params.get("status", ""),
            since=params.get("since"),
            until=params.get("until"),
            limit=params["limit"],
            offset=params["offset"],
        )
        lid_pairs = messages_lid_pairs(messages)
        items = MessageOutputSerializer(messages, many=True, context={"lid_pairs": lid_pairs}).data
        return Response(
            list_envelope(
                items=items, total=total, limit=params["limit"], offset=params["offset"],
                deprecated={"messages": items},
            )
        )  # fmt: skip


class MessageDetailApi(MessageEditDeleteMixin, APIView):
    @extend_schema(
        tags=TAG,
        summary="Get a message",
        operation_id="messages_get",
        parameters=[SESSION_ID_PARAM, MESSAGE_ID_PARAM],
        description="One message with its status, timestamps, error and media details.",
        responses={200: MessageOutputSerializer, **error_responses(404)},
        examples=[
            OpenApiExample("Delivered", value={**MESSAGE_EXAMPLE, "status": "delivered"}, response_only=True)
        ],
    )
    def get(self, request, session_id, message_id):
        session = session_get_for_key(key=request.auth, session_id=session_id)
        message = selectors.message_for_key(key=request.auth, message_id=message_id, session=session)
        return Response(MessageOutputSerializer(message).data)


class MediaDownloadApi(APIView):
    def perform_content_negotiation(self, request, force=False):
        # Clients ask for `image/*` and the like; errors still answer in JSON.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        tags=TAG,
        summary="Download a message's media",
        operation_id="media_download",
        parameters=[MESSAGE_ID_PARAM],
        description=(
            "Streams the file with its content type (`Content-Disposition: attachment` for documents). "
            "404 when the message has no media, or (code `media_not_available`) while an inbound "
            "file is not downloaded yet or could not be."
        ),
        responses={
            # Whatever type the file has (image/png, application/pdf...): the bytes were sniffed.
            (200, "*/*"): OpenApiResponse(OpenApiTypes.BINARY, description="The file, with its own type."),
            **error_responses(404),
        },
    )
    def get(self, request, message_id):
        message = selectors.message_for_key(key=request.auth, message_id=message_id)
        if not message.has_media:
            raise NotFound("This message has no media.", code="no_media")
        # From the file storage, whichever node downloaded it: streamed through this endpoint
        # (its key check stands), never a redirect to a presigned URL (docs/DEPLOYMENT.md).
        opened = file_stream(message.media_name) if message.media_status == MediaStatus.STORED else None
        if opened is None:
            raise NotFound(
                "The media of this message is not available"
                + (f": {message.media_error}" if message.media_error else " yet."),
                code="media_not_available",
                details={"mediaStatus": message.media_status},
            )
        is_document = message.type == "document"
        stream, size = opened
        response = FileResponse(
            stream,
            content_type=message.media_mimetype or "application/octet-stream",
            as_attachment=is_document,
            filename=message.media_filename or (message.media_name if is_document else ""),
        )
        response["Content-Length"] = str(size)
        response.block_size = STREAM_BLOCK
        # Files come from strangers: never let a browser run them as a page of this origin.
        response["Content-Security-Policy"] = "sandbox; default-src 'none'"
        response["X-Content-Type-Options"] = "nosniff"
        return response


class StatsApi(APIView):
    @extend_schema(
        tags=["Stats"],
        summary="Server statistics",
        operation_id="stats",
        description=(
            "Sessions by status, messages sent and received in the last 24 h, queue depths per session, "
            "and how long this server process has been up. A key limited to some sessions sees only those."
        ),
        responses={200: StatsOutputSerializer, **error_responses()},
    )
    def get(self, request):
        return Response(selectors.stats_for_key(key=request.auth))
