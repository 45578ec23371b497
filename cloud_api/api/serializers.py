"""The Cloud API's request and answer shapes (developers.facebook.com, "Messages" and "Media"
references), as DRF serializers so the OpenAPI schema states them."""

from rest_framework import serializers

from cloud_api.messages import MEDIA_TYPES, PLATFORM_ONLY, SENDABLE
from messaging.api.serializers import StrictBooleanField, StrictCharField, StrictFloatField
from messaging.services import TEXT_MAX_CHARS

MESSAGE_TYPES = (*SENDABLE, *PLATFORM_ONLY)
_DIGITS = r"^\d{1,39}$"


class TextSerializer(serializers.Serializer):
    body = StrictCharField(max_length=TEXT_MAX_CHARS, trim_whitespace=False)
    preview_url = StrictBooleanField(
        required=False,
        default=False,
        help_text="Accepted; WhatsApp Web shows a preview of the first link by itself.",
    )

    def validate_body(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError("text.body must not be empty.")
        return value


class MediaObjectSerializer(serializers.Serializer):
    id = serializers.RegexField(_DIGITS, required=False, help_text="A media id from `POST .../media`.")
    link = serializers.URLField(required=False, max_length=2048, help_text="An http(s) URL YesApp fetches.")
    caption = StrictCharField(
        required=False, allow_blank=True, max_length=TEXT_MAX_CHARS, trim_whitespace=False
    )
    filename = StrictCharField(required=False, allow_blank=True, max_length=255)
    voice = StrictBooleanField(required=False, default=False, help_text="audio: send as a voice note.")

    def validate(self, attrs):
        if ("id" in attrs) == ("link" in attrs):
            raise serializers.ValidationError("Give exactly one of `id` and `link`.")
        return attrs


class LocationSerializer(serializers.Serializer):
    latitude = StrictFloatField(min_value=-90, max_value=90)
    longitude = StrictFloatField(min_value=-180, max_value=180)
    name = StrictCharField(required=False, allow_blank=True, max_length=200)
    address = StrictCharField(required=False, allow_blank=True, max_length=500)


class ContactNameSerializer(serializers.Serializer):
    formatted_name = StrictCharField(max_length=200)
    first_name = StrictCharField(required=False, allow_blank=True, max_length=200)
    last_name = StrictCharField(required=False, allow_blank=True, max_length=200)


class ContactPhoneSerializer(serializers.Serializer):
    phone = StrictCharField(required=False, max_length=40)
    wa_id = serializers.RegexField(r"^\d{5,20}$", required=False)
    type = StrictCharField(required=False, allow_blank=True, max_length=40)

    def validate(self, attrs):
        if not attrs.get("phone") and not attrs.get("wa_id"):
            raise serializers.ValidationError("A phone needs `phone` or `wa_id`.")
        return attrs


class ContactSerializer(serializers.Serializer):
    name = ContactNameSerializer()
    phones = ContactPhoneSerializer(many=True, min_length=1, max_length=10)


class ReactionSerializer(serializers.Serializer):
    message_id = StrictCharField(max_length=100, help_text="The wamid of the message to react to.")
    emoji = StrictCharField(
        allow_blank=True, trim_whitespace=False, max_length=32, help_text='"" removes it.'
    )


class ContextSerializer(serializers.Serializer):
    message_id = StrictCharField(max_length=100, help_text="The wamid of the message to quote.")


class TypingIndicatorSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["text"])


class MessageInputSerializer(serializers.Serializer):
    """A message to send, or (`status: read`) a read receipt."""

    messaging_product = serializers.ChoiceField(choices=["whatsapp"], required=False, default="whatsapp")
    recipient_type = serializers.ChoiceField(
        choices=["individual", "group"], required=False, default="individual"
    )
    to = serializers.RegexField(
        r"^(\+?\d{5,20}|\d{5,20}(-\d{5,20})?@g\.us)$",
        required=False,
        help_text="The recipient: a phone number with country code (digits, `+` allowed) or a group id.",
    )
    type = serializers.ChoiceField(choices=MESSAGE_TYPES, required=False, default="text")
    text = TextSerializer(required=False)
    image = MediaObjectSerializer(required=False)
    video = MediaObjectSerializer(required=False)
    audio = MediaObjectSerializer(required=False)
    document = MediaObjectSerializer(required=False)
    sticker = MediaObjectSerializer(required=False)
    location = LocationSerializer(required=False)
    contacts = ContactSerializer(many=True, required=False, min_length=1, max_length=10)
    reaction = ReactionSerializer(required=False)
    context = ContextSerializer(required=False)
    template = serializers.DictField(required=False, help_text="Refused: a linked phone has no templates.")
    interactive = serializers.DictField(
        required=False, help_text="Refused: a linked phone cannot send these."
    )
    biz_opaque_callback_data = StrictCharField(required=False, allow_blank=True, max_length=512)
    status = serializers.ChoiceField(choices=["read"], required=False, help_text="`read`: a read receipt.")
    message_id = StrictCharField(required=False, max_length=100, help_text="Read receipt: the wamid read.")
    typing_indicator = TypingIndicatorSerializer(required=False)

    def validate(self, attrs):
        if "status" in attrs:
            if "message_id" not in attrs:
                raise serializers.ValidationError({"message_id": ["A read receipt needs `message_id`."]})
            return attrs
        if "to" not in attrs:
            raise serializers.ValidationError({"to": ["This field is required."]})
        kind = attrs["type"]
        if kind in (*MEDIA_TYPES, "text", "location", "contacts", "reaction") and kind not in attrs:
            raise serializers.ValidationError({kind: [f"A {kind} message needs `{kind}`."]})
        return attrs


class MessageContactSerializer(serializers.Serializer):
    input = serializers.CharField(help_text="`to` as given.")
    wa_id = serializers.CharField(help_text="The recipient's WhatsApp id (digits).")


class MessageIdSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="`wamid.` + YesApp's message id; status webhooks name it.")


class MessageSentSerializer(serializers.Serializer):
    messaging_product = serializers.ChoiceField(choices=["whatsapp"])
    contacts = MessageContactSerializer(many=True)
    messages = MessageIdSerializer(many=True)


class SuccessSerializer(serializers.Serializer):
    success = serializers.BooleanField()


class MediaUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The file; its type is sniffed from the bytes.")
    messaging_product = serializers.ChoiceField(choices=["whatsapp"], required=False)
    type = StrictCharField(
        required=False, allow_blank=True, max_length=255, help_text="The file's MIME type."
    )


class MediaUploadedSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="The media id (digits).")


class MediaInfoSerializer(serializers.Serializer):
    messaging_product = serializers.ChoiceField(choices=["whatsapp"])
    url = serializers.URLField(help_text="Download it with the same `Authorization: Bearer` key.")
    mime_type = serializers.CharField()
    sha256 = serializers.CharField()
    file_size = serializers.IntegerField()
    id = serializers.CharField()


class GraphErrorBodySerializer(serializers.Serializer):
    message = serializers.CharField()
    type = serializers.CharField(help_text="`OAuthException`, as Graph writes it.")
    code = serializers.IntegerField(help_text="Graph's error code, e.g. 100, 190, 131051, 130429.")
    error_subcode = serializers.IntegerField(allow_null=True)
    error_data = serializers.DictField(help_text="`messaging_product` and `details` (YesApp's own code).")
    is_transient = serializers.BooleanField()
    fbtrace_id = serializers.CharField(help_text="YesApp's request id (X-Request-ID).")


class GraphErrorSerializer(serializers.Serializer):
    error = GraphErrorBodySerializer()
