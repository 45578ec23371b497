"""Input and output of the sandbox API (the simulated phone and its contacts)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from sandbox.models import SandboxMessage
from sandbox.services.messages import MEDIA_TYPES
from yesapp.api.envelope import deprecated_alias, list_envelope_serializer
from yesapp.media_input import Base64Field
from yesapp.validators import OffsetField

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
    phone = serializers.CharField(
        max_length=32, help_text="The sandbox phone's number, E.164 (+33612345678)."
    )
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


class InboundInputSerializer(serializers.Serializer):
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
    media = InboundMediaSerializer(required=False, help_text="JSON uploads: the file as base64.")
    file = serializers.FileField(required=False, help_text="Multipart uploads: the file itself.")
    type = serializers.ChoiceField(
        choices=SANDBOX_MEDIA_TYPES,
        required=False,
        default="auto-detect",
        help_text="Multipart uploads: the wa-js type of `file`.",
    )
    mimetype = serializers.CharField(
        max_length=120,
        required=False,
        default="",
        allow_blank=True,
        help_text="Multipart uploads: the mimetype of `file`.",
    )

    def get_fields(self):
        fields = super().get_fields()
        # `from` is a Python keyword, so it is added by name; the service validates the number.
        fields["from"] = serializers.CharField(max_length=32, help_text="The contact's number, E.164.")
        return fields

    def validate(self, attrs):
        if "media" in attrs and "file" in attrs:
            raise serializers.ValidationError(
                {"media": ["Send either media (JSON) or file (multipart), not both."]}
            )
        if "media" not in attrs and "file" not in attrs and not attrs.get("text"):
            raise serializers.ValidationError({"text": ["Send text, media, or both."]})
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


class OutboxMessageSerializer(serializers.Serializer):
    id = serializers.CharField(source="wa_id", help_text="The WhatsApp message id (true_<chat>_<KEY>).")
    to = serializers.SerializerMethodField(help_text="The contact's number, E.164.")
    chatId = serializers.CharField(source="chat_id")
    type = MessageTypeField(help_text="text, image, video, audio, ptt, document or sticker.")
    text = serializers.CharField(help_text="The text, or the caption of a media message.")
    ack = serializers.IntegerField(help_text="1 sent, 2 delivered, 3 read.")
    status = serializers.SerializerMethodField()
    sentAt = serializers.DateTimeField(source="created_at")
    deliveredAt = serializers.DateTimeField(source="delivered_at", allow_null=True)
    readAt = serializers.DateTimeField(source="read_at", allow_null=True)
    media = serializers.SerializerMethodField()

    def get_to(self, message: SandboxMessage) -> str:
        return message.contact.phone

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
