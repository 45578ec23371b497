"""The send body's options besides what is sent: `mentions` and `linkPreview`
(messaging.send_options resolves them)."""

from rest_framework import serializers

from messaging.send_options import MENTIONS_MAX

# Types whose text (or caption) can mention people (`media`: its type left to the bytes); link
# previews are for text.
MENTION_TYPES = ("text", "media", "image", "video", "document")


class _MentionField(serializers.CharField):
    """A phone number (E.164), a user id (`...@c.us`, `...@lid`) or `all`; text only."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            raise serializers.ValidationError(f"Expected a string, got {type(data).__name__}.")
        return super().to_internal_value(data)


class _StrictBoolean(serializers.BooleanField):
    def to_internal_value(self, data):
        if not isinstance(data, bool):
            raise serializers.ValidationError("Must be true or false.")
        return data


class SendOptionsInputSerializer(serializers.Serializer):
    mentions = serializers.ListField(
        child=_MentionField(max_length=100),
        required=False,
        min_length=1,
        max_length=MENTIONS_MAX,
        help_text="People to mention: E.164 numbers or user ids (`...@c.us`, `...@lid`); `all` mentions "
        "everyone in a group (the `@all` token is added to the text when missing). Text, image, video "
        "or document messages.",
    )
    linkPreview = _StrictBoolean(
        required=False,
        help_text="Show a preview of the first link in the text (WhatsApp's default: on). Text messages.",
    )


def check_send_options(attrs: dict, *, kind: str) -> None:
    """Cross-field rules: which message types take mentions and a link preview."""
    if "mentions" in attrs and kind not in MENTION_TYPES:
        raise serializers.ValidationError({"mentions": [f"A {kind} message has no text to mention in."]})
    if "linkPreview" in attrs and kind != "text":
        raise serializers.ValidationError({"linkPreview": ["linkPreview is for text messages."]})


class PollTallyOutputSerializer(serializers.Serializer):
    option = serializers.CharField()
    votes = serializers.IntegerField(help_text="Voters whose current choice includes this option.")
