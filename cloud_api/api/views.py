"""The Cloud API facade's endpoints: thin views that validate, call one service of cloud_api
(which calls YesApp's own), and answer in the Cloud API's shapes, errors in Graph's."""

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from cloud_api import media as cloud_media
from cloud_api.api.serializers import (
    GraphErrorSerializer,
    MediaInfoSerializer,
    MediaUploadedSerializer,
    MediaUploadSerializer,
    MessageInputSerializer,
    MessageSentSerializer,
    SuccessSerializer,
)
from cloud_api.authentication import BearerKeyAuthentication
from cloud_api.errors import INVALID_PARAMETER, NO_SUCH_OBJECT, GraphError, graph_exception_handler
from cloud_api.ids import media_id_for
from cloud_api.messages import cloud_mark_read, cloud_message_send
from sessions_app.selectors import session_get_for_key
from yesapp.authentication import ApiKeyAuthentication
from yesapp.file_storage import STREAM_BLOCK, file_stream

TAG = ["Cloud API compatibility"]
VERSION = OpenApiParameter(
    "version",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    pattern=r"^\d+(\.\d+)?$",
    description="Any Graph API version (`23.0`); every version answers the same.",
)
PHONE_NUMBER_ID = OpenApiParameter(
    "phone_number_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The YesApp session id."
)
MEDIA_ID = OpenApiParameter(
    "media_id", OpenApiTypes.STR, OpenApiParameter.PATH, pattern=r"^\d{1,39}$", description="A media id."
)
_TITLES = {
    400: "Invalid parameter (code 100), or a message type a linked phone cannot send (131051)",
    401: "No or wrong key (code 190)",
    404: "No such object (code 100, subcode 33)",
    406: "No acceptable answer type",
    409: "The session is not connected (133010) or the message cannot take this (131000)",
    413: "Body or file too large",
    415: "Unsupported body type",
    422: "The number is not on WhatsApp (131026)",
    429: "Rate limit hit (130429)",
    503: "Service unavailable (131016)",
    507: "The session's media quota is full (131000)",
}


def graph_errors(*statuses: int) -> dict[int, OpenApiResponse]:
    """Documented errors in Graph's shape; 401, 406 and 429 can meet every call."""
    return {
        status: OpenApiResponse(GraphErrorSerializer, description=_TITLES.get(status, "Error"))
        for status in sorted({401, 406, 429, *statuses})
    }


BODY_ERRORS = (400, 413, 415)
MEDIA_ID_EXAMPLE = "205730291045163853474936108128394067298"


class CloudApiView(APIView):
    """Bearer key (X-API-Key works too), and every error in Graph's shape."""

    authentication_classes = [BearerKeyAuthentication, ApiKeyAuthentication]

    def get_exception_handler(self):
        return graph_exception_handler


SEND_EXAMPLES = [
    OpenApiExample(
        "Text",
        value={
            "messaging_product": "whatsapp",
            "to": "33612345678",
            "type": "text",
            "text": {"body": "Hello"},
        },
        request_only=True,
    ),
    OpenApiExample(
        "Image by link, replying to a message",
        value={
            "messaging_product": "whatsapp",
            "to": "33612345678",
            "type": "image",
            "image": {"link": "https://example.com/photo.png", "caption": "Here it is"},
            "context": {"message_id": "wamid.mywJ6xBdRG-Kp4xYbP2mAQ"},
        },
        request_only=True,
    ),
    OpenApiExample(
        "Reaction",
        value={
            "messaging_product": "whatsapp",
            "to": "33612345678",
            "type": "reaction",
            "reaction": {"message_id": "wamid.mywJ6xBdRG-Kp4xYbP2mAQ", "emoji": "👍"},
        },
        request_only=True,
    ),
    OpenApiExample(
        "Read receipt with typing",
        value={
            "messaging_product": "whatsapp",
            "status": "read",
            "message_id": "wamid.mywJ6xBdRG-Kp4xYbP2mAQ",
            "typing_indicator": {"type": "text"},
        },
        request_only=True,
    ),
    OpenApiExample(
        "Sent",
        value={
            "messaging_product": "whatsapp",
            "contacts": [{"input": "33612345678", "wa_id": "33612345678"}],
            "messages": [{"id": "wamid.mywJ6xBdRG-Kp4xYbP2mAQ"}],
        },
        response_only=True,
        status_codes=["200"],
    ),
    OpenApiExample("Read", value={"success": True}, response_only=True, status_codes=["200"]),
]


class MessagesApi(CloudApiView):
    parser_classes = [JSONParser]

    @extend_schema(
        tags=TAG,
        summary="Send a message (Cloud API)",
        operation_id="cloud_messages_send",
        parameters=[VERSION, PHONE_NUMBER_ID],
        request=MessageInputSerializer,
        description=(
            "The Cloud API's `POST /{phone-number-id}/messages`, on the session whose id is the phone "
            "number id: `text`, `image`, `video`, `audio` (`voice: true` for a voice note), `document`, "
            "`sticker` (sent as an image) by `link` or uploaded media `id`, `location`, `contacts`, "
            "`reaction`, any of them replying with `context.message_id`. It is queued like "
            "`POST /api/v1/sessions/{id}/messages` and answers **200** with the message's `wamid`, which "
            'the status webhooks (format `cloud`) name. `{"status": "read", "message_id"}` marks '
            "that message's chat read (with `typing_indicator`, shows typing) and answers "
            '`{"success": true}`. `template` and `interactive` (buttons, lists, flows) answer 400 '
            "with code 131051: a linked phone cannot send them. Errors use Graph's shape."
        ),
        responses={
            200: OpenApiResponse(
                PolymorphicProxySerializer(
                    component_name="CloudMessagesAnswer",
                    serializers=[MessageSentSerializer, SuccessSerializer],
                    resource_type_field_name=None,
                ),
                description='Queued: the wamid; for a read receipt, `{"success": true}`.',
            ),
            **graph_errors(*BODY_ERRORS, 404, 409, 422, 503, 507),
        },
        examples=SEND_EXAMPLES,
    )
    def post(self, request, version, phone_number_id):
        session = session_get_for_key(key=request.auth, session_id=phone_number_id)
        serializer = MessageInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if data.get("status") == "read":
            cloud_mark_read(
                key=request.auth,
                session=session,
                message_id=data["message_id"],
                typing="typing_indicator" in data,
            )
            return Response(SuccessSerializer({"success": True}).data)
        sent = cloud_message_send(key=request.auth, session=session, body=data)
        return Response(sent.body())


def _media_info(request, version: str, media: cloud_media.MediaFile) -> dict:
    return {
        "messaging_product": "whatsapp",
        "url": request.build_absolute_uri(f"/v{version}/{media.media_id}/file"),
        "mime_type": media.mimetype,
        "sha256": media.sha256,
        "file_size": media.size,
        "id": media.media_id,
    }


class MediaUploadApi(CloudApiView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        tags=TAG,
        summary="Upload media (Cloud API)",
        operation_id="cloud_media_upload",
        parameters=[VERSION, PHONE_NUMBER_ID],
        request={"multipart/form-data": MediaUploadSerializer},
        description=(
            "Stores a file (`file`; `type` and `messaging_product` as Cloud clients send them) for "
            'this session and answers its media `id`, to send with `{"image": {"id": ...}}` and '
            "the like. The type is sniffed from the bytes; `MEDIA_MAX_BYTES` and the session's "
            "`MEDIA_QUOTA_BYTES` apply."
        ),
        responses={200: MediaUploadedSerializer, **graph_errors(*BODY_ERRORS, 404, 503, 507)},
        examples=[
            OpenApiExample(
                "A PNG",
                value={"file": "(the file)", "messaging_product": "whatsapp", "type": "image/png"},
                request_only=True,
                media_type="multipart/form-data",
            ),
            OpenApiExample(
                "Uploaded", value={"id": MEDIA_ID_EXAMPLE}, response_only=True, status_codes=["200"]
            ),
        ],
    )
    def post(self, request, version, phone_number_id):
        session = session_get_for_key(key=request.auth, session_id=phone_number_id)
        serializer = MediaUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        upload = cloud_media.media_upload(
            session=session, upload=data["file"], claimed_type=data.get("type", "")
        )
        return Response({"id": media_id_for(upload.pk)})


class MediaApi(CloudApiView):
    @extend_schema(
        tags=TAG,
        summary="Get a media URL (Cloud API)",
        operation_id="cloud_media_get",
        parameters=[VERSION, MEDIA_ID],
        description=(
            "An upload's or a received message's media (the id a `cloud` webhook carries): its "
            "download `url` (fetch it with the same bearer key), `mime_type`, `sha256` and `file_size`."
        ),
        responses={200: MediaInfoSerializer, **graph_errors(404)},
        examples=[
            OpenApiExample(
                "A PNG",
                value={
                    "messaging_product": "whatsapp",
                    "url": f"http://localhost:3000/v23.0/{MEDIA_ID_EXAMPLE}/file",
                    "mime_type": "image/png",
                    "sha256": "5d2a0c1f7ae6a2a8e2b8f4a0a8a6a1f2c3d4e5f60718293a4b5c6d7e8f9a0b1c",
                    "file_size": 52311,
                    "id": MEDIA_ID_EXAMPLE,
                },
                response_only=True,
                status_codes=["200"],
            )
        ],
    )
    def get(self, request, version, media_id):
        media = cloud_media.media_file_for_key(key=request.auth, media_id=media_id)
        return Response(_media_info(request, version, media))

    @extend_schema(
        tags=TAG,
        summary="Delete uploaded media (Cloud API)",
        operation_id="cloud_media_delete",
        parameters=[VERSION, MEDIA_ID],
        description="Deletes an upload; a received message's media goes only with its message (400).",
        responses={200: SuccessSerializer, **graph_errors(400, 404)},
        examples=[
            OpenApiExample("Deleted", value={"success": True}, response_only=True, status_codes=["200"])
        ],
    )
    def delete(self, request, version, media_id):
        cloud_media.media_delete(key=request.auth, media_id=media_id)
        return Response({"success": True})


class MediaFileApi(CloudApiView):
    def perform_content_negotiation(self, request, force=False):
        # Clients ask for `image/*` and the like; errors still answer in JSON.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        tags=TAG,
        summary="Download media (Cloud API)",
        operation_id="cloud_media_download",
        parameters=[VERSION, MEDIA_ID],
        description="The media's bytes, with its type: the `url` of `GET /v{version}/{media_id}`.",
        responses={
            (200, "*/*"): OpenApiResponse(OpenApiTypes.BINARY, description="The file, with its own type."),
            **graph_errors(404),
        },
    )
    def get(self, request, version, media_id):
        media = cloud_media.media_file_for_key(key=request.auth, media_id=media_id)
        opened = file_stream(media.name)
        if opened is None:  # deleted since it was looked up
            raise cloud_media.media_not_found(media_id)
        response = FileResponse(opened[0], content_type=media.mimetype or "application/octet-stream")
        response["Content-Length"] = str(opened[1])
        response.block_size = STREAM_BLOCK
        return response


class UnknownPathApi(CloudApiView):
    """Any other path under /v{version}/: a Graph 404 in JSON, as a Cloud client expects, rather
    than the dashboard's HTML page."""

    authentication_classes = []
    permission_classes = []
    throttle_classes = []
    schema = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        raise GraphError(
            f"Unsupported request: there is no {request.method} {request.path} in YesApp's Cloud API "
            "facade (see docs/COMPATIBILITY.md).",
            status=404,
            graph_code=INVALID_PARAMETER,
            subcode=NO_SUCH_OBJECT,
            code="not_found",
        )
