"""The sandbox API: the simulated phone and its contacts, driven by a user or a test.

Thin views: validate, call one service, serialize. Every endpoint answers 404 when the
sandbox is turned off (SANDBOX_ENABLED=false) or the session is outside the key's scope.
"""

from django.conf import settings
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from sandbox import message_content, selectors
from sandbox.api.examples import INBOUND_KIND_EXAMPLES, OUTBOX_EXAMPLE
from sandbox.api.serializers import (
    DisconnectInputSerializer,
    InboundInputSerializer,
    InboundMultipartSerializer,
    InboundOutputSerializer,
    LinkInputSerializer,
    OutboxMessageSerializer,
    OutboxOutputSerializer,
    OutboxQuerySerializer,
    PageEventInputSerializer,
    PageEventOutputSerializer,
    SandboxStateOutputSerializer,
)
from sandbox.limits import sandbox_inbound_rate_check
from sandbox.services.device import (
    sandbox_device,
    sandbox_disconnect,
    sandbox_link,
    sandbox_session,
    sandbox_state,
)
from sandbox.services.messages import OutgoingFile
from sandbox.services.phone import sandbox_inbound, sandbox_page_event, sandbox_settle_receipts
from sessions_app.models import Session
from sessions_app.selectors import session_get_for_key
from yesapp.api.envelope import list_envelope
from yesapp.errors import NotFound
from yesapp.media_input import check_size, decode_base64
from yesapp.schema import error_responses

TAG = ["Sandbox"]
SESSION_ID = OpenApiParameter(
    "session_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The session id."
)
STATE_EXAMPLE = {
    "linked": True,
    "phone": "+33612345678",
    "pushName": "Sandbox",
    "linkedAt": "2026-11-27T10:00:00Z",
    "page": "connected",
    "pageSeenAt": "2026-11-27T10:05:00Z",
    "qrIssuedAt": None,
    "offlineUntil": None,
}


class SandboxApi(APIView):
    """Base of the sandbox endpoints: the sandbox must be on and the session a sandbox one."""

    def initial(self, request, *args, **kwargs):
        if not settings.SANDBOX_ENABLED:
            raise NotFound("The sandbox is turned off on this server (SANDBOX_ENABLED=false).")
        super().initial(request, *args, **kwargs)

    def get_session(self, request, session_id) -> Session:
        session = session_get_for_key(key=request.auth, session_id=session_id)
        return sandbox_session(session=session)


class SandboxStateApi(SandboxApi):
    @extend_schema(
        tags=TAG,
        summary="Sandbox phone state",
        operation_id="sandbox_state",
        parameters=[SESSION_ID],
        description="Whether the sandbox phone is linked, and what the sandbox page shows now.",
        responses={200: SandboxStateOutputSerializer, **error_responses(400, 404)},
        examples=[OpenApiExample("Linked", value=STATE_EXAMPLE, response_only=True)],
    )
    def get(self, request, session_id):
        session = self.get_session(request, session_id)
        return Response(sandbox_state(device=sandbox_device(session=session)))


class SandboxLinkApi(SandboxApi):
    @extend_schema(
        tags=TAG,
        summary="Scan the QR with the sandbox phone",
        operation_id="sandbox_link",
        parameters=[SESSION_ID],
        request=LinkInputSerializer,
        description=(
            "Links the session's browser as if a phone with this number scanned the QR the sandbox page "
            "shows now (or typed the pairing code given in `code`). The session then connects within "
            "about a second. 409 (with the current state in `details`) when the page is not showing a "
            "scannable QR: not started yet, already linked, or the QR expired."
        ),
        responses={200: SandboxStateOutputSerializer, **error_responses(400, 404, 409)},
        examples=[
            OpenApiExample(
                "Scan", value={"phone": "+33612345678", "name": "Support phone"}, request_only=True
            ),
            OpenApiExample("Linked", value=STATE_EXAMPLE, response_only=True),
        ],
    )
    def post(self, request, session_id):
        session = self.get_session(request, session_id)
        data = LinkInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        device = sandbox_link(session=session, **data.validated_data)
        return Response(sandbox_state(device=device))


class SandboxInboundApi(SandboxApi):
    # A file upload: JSON (media as base64) or multipart (a `file` part).
    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema(
        tags=TAG,
        summary="A contact sends the session a message",
        operation_id="sandbox_inbound",
        parameters=[SESSION_ID],
        request={
            "application/json": InboundInputSerializer,
            "multipart/form-data": InboundMultipartSerializer,
        },
        description=(
            "A simulated contact (made on first use) sends text, media or both; the session receives it "
            "like a WhatsApp message (and your webhook gets `message.received`). Media as base64 in "
            "`media` (JSON) or as `file` (multipart); `media.type` `ptt` is a voice note. Or a "
            "`location`, `contacts` or a `poll`; `replyTo` quotes a message of the sandbox by its "
            "WhatsApp id (404 `msg_not_found` otherwise). 409 when the sandbox phone is not linked, or "
            "(`blocked_by_session`) when the session blocked the sender; 413 past MEDIA_MAX_BYTES; 429 "
            "past SANDBOX_INBOUND_PER_MINUTE messages a minute for the session."
        ),
        responses={202: InboundOutputSerializer, **error_responses(400, 404, 409, 413, 429)},
        examples=[
            OpenApiExample(
                "Text", value={"from": "+4915112345678", "name": "Anna", "text": "Hi!"}, request_only=True
            ),
            OpenApiExample(
                "Image",
                value={
                    "from": "+4915112345678",
                    "text": "Look",
                    "media": {"data": "iVBORw0KGgo...", "filename": "cat.png", "mimetype": "image/png"},
                },
                request_only=True,
            ),
            *INBOUND_KIND_EXAMPLES,
            OpenApiExample(
                "Accepted",
                value={
                    "id": "false_4915112345678@c.us_3A1F09C2B44D7E8A91C3",
                    "chatId": "4915112345678@c.us",
                    "type": "text",
                    "cursor": 12,
                    "createdAt": "2026-11-27T10:05:00Z",
                },
                response_only=True,
            ),
        ],
    )
    def post(self, request, session_id):
        session = self.get_session(request, session_id)
        multipart = (request.content_type or "").startswith("multipart/")
        data = (InboundMultipartSerializer if multipart else InboundInputSerializer)(data=request.data)
        data.is_valid(raise_exception=True)
        sandbox_inbound_rate_check(session_id=session.pk)
        params = data.validated_data
        message = sandbox_inbound(
            session=session,
            from_phone=params["from"],
            text=params["text"],
            name=params["name"],
            file=_inbound_file(params),
            rich=message_content.from_phone(params),
            quoted=params["replyTo"],
            extras=message_content.extras(
                mentioned=message_content.phone_mentions(params["mentions"]), forwarded=params["forwarded"]
            ),
        )
        body = {
            "id": message.wa_id,
            "chatId": message.chat_id,
            "type": message.type,
            "cursor": message.cursor,
            "createdAt": message.created_at,
        }
        return Response(InboundOutputSerializer(body).data, status=status.HTTP_202_ACCEPTED)


def _inbound_file(params: dict) -> OutgoingFile | None:
    """The file of an inbound message: base64 in `media` (JSON) or an upload in `file`."""
    if media := params.get("media"):
        return OutgoingFile(
            data=decode_base64(media["data"]),
            mimetype=media["mimetype"],
            filename=media["filename"],
            type=media["type"],
        )
    if upload := params.get("file"):
        check_size(upload.size)  # before reading it into memory
        return OutgoingFile(
            data=upload.read(),
            mimetype=params["mimetype"] or upload.content_type or "",
            filename=upload.name or "",
            type=params["type"],
        )
    return None


class SandboxPageEventApi(SandboxApi):
    @extend_schema(
        tags=TAG,
        summary="The page emits any wa-js event, as given",
        operation_id="sandbox_page_event",
        parameters=[SESSION_ID],
        request=PageEventInputSerializer,
        description=(
            "Makes the linked sandbox page emit a wa-js event with exactly this payload, as WhatsApp "
            "Web would: for testing how the session takes odd or malformed events (what it cannot store "
            "is listed at GET /api/v1/sessions/{id}/failed-events). Only the events the engine listens "
            "to reach it. 409 when the sandbox phone is not linked."
        ),
        responses={202: PageEventOutputSerializer, **error_responses(400, 404, 409)},
        examples=[
            OpenApiExample(
                "A message with a timestamp in milliseconds",
                value={
                    "name": "chat.new_message",
                    "data": {
                        "id": {"_serialized": "false_4915112345678@c.us_3A1F09C2B44D7E8A91C3"},
                        "from": "4915112345678@c.us",
                        "type": "chat",
                        "body": "Hi",
                        "t": 1790000000123,
                    },
                },
                request_only=True,
            ),
            OpenApiExample("Accepted", value={"cursor": 13}, response_only=True, status_codes=["202"]),
        ],
    )
    def post(self, request, session_id):
        session = self.get_session(request, session_id)
        data = PageEventInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        cursor = sandbox_page_event(session=session, **data.validated_data)
        return Response({"cursor": cursor}, status=status.HTTP_202_ACCEPTED)


class SandboxOutboxApi(SandboxApi):
    @extend_schema(
        tags=TAG,
        summary="What contacts received",
        operation_id="sandbox_outbox",
        parameters=[SESSION_ID, OutboxQuerySerializer],
        description=(
            "Messages the session sent, as the contacts' phones got them, newest first, with receipts "
            "(ack 1 sent → 2 delivered → 3 read, after SANDBOX_DELIVERY_DELAY_MS / SANDBOX_READ_DELAY_MS) "
            "and, for media, the size and SHA-256 of the bytes received."
        ),
        responses={200: OutboxOutputSerializer, **error_responses(400, 404)},
        examples=[OpenApiExample("One read message", value=OUTBOX_EXAMPLE, response_only=True)],
    )
    def get(self, request, session_id):
        session = self.get_session(request, session_id)
        query = OutboxQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        limit, offset = query.validated_data["limit"], query.validated_data["offset"]
        sandbox_settle_receipts(session=session)
        messages = selectors.outbox(session=session)
        items = OutboxMessageSerializer(messages[offset : offset + limit], many=True).data
        return Response(
            list_envelope(
                items=items,
                total=messages.count(),
                limit=limit,
                offset=offset,
                deprecated={"messages": items},
            )
        )


class SandboxOutboxMediaApi(SandboxApi):
    def perform_content_negotiation(self, request, force=False):
        # A file of any type: `Accept: image/*` must not be 406 (errors still answer in JSON).
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        tags=TAG,
        summary="Download a file a contact received",
        operation_id="sandbox_outbox_media",
        parameters=[
            SESSION_ID,
            OpenApiParameter(
                "msg_id",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                description="The WhatsApp message id from the outbox.",
            ),
        ],
        description="The exact bytes the contact received, with their mimetype.",
        responses={
            (200, "*/*"): OpenApiResponse(OpenApiTypes.BINARY, description="The file."),
            **error_responses(400, 404),
        },
    )
    def get(self, request, session_id, msg_id):
        session = self.get_session(request, session_id)
        message = selectors.outbox_message(session=session, wa_id=msg_id)
        if message is None or not message.is_media:
            raise NotFound("No media message with this id in the outbox.", details={"id": msg_id})
        return FileResponse(
            message.media.open("rb"),
            content_type=message.mimetype or "application/octet-stream",
            as_attachment=True,
            filename=message.filename or "file",
        )


class SandboxDisconnectApi(SandboxApi):
    @extend_schema(
        tags=TAG,
        summary="Unlink the device or drop the connection",
        operation_id="sandbox_disconnect",
        parameters=[SESSION_ID],
        request=DisconnectInputSerializer,
        description=(
            "`unlink`: the phone removes the linked device; the session logs out (`conn.logout`) and shows "
            "a new QR. `offline`: the connection drops for `seconds` (the session goes `disconnected`) and "
            "comes back by itself. 409 when the sandbox phone is not linked."
        ),
        responses={200: SandboxStateOutputSerializer, **error_responses(400, 404, 409)},
        examples=[OpenApiExample("Offline 5 s", value={"mode": "offline", "seconds": 5}, request_only=True)],
    )
    def post(self, request, session_id):
        session = self.get_session(request, session_id)
        data = DisconnectInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        device = sandbox_disconnect(session=session, **data.validated_data)
        return Response(sandbox_state(device=device))
