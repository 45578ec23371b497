"""WAHA's sending endpoints (POST /api/sendText ...): each queues through YesApp's own send
(messaging.services.message_send or messaging.actions), so the queue, rate limit, storage and
events are the same as /api/v1/'s. A message send answers WAHA's WAMessage once WhatsApp took
it (waha.services.waha_wait_sent)."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.response import Response

from messaging import actions
from messaging.content import content_to_send
from messaging.media import MediaSource
from messaging.models import Message
from waha import services
from waha.api import serializers as s
from waha.api.base import TAG, WahaView, waha_errors
from yesapp.errors import NotFound
from yesapp.validators import normalize_phone

SEND_ERRORS = waha_errors(404, 409, 422, 503, 504, 507)
MESSAGE_EXAMPLE = {
    "id": "true_33612345678@c.us_3EB0C767D26A1D5A6F4E",
    "timestamp": 1764583200,
    "from": "33698765432@c.us",
    "fromMe": True,
    "source": "api",
    "to": "33612345678@c.us",
    "participant": None,
    "body": "Hello!",
    "hasMedia": False,
    "media": None,
    "mediaUrl": None,
    "ack": 1,
    "ackName": "SERVER",
    "author": None,
    "location": None,
    "vCards": [],
    "replyTo": None,
}
_SEND_RULES = (
    " Waits until WhatsApp took the message (at most WAHA_SEND_WAIT, then 504: it stays queued). "
    "`reply_to` (or `replyTo`) quotes a message by its WhatsApp id. 422 when the session is not "
    "WORKING. `mentions`: people's chat ids (`<number>@c.us`), or `all` in a group."
)


class _SendApi(WahaView):
    """One send endpoint: `input` validates the body, `build` turns it into message_send's
    arguments."""

    input: type[s.WahaChatRequestSerializer] = s.WahaChatRequestSerializer

    def build(self, data: dict) -> dict:
        raise NotImplementedError

    def post(self, request):
        data = self.input(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        session = self.session_named(values["session"])
        reply_to = values.get("reply_to") or values.get("replyTo") or ""
        answer = services.waha_send(
            session=session,
            chat_id=values["chatId"],
            reply_to=reply_to,
            mentions=values.get("mentions") or None,
            **self.build(values),
        )
        return Response(answer, status=status.HTTP_201_CREATED)


_TO = {"session": "default", "chatId": "33612345678@c.us"}
_PNG = {"mimetype": "image/png", "filename": "photo.png", "url": "https://example.com/photo.png"}
REQUEST_EXAMPLES = {
    "send_text": {**_TO, "text": "Hello!", "reply_to": None},
    "reply": {**_TO, "text": "Yes, we are.", "reply_to": "false_33612345678@c.us_3A0B6F5C1D2E3F4A5B6C"},
    "send_image": {**_TO, "file": _PNG, "caption": "Your photo"},
    "send_file": {
        **_TO,
        "file": {"mimetype": "application/pdf", "filename": "invoice.pdf", "data": "JVBERi0xLjQK"},
    },
    "send_video": {**_TO, "file": {"mimetype": "video/mp4", "url": "https://example.com/clip.mp4"}},
    "send_voice": {
        **_TO,
        "file": {"mimetype": "audio/ogg; codecs=opus", "url": "https://example.com/note.opus"},
    },
    "send_location": {**_TO, "latitude": 48.8584, "longitude": 2.2945, "title": "Eiffel Tower"},
    "send_contact_vcard": {**_TO, "contacts": [{"fullName": "Anna Martin", "phoneNumber": "33698765432"}]},
    "send_poll": {**_TO, "poll": {"name": "Lunch?", "options": ["Pizza", "Salad"], "multipleAnswers": False}},
    "send_seen": _TO,
    "start_typing": _TO,
    "stop_typing": _TO,
}


def _send_schema(name: str, summary: str, body, description: str = ""):
    return extend_schema(
        tags=TAG,
        operation_id=f"waha_{name}",
        summary=f"{summary} (WAHA)",
        description=description + _SEND_RULES,
        request=body,
        responses={201: s.WahaWAMessageSerializer, **SEND_ERRORS},
        examples=[
            OpenApiExample("Request", value=REQUEST_EXAMPLES[name], request_only=True),
            OpenApiExample("Sent", value=MESSAGE_EXAMPLE, response_only=True, status_codes=["201"]),
        ],
    )


class SendTextApi(_SendApi):
    input = s.WahaSendTextSerializer

    def build(self, data):
        return {"text": data["text"], "link_preview": data.get("linkPreview")}

    @_send_schema("send_text", "Send a text", s.WahaSendTextSerializer)
    def post(self, request):
        return super().post(request)


class ReplyApi(SendTextApi):
    """WAHA's older spelling of a reply: sendText with `reply_to`."""

    @_send_schema(
        "reply", "Reply with a text", s.WahaSendTextSerializer, "The same as sendText with `reply_to`."
    )
    def post(self, request):
        return super().post(request)


def _media(kind: str, file: dict) -> MediaSource:
    return MediaSource(
        kind=kind,
        data=file.get("data"),
        url=file.get("url"),
        filename=file.get("filename") or "",
        mimetype=file.get("mimetype") or "",
    )


class _SendFileApi(_SendApi):
    input = s.WahaSendFileSerializer
    kind = ""

    def build(self, data):
        return {"text": data.get("caption") or "", "media": _media(self.kind, data["file"])}


_FILE_HELP = "`file` is `{mimetype, filename, url}` or `{mimetype, filename, data}` (base64)."


class SendImageApi(_SendFileApi):
    kind = "image"

    @_send_schema("send_image", "Send an image", s.WahaSendFileSerializer, _FILE_HELP)
    def post(self, request):
        return super().post(request)


class SendFileApi(_SendFileApi):
    kind = "document"

    @_send_schema("send_file", "Send a file", s.WahaSendFileSerializer, _FILE_HELP)
    def post(self, request):
        return super().post(request)


class SendVideoApi(_SendFileApi):
    kind = "video"

    @_send_schema("send_video", "Send a video", s.WahaSendFileSerializer, _FILE_HELP)
    def post(self, request):
        return super().post(request)


class SendVoiceApi(_SendFileApi):
    kind = "voice"

    def build(self, data):
        return {"media": _media("voice", data["file"])}  # a voice note has no caption

    @_send_schema("send_voice", "Send a voice note", s.WahaSendFileSerializer, _FILE_HELP + " An audio file.")
    def post(self, request):
        return super().post(request)


class SendLocationApi(_SendApi):
    input = s.WahaSendLocationSerializer

    def build(self, data):
        place = {"latitude": data["latitude"], "longitude": data["longitude"], "name": data.get("title", "")}
        return {"content": content_to_send("location", {"location": place})}

    @_send_schema("send_location", "Send a location", s.WahaSendLocationSerializer)
    def post(self, request):
        return super().post(request)


class SendContactVcardApi(_SendApi):
    input = s.WahaSendContactVcardSerializer

    def build(self, data):
        cards = []
        for contact in data["contacts"]:
            if contact.get("vcard"):
                cards.append({"vcard": contact["vcard"]})
            else:
                phone = contact.get("phoneNumber") or contact.get("whatsappId") or ""
                cards.append(
                    {"name": contact.get("fullName", ""), "phone": normalize_phone("+" + phone.lstrip("+"))}
                )
        if cards[0].get("vcard"):
            return {"content": content_to_send("contact", {"vcard": cards[0]["vcard"]})}
        return {"content": content_to_send("contact", {"contacts": cards})}

    @_send_schema(
        "send_contact_vcard",
        "Send contact cards",
        s.WahaSendContactVcardSerializer,
        "Each contact is `{fullName, phoneNumber}` or a raw `vcard` (only the first raw vCard is sent).",
    )
    def post(self, request):
        return super().post(request)


class SendPollApi(_SendApi):
    input = s.WahaSendPollSerializer

    def build(self, data):
        poll = data["poll"]
        spec = {
            "question": poll["name"],
            "options": poll["options"],
            "multipleAnswers": poll["multipleAnswers"],
        }
        return {"content": content_to_send("poll", {"poll": spec})}

    @_send_schema("send_poll", "Send a poll", s.WahaSendPollSerializer)
    def post(self, request):
        return super().post(request)


# --- chat actions ------------------------------------------------------------------------------


def _chat_action_schema(name: str, summary: str, body, description: str):
    return extend_schema(
        tags=TAG,
        operation_id=f"waha_{name}",
        summary=f"{summary} (WAHA)",
        description=description + " Queued like a message: the answer does not wait for it.",
        request=body,
        responses={201: s.WahaEmptySerializer, **waha_errors(404, 409, 422)},
        examples=[
            OpenApiExample("Request", value=REQUEST_EXAMPLES[name], request_only=True),
            OpenApiExample("Queued", value={}, response_only=True, status_codes=["201"]),
        ],
    )


class _ChatActionApi(WahaView):
    input = s.WahaChatRequestSerializer

    def act(self, session, chat_id: str) -> None:
        raise NotImplementedError

    def post(self, request):
        data = self.input(data=request.data)
        data.is_valid(raise_exception=True)
        session = self.session_named(data.validated_data["session"])
        self.act(session, data.validated_data["chatId"])
        return Response({}, status=status.HTTP_201_CREATED)


class SendSeenApi(_ChatActionApi):
    input = s.WahaSendSeenSerializer

    def act(self, session, chat_id):
        actions.chat_mark_read(session=session, chat=chat_id)

    @_chat_action_schema(
        "send_seen",
        "Mark a chat read",
        s.WahaSendSeenSerializer,
        "Marks the whole chat read (`messageIds` are accepted).",
    )
    def post(self, request):
        return super().post(request)


class StartTypingApi(_ChatActionApi):
    def act(self, session, chat_id):
        actions.chat_set_presence(session=session, chat=chat_id, state="typing")

    @_chat_action_schema(
        "start_typing", "Show typing", s.WahaChatRequestSerializer, "WhatsApp drops it after ~25 s."
    )
    def post(self, request):
        return super().post(request)


class StopTypingApi(_ChatActionApi):
    def act(self, session, chat_id):
        actions.chat_set_presence(session=session, chat=chat_id, state="paused")

    @_chat_action_schema("stop_typing", "Stop typing", s.WahaChatRequestSerializer, "")
    def post(self, request):
        return super().post(request)


class ReactionApi(WahaView):
    @extend_schema(
        tags=TAG,
        operation_id="waha_reaction",
        summary="React to a message (WAHA)",
        description='`messageId` is WhatsApp\'s id of a message of this session; `reaction` "" '
        "removes ours. Queued like a message.",
        request=s.WahaReactionSerializer,
        responses={200: s.WahaEmptySerializer, **waha_errors(404, 409, 422)},
        examples=[
            OpenApiExample(
                "Thumbs up",
                value={
                    "session": "default",
                    "messageId": "false_33612345678@c.us_3A0B6F5C1D2E3F4A5B6C",
                    "reaction": "👍",
                },
                request_only=True,
            ),
            OpenApiExample("Queued", value={}, response_only=True),
        ],
    )
    def put(self, request):
        data = s.WahaReactionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        session = self.session_named(values["session"])
        target = Message.objects.filter(session=session, wa_id=values["messageId"], action="").first()
        if target is None:
            raise NotFound(f"No message with id '{values['messageId']}' in session '{session.name}'.")
        actions.message_react(target=target, emoji=values["reaction"])
        return Response({})
