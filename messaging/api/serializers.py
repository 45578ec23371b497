"""Input and output shapes of the messaging API."""

import math

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from messaging.api.send_option_serializers import (
    PollTallyOutputSerializer,
    SendOptionsInputSerializer,
    check_send_options,
)
from messaging.content import POLL_OPTIONS_MAX, POLL_OPTIONS_MIN, VCARD_MAX_CHARS
from messaging.models import (
    SENDABLE_MEDIA_TYPES,
    SENDABLE_TYPES,
    Direction,
    Message,
    MessageAction,
    MessageStatus,
)
from messaging.pacing import WAIT_REASONS
from messaging.services import TEXT_MAX_CHARS, message_event_payload
from yesapp.api.envelope import deprecated_alias, list_envelope_serializer
from yesapp.errors import InvalidInput
from yesapp.media_input import Base64Field
from yesapp.outbound_address import URL_SCHEMA
from yesapp.validators import RECIPIENT_SCHEMA, OffsetField, PhoneNumberField, normalize_chat_id


class StrictCharField(serializers.CharField):
    """Text only: DRF's CharField would quietly turn a number into a string."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            raise serializers.ValidationError(f"Expected a string, got {type(data).__name__}.")
        return super().to_internal_value(data)


@extend_schema_field(RECIPIENT_SCHEMA)
class RecipientField(StrictCharField):
    """An E.164 number (`+33612345678`) or a raw chat id (`...@c.us`, `...@g.us`, `...@lid`)."""

    def to_internal_value(self, data):
        try:
            return normalize_chat_id(super().to_internal_value(data))
        except InvalidInput as exc:
            raise serializers.ValidationError(exc.message) from exc


@extend_schema_field(URL_SCHEMA)
class MediaUrlField(StrictCharField):
    """Text checked as a URL to fetch (messaging.media.check_url_at_once); in the schema, one."""


class StrictBooleanField(serializers.BooleanField):
    """true/false in JSON; form posts may also say "true"/"false"/"1"/"0"."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or data in ("true", "false", "True", "False", "1", "0"):
            return super().to_internal_value(data)
        raise serializers.ValidationError("Must be true or false.")


class StrictFloatField(serializers.FloatField):
    """A JSON number: DRF's FloatField would also take "48.85" or true; NaN and infinities are
    refused (they pass any range check)."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float) or not math.isfinite(data):
            raise serializers.ValidationError("Expected a finite number.")
        return super().to_internal_value(data)


def _text_field(**kwargs):
    return StrictCharField(
        required=False, allow_blank=True, trim_whitespace=False, max_length=TEXT_MAX_CHARS, **kwargs
    )


class MediaInputSerializer(serializers.Serializer):
    type = serializers.ChoiceField(
        choices=SENDABLE_MEDIA_TYPES,
        required=False,
        help_text="What to send it as; decided from the bytes when left out.",
    )
    data = Base64Field(required=False, help_text="The file in base64 (a `data:` URL is fine too).")
    url = MediaUrlField(required=False, max_length=2048, help_text="An http(s) URL to fetch the file from.")
    filename = StrictCharField(required=False, allow_blank=True, max_length=255)
    mimetype = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=255,
        help_text="Used only for formats without a signature (plain text, CSV); "
        "otherwise sniffed from the bytes.",
    )
    caption = _text_field()

    def validate(self, attrs):
        if ("data" in attrs) == ("url" in attrs):
            raise serializers.ValidationError("Give exactly one of media.data (base64) and media.url.")
        return attrs


class LocationInputSerializer(serializers.Serializer):
    latitude = StrictFloatField(min_value=-90, max_value=90, help_text="Degrees, -90 to 90.")
    longitude = StrictFloatField(min_value=-180, max_value=180, help_text="Degrees, -180 to 180.")
    name = StrictCharField(required=False, allow_blank=True, max_length=200, help_text="The place's name.")
    address = StrictCharField(required=False, allow_blank=True, max_length=500)


class ContactCardInputSerializer(serializers.Serializer):
    name = StrictCharField(max_length=200)
    phone = PhoneNumberField(help_text="E.164, e.g. +33612345678.")


class PollInputSerializer(serializers.Serializer):
    question = StrictCharField(max_length=255)
    options = serializers.ListField(
        child=StrictCharField(max_length=100), min_length=POLL_OPTIONS_MIN, max_length=POLL_OPTIONS_MAX
    )
    multipleAnswers = StrictBooleanField(
        required=False, default=False, help_text="Voters may choose several options."
    )


# The body field that carries each kind of message (besides text); at most one per message.
BODY_FIELDS = {
    "media": "media",
    "location": "location",
    "contacts": "contact",
    "vcard": "contact",
    "poll": "poll",
}


def _send_type(attrs) -> str:
    """The message's `type`: as given, else from the one body field present (else text)."""
    given = [name for name in BODY_FIELDS if name in attrs]
    if len(given) > 1:
        raise serializers.ValidationError({given[1]: [f"Send one of {', '.join(BODY_FIELDS)}, not several."]})
    inferred = (
        (attrs["media"].get("type", "media") if given == ["media"] else BODY_FIELDS[given[0]])
        if given
        else "text"
    )
    kind = attrs.get("type") or inferred
    needed = "media" if kind in (*SENDABLE_MEDIA_TYPES, "voice") else kind
    if needed != "text" and BODY_FIELDS.get(given[0] if given else "") != needed:
        field = {"contact": "contacts"}.get(needed, needed)
        raise serializers.ValidationError({field: [f"A {kind} message needs `{field}`."]})
    if needed == "text" and given:
        raise serializers.ValidationError({"type": [f"type text does not go with `{given[0]}`."]})
    return kind


class MessageSendInputSerializer(SendOptionsInputSerializer):
    """JSON body of `POST /sessions/{id}/messages` (mentions and linkPreview: its base)."""

    to = RecipientField(help_text="E.164 number (`+33612345678`) or chat id (`...@c.us`, `...@g.us`).")
    type = serializers.ChoiceField(
        choices=SENDABLE_TYPES,
        required=False,
        help_text="What to send; by default decided from the body (`media`, `location`, `contacts` or "
        "`vcard`, `poll`, else text). `voice` sends `media` (audio) as a push-to-talk voice note.",
    )
    text = _text_field(help_text="The message; with media, the caption when `caption` is not given.")
    caption = _text_field(help_text="Caption of the media.")
    media = MediaInputSerializer(required=False)
    location = LocationInputSerializer(required=False)
    contacts = serializers.ListField(
        child=ContactCardInputSerializer(),
        required=False,
        min_length=1,
        max_length=10,
        help_text="Contact cards.",
    )
    vcard = StrictCharField(
        required=False, max_length=VCARD_MAX_CHARS, help_text="One contact card as a vCard."
    )
    poll = PollInputSerializer(required=False)
    replyTo = StrictCharField(
        required=False, max_length=200, help_text="The message to quote: its messageId or waMessageId."
    )
    queue = StrictBooleanField(
        required=False,
        default=False,
        help_text="Queue the message if the session is not connected, instead of answering 409.",
    )

    def validate(self, attrs):
        kind = attrs["type"] = _send_type(attrs)
        if kind == "text" and not attrs.get("text", "").strip():
            raise serializers.ValidationError({"text": ["text must not be empty (or send media)."]})
        if kind in ("location", "contact", "poll", "voice") and (attrs.get("text") or attrs.get("caption")):
            raise serializers.ValidationError(
                {"text": [f"A {kind} message has no text; send it on its own."]}
            )
        media_type = attrs.get("media", {}).get("type")
        if kind == "voice" and media_type not in (None, "audio"):
            raise serializers.ValidationError({"media": ["A voice note is an audio file."]})
        if kind in SENDABLE_MEDIA_TYPES and media_type not in (None, kind):
            raise serializers.ValidationError({"type": [f"type {kind} and media.type {media_type} differ."]})
        check_send_options(attrs, kind=kind)
        return attrs


class MessageSendMultipartSerializer(serializers.Serializer):
    """`multipart/form-data` body of `POST /sessions/{id}/messages`: a `file` and form fields."""

    to = RecipientField()
    file = serializers.FileField(required=False, help_text="The media file.")
    type = serializers.ChoiceField(
        choices=[*SENDABLE_MEDIA_TYPES, "voice"],
        required=False,
        help_text="`voice`: an audio file as a voice note.",
    )
    replyTo = StrictCharField(required=False, max_length=200, help_text="The message to quote.")
    filename = StrictCharField(required=False, allow_blank=True, max_length=255)
    text = _text_field()
    caption = _text_field()
    queue = StrictBooleanField(required=False, default=False)

    def validate(self, attrs):
        if "file" not in attrs and not attrs.get("text", "").strip():
            raise serializers.ValidationError({"text": ["text must not be empty (or send a file)."]})
        if "file" not in attrs and attrs.get("type"):
            raise serializers.ValidationError({"file": [f"A {attrs['type']} message needs a file."]})
        if attrs.get("type") == "voice" and (attrs.get("text") or attrs.get("caption")):
            raise serializers.ValidationError({"text": ["A voice message has no text; send it on its own."]})
        return attrs


class MessageListQuerySerializer(serializers.Serializer):
    limit = serializers.IntegerField(required=False, default=50, min_value=1, max_value=500)
    offset = OffsetField()
    direction = serializers.ChoiceField(choices=["all", *Direction.values], required=False, default="all")
    chat = RecipientField(required=False, help_text="Only this chat: a chat id or an E.164 number.")
    phone = PhoneNumberField(required=False, help_text="Only messages with this number (E.164).")
    status = serializers.ChoiceField(choices=MessageStatus.choices, required=False)
    since = serializers.DateTimeField(required=False, help_text="ISO 8601; stored at or after.")
    # A range that ends at or before its start is empty, not an error: the schema can state
    # neither field's bound in terms of the other, so any two valid times are a valid query.
    until = serializers.DateTimeField(
        required=False, help_text="ISO 8601; stored before (at or before `since`: nothing)."
    )


class MessageMediaOutputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=["pending", "fetching", "stored", "failed"],
        help_text="Received media: pending until downloaded. Sent by URL: fetching until fetched.",
    )
    mimetype = serializers.CharField()
    size = serializers.IntegerField(allow_null=True)
    filename = serializers.CharField()
    error = serializers.CharField()


class MessageErrorOutputSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class ReactionOutputSerializer(serializers.Serializer):
    emoji = serializers.CharField()
    fromMe = serializers.BooleanField(help_text="Our own reaction (through the API or from the phone).")
    timestamp = serializers.DateTimeField(allow_null=True)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.CharField(help_text="WhatsApp id of who reacted.")
        return fields


class EditOutputSerializer(serializers.Serializer):
    text = serializers.CharField(help_text="The text before this edit.")
    editedAt = serializers.DateTimeField()


class ReplyToOutputSerializer(serializers.Serializer):
    messageId = serializers.UUIDField(
        allow_null=True, help_text="Ours, when the quoted message is stored here."
    )
    waMessageId = serializers.CharField(help_text="WhatsApp's id of the quoted message.")


class LocationOutputSerializer(serializers.Serializer):
    latitude = serializers.FloatField(allow_null=True)
    longitude = serializers.FloatField(allow_null=True)
    name = serializers.CharField()
    address = serializers.CharField()


class ContactCardOutputSerializer(serializers.Serializer):
    name = serializers.CharField()
    phone = serializers.CharField(help_text="E.164; empty when the card has no usable number.")
    vcard = serializers.CharField()


class PollOutputSerializer(serializers.Serializer):
    question = serializers.CharField()
    options = serializers.ListField(child=serializers.CharField())
    multipleAnswers = serializers.BooleanField()
    tally = PollTallyOutputSerializer(many=True, help_text="Each option and how many voters chose it now.")


class MessagePersonOutputSerializer(serializers.Serializer):
    phone = serializers.CharField(
        allow_null=True, help_text="E.164; null when WhatsApp Web does not know it (never a guess)."
    )
    lid = serializers.CharField(allow_null=True, help_text="`<digits>@lid`; null when not known yet.")


class MessageOutputSerializer(serializers.Serializer):
    """A message as the API and the `message.*` webhooks show it (services.message_event_payload)."""

    messageId = serializers.UUIDField()
    sessionId = serializers.UUIDField()
    direction = serializers.ChoiceField(choices=Direction.choices)
    status = serializers.ChoiceField(choices=MessageStatus.choices)
    type = serializers.CharField(
        help_text="text, image, video, audio, voice, document, location, contact, poll, or the wa-js type "
        "of anything else received (sticker, ...)."
    )
    chatId = serializers.CharField()
    to = serializers.CharField()
    phone = serializers.CharField(help_text="The other party's number (E.164) when known.")
    author = serializers.CharField(help_text="The group member who wrote it, in a group.")
    contactName = serializers.CharField()
    fromPhone = serializers.BooleanField(help_text="Sent from the phone itself, not through the API.")
    contact = MessagePersonOutputSerializer(
        allow_null=True,
        help_text="The person the message is with (the sender, the member in a group, or the "
        "recipient) as a phone number and a lid; null for a group or broadcast recipient.",
    )
    text = serializers.CharField()
    replyTo = ReplyToOutputSerializer(allow_null=True, help_text="The message this one quotes.")
    location = LocationOutputSerializer(allow_null=True, help_text="type location: the place.")
    contacts = ContactCardOutputSerializer(many=True, allow_null=True, help_text="type contact: the cards.")
    poll = PollOutputSerializer(allow_null=True, help_text="type poll: the question and options.")
    mentions = MessagePersonOutputSerializer(many=True, help_text="The people it mentions.")
    mentionsAll = serializers.BooleanField(help_text="It mentions everyone in the group (`@all`).")
    forwarded = serializers.BooleanField(help_text="WhatsApp shows it as forwarded.")
    waMessageId = serializers.CharField()
    timestamp = serializers.DateTimeField()
    mediaUrl = serializers.URLField(allow_null=True)
    media = MessageMediaOutputSerializer(allow_null=True)
    error = MessageErrorOutputSerializer(allow_null=True)
    idempotencyKey = serializers.CharField(allow_null=True)
    createdAt = serializers.DateTimeField()
    sentAt = serializers.DateTimeField(allow_null=True)
    deliveredAt = serializers.DateTimeField(allow_null=True)
    readAt = serializers.DateTimeField(allow_null=True)
    failedAt = serializers.DateTimeField(allow_null=True)
    # A queued message's wait under the session's sending policy (docs/ANTI_BAN.md), else null.
    notBefore = serializers.DateTimeField(allow_null=True, help_text="When it is expected to go.")
    waitingFor = serializers.ChoiceField(choices=WAIT_REASONS, allow_null=True, help_text="Why it waits.")
    action = serializers.ChoiceField(
        choices=[action for action in MessageAction.values if action],
        allow_null=True,
        help_text="Set on an action (a reaction, delete, edit, read or presence queued through the API); "
        "null on a message.",
    )
    targetMessageId = serializers.UUIDField(allow_null=True, help_text="The message an action acts on.")
    reactions = ReactionOutputSerializer(many=True, help_text="The reactions on this message now.")
    editedAt = serializers.DateTimeField(allow_null=True)
    edits = EditOutputSerializer(many=True, help_text="Earlier texts, oldest first.")
    revokedAt = serializers.DateTimeField(allow_null=True, help_text="When it was deleted for everyone.")
    deletedAt = serializers.DateTimeField(allow_null=True, help_text="When it was deleted on this device.")

    def get_fields(self):
        fields = super().get_fields()
        # `from` is a Python keyword, so it is added by name.
        fields["from"] = serializers.CharField()
        return fields

    def to_representation(self, instance: Message) -> dict:
        return message_event_payload(instance, lid_pairs=self.context.get("lid_pairs"))


MessageListOutputSerializer = list_envelope_serializer(
    MessageOutputSerializer(many=True),
    name="MessageList",
    deprecated={"messages": deprecated_alias(MessageOutputSerializer(many=True), same="items")},
)


class StatsOutputSerializer(serializers.Serializer):
    sessions = serializers.DictField(help_text="`total` and `byStatus` (status → count).")
    messages = serializers.DictField(help_text="`sentLast24h`, `receivedLast24h`, `failedLast24h`.")
    queues = serializers.DictField(
        help_text="`total` waiting, and per session `pending` (fetching media), `queued` and `sending`."
    )
    uptimeSeconds = serializers.IntegerField()
    startedAt = serializers.DateTimeField()
