"""Input and output of the sandbox API (the simulated phone and its contacts)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from sandbox import message_content
from sandbox.models import SandboxMessage
from sandbox.services.messages import MEDIA_TYPES
from yesapp.api.envelope import deprecated_alias, list_envelope_serializer
from yesapp.media_input import Base64Field
from yesapp.validators import OffsetField, PhoneNumberField, PhoneTextField

PAGE_MODES = ["absent", "qr", "qr_idle", "linking", "connected", "offline", "logged_out"]


# What a contact may send as; named so the OpenAPI enum gets a stable name.
SANDBOX_MEDIA_TYPES = ["auto-detect", *MEDIA_TYPES]


class MessageTypeField(serializers.CharField):
    """A message's type in the API's words, as the messages API and webhooks say it: wa-js calls
    a text message `chat`, YesApp calls it `text` (messaging.inbound stores it so)."""

    def to_representation(self, value) -> str:
        value = super().to_representation(value)
        return "text" if value == "chat" else value


class SandboxStateOutputSerializer(serializers.Serializer):
    linked = serializers.BooleanField(help_text="A browser is linked to the sandbox phone.")
    phone = serializers.CharField(help_text="The linked number, E.164; empty when not linked.")
    pushName = serializers.CharField()
    linkedAt = serializers.DateTimeField(allow_null=True)
    page = serializers.ChoiceField(
        choices=PAGE_MODES,
        help_text="What the sandbox page shows: absent (no browser polled for 5 s), qr (a scannable QR), "
        "qr_idle (the QR expired: the engine refreshes it), linking (just scanned: the page logs in "
        "within about a second), connected, offline (see offlineUntil), "
        "logged_out (open, neither linked nor showing a QR).",
    )
    pageSeenAt = serializers.DateTimeField(allow_null=True, help_text="Last poll from the page.")
    qrIssuedAt = serializers.DateTimeField(allow_null=True)
    offlineUntil = serializers.DateTimeField(allow_null=True)


class LinkInputSerializer(serializers.Serializer):
    # The number is validated by the service (yesapp.validators.normalize_phone): 400 if wrong.
    phone = PhoneTextField(max_length=32, help_text="The sandbox phone's number, E.164 (+33612345678).")
    name = serializers.CharField(
        max_length=100,
        required=False,
        default="",
        allow_blank=True,
        help_text="Its push name (what contacts see); default `Sandbox`.",
    )
    qr = serializers.CharField(
        max_length=1000,
        required=False,
        default="",
        allow_blank=True,
        help_text="Optional: the QR's text as scanned; 409 when it is no longer shown.",
    )
    code = serializers.CharField(
        max_length=9,
        required=False,
        default="",
        allow_blank=True,
        help_text="Optional: a pairing code from POST /sessions/{id}/pairing-code "
        "instead of the QR; `phone` must be the number it was made for.",
    )

    def validate_code(self, value: str) -> str:
        return value.replace("-", "").strip()


class InboundMediaSerializer(serializers.Serializer):
    data = Base64Field(help_text="The file, base64 (or a data: URL).")
    filename = serializers.CharField(max_length=255, required=False, default="", allow_blank=True)
    mimetype = serializers.CharField(
        max_length=120,
        required=False,
        default="",
        allow_blank=True,
        help_text="Sniffed from the bytes when left out.",
    )
    type = serializers.ChoiceField(
        choices=SANDBOX_MEDIA_TYPES,
        required=False,
        default="auto-detect",
        help_text="wa-js type; auto-detect picks image/video/audio/document from the mimetype.",
    )


class InboundLocationSerializer(serializers.Serializer):
    latitude = serializers.FloatField(min_value=-90, max_value=90)
    longitude = serializers.FloatField(min_value=-180, max_value=180)
    name = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    address = serializers.CharField(max_length=500, required=False, default="", allow_blank=True)


class InboundContactSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    phone = PhoneNumberField(help_text="E.164.")


class InboundPollSerializer(serializers.Serializer):
    question = serializers.CharField(max_length=255)
    options = serializers.ListField(child=serializers.CharField(max_length=100), min_length=2, max_length=12)
    multipleAnswers = serializers.BooleanField(required=False, default=False)


# What a contact may send besides text in a JSON body; at most one per message.
INBOUND_CONTENT_FIELDS = ("media", "location", "contacts", "poll")


class _InboundSerializer(serializers.Serializer):
    """What every inbound message has, JSON or multipart: who sends it, the text, the name,
    the message it quotes."""

    text = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        max_length=65536,
        help_text="The message, or the caption of the media.",
    )
    name = serializers.CharField(
        max_length=100,
        required=False,
        default="",
        allow_blank=True,
        help_text="The contact's push name (notifyName); kept for later messages.",
    )
    replyTo = serializers.CharField(
        max_length=120,
        required=False,
        default="",
        allow_blank=True,
        help_text="The WhatsApp id of a message in this sandbox to quote (404 `msg_not_found` otherwise).",
    )

    mentions = serializers.ListField(
        child=PhoneTextField(max_length=32),
        required=False,
        default=list,
        max_length=50,
        help_text="Numbers (E.164) the message mentions (wa-js mentionedJidList).",
    )
    forwarded = serializers.BooleanField(
        required=False, default=False, help_text="Shown as forwarded (wa-js isForwarded)."
    )

    def get_fields(self):
        fields = super().get_fields()
        # `from` is a Python keyword, so it is added by name; the service validates the number.
        fields["from"] = PhoneTextField(max_length=32, help_text="The contact's number, E.164.")
        return fields


class InboundInputSerializer(_InboundSerializer):
    """JSON body of `POST .../inbound`: text, and media as base64, a location, contact cards or
    a poll."""

    media = InboundMediaSerializer(required=False, help_text="The file as base64.")
    location = InboundLocationSerializer(required=False, help_text="A location (wa-js type location).")
    contacts = serializers.ListField(
        child=InboundContactSerializer(),
        required=False,
        min_length=1,
        max_length=10,
        help_text="Contact cards (wa-js vcard, or multi_vcard for several).",
    )
    poll = InboundPollSerializer(required=False, help_text="A poll (wa-js poll_creation).")

    def validate(self, attrs):
        given = [name for name in INBOUND_CONTENT_FIELDS if name in attrs]
        if len(given) > 1:
            raise serializers.ValidationError({given[1]: [f"Send one of {', '.join(given)}, not several."]})
        if not given and not attrs.get("text"):
            raise serializers.ValidationError({"text": ["Send text, media, or both."]})
        if given and given[0] in ("location", "contacts", "poll") and attrs.get("text"):
            raise serializers.ValidationError({"text": [f"A message with {given[0]} has no text."]})
        return attrs


class InboundMultipartSerializer(_InboundSerializer):
    """`multipart/form-data` body of `POST .../inbound`: a `file` and form fields."""

    file = serializers.FileField(required=False, help_text="The file itself.")
    type = serializers.ChoiceField(
        choices=SANDBOX_MEDIA_TYPES,
        required=False,
        default="auto-detect",
        help_text="The wa-js type of `file`.",
    )
    mimetype = serializers.CharField(
        max_length=120,
        required=False,
        default="",
        allow_blank=True,
        help_text="The mimetype of `file`; sniffed from the bytes when left out.",
    )

    def validate(self, attrs):
        if "file" not in attrs and not attrs.get("text"):
            raise serializers.ValidationError({"text": ["Send text, a file, or both."]})
        return attrs


class InboundOutputSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="The WhatsApp message id, as the session will see it.")
    chatId = serializers.CharField()
    type = MessageTypeField(help_text="text, image, video, audio, ptt, document or sticker.")
    cursor = serializers.IntegerField(help_text="Its place in the page's event stream.")
    createdAt = serializers.DateTimeField()


class PageEventInputSerializer(serializers.Serializer):
    name = serializers.RegexField(
        r"^[A-Za-z0-9_.]+$", max_length=100, help_text="A wa-js event name, e.g. `chat.new_message`."
    )
    data = serializers.JSONField(
        allow_null=True, help_text="The payload the page emits, exactly as given (any JSON value)."
    )


class PageEventOutputSerializer(serializers.Serializer):
    cursor = serializers.IntegerField(help_text="Its place in the page's event stream.")


class DisconnectInputSerializer(serializers.Serializer):
    mode = serializers.ChoiceField(
        choices=["unlink", "offline"],
        help_text="unlink: the phone removes the linked device (the session logs out and needs a new "
        "scan). offline: the connection drops for `seconds`, then comes back.",
    )
    seconds = serializers.IntegerField(required=False, default=10, min_value=1, max_value=3600)


class OutboxQuerySerializer(serializers.Serializer):
    limit = serializers.IntegerField(required=False, default=50, min_value=1, max_value=500)
    offset = OffsetField()


class OutboxMediaSerializer(serializers.Serializer):
    mimetype = serializers.CharField()
    filename = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField(help_text="Hex SHA-256 of the bytes the contact received.")
    url = serializers.CharField(help_text="Download path (needs the API key).")


class OutboxLocationSerializer(serializers.Serializer):
    latitude = serializers.FloatField()
    longitude = serializers.FloatField()
    name = serializers.CharField()
    address = serializers.CharField()


class OutboxContactSerializer(serializers.Serializer):
    name = serializers.CharField()
    phone = serializers.CharField()
    vcard = serializers.CharField()


class OutboxPollSerializer(serializers.Serializer):
    question = serializers.CharField()
    options = serializers.ListField(child=serializers.CharField())
    multipleAnswers = serializers.BooleanField()


class OutboxMessageSerializer(serializers.Serializer):
    id = serializers.CharField(source="wa_id", help_text="The WhatsApp message id (true_<chat>_<KEY>).")
    to = serializers.SerializerMethodField(help_text="The contact's number, E.164.")
    chatId = serializers.CharField(source="chat_id")
    type = MessageTypeField(
        help_text="text, image, video, audio, ptt, document, sticker, location, vcard, multi_vcard or "
        "poll_creation (wa-js types)."
    )
    text = serializers.CharField(help_text="The text, or the caption of a media message.")
    ack = serializers.IntegerField(help_text="1 sent, 2 delivered, 3 read.")
    status = serializers.SerializerMethodField()
    sentAt = serializers.DateTimeField(source="created_at")
    deliveredAt = serializers.DateTimeField(source="delivered_at", allow_null=True)
    readAt = serializers.DateTimeField(source="read_at", allow_null=True)
    media = serializers.SerializerMethodField()
    quotedMsgId = serializers.CharField(source="quoted_wa_id", help_text="The message it quotes (quotedMsg).")
    isPtt = serializers.SerializerMethodField(help_text="Sent as a push-to-talk voice note.")
    location = serializers.SerializerMethodField()
    contacts = serializers.SerializerMethodField()
    poll = serializers.SerializerMethodField()
    mentions = serializers.SerializerMethodField(help_text="User ids it mentions (mentionedList).")
    linkPreview = serializers.SerializerMethodField(help_text="The link previewed, if any.")
    isForwarded = serializers.SerializerMethodField(help_text="Forwarded (WPP.chat.forwardMessages).")
    waveform = serializers.SerializerMethodField(
        help_text="A voice note's 64 bars (0-100) when sent with its waveform; null otherwise."
    )

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField(), allow_null=True))
    def get_waveform(self, message: SandboxMessage) -> list[int] | None:
        return message_content.outbox_extras(message)["waveform"]

    def get_mentions(self, message: SandboxMessage) -> list[str]:
        return message_content.outbox_extras(message)["mentions"]

    def get_linkPreview(self, message: SandboxMessage) -> str | None:
        return message_content.outbox_extras(message)["linkPreview"]

    def get_isForwarded(self, message: SandboxMessage) -> bool:
        return message_content.outbox_extras(message)["isForwarded"]

    def get_isPtt(self, message: SandboxMessage) -> bool:
        return message.type == "ptt"

    @extend_schema_field(OutboxLocationSerializer(allow_null=True))
    def get_location(self, message: SandboxMessage) -> dict | None:
        return message_content.outbox_location(message)

    @extend_schema_field(OutboxContactSerializer(many=True, allow_null=True))
    def get_contacts(self, message: SandboxMessage) -> list | None:
        return message_content.outbox_contacts(message)

    @extend_schema_field(OutboxPollSerializer(allow_null=True))
    def get_poll(self, message: SandboxMessage) -> dict | None:
        return message_content.outbox_poll(message)

    def get_to(self, message: SandboxMessage) -> str:
        return message.contact.phone if message.contact else message.chat_id  # a group

    def get_status(self, message: SandboxMessage) -> str:
        return message.get_ack_display()

    @extend_schema_field(OutboxMediaSerializer(allow_null=True))
    def get_media(self, message: SandboxMessage) -> dict | None:
        if not message.is_media:
            return None
        return {
            "mimetype": message.mimetype,
            "filename": message.filename,
            "size": message.size,
            "sha256": message.sha256,
            "url": f"/api/v1/sandbox/sessions/{message.session_id}/outbox/{message.wa_id}/media",
        }


OutboxOutputSerializer = list_envelope_serializer(
    OutboxMessageSerializer(many=True),
    name="SandboxOutbox",
    deprecated={"messages": deprecated_alias(OutboxMessageSerializer(many=True), same="items")},
)
