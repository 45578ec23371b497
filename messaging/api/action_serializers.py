"""Input shapes of the actions on a message or a chat (messaging/api/action_views.py,
chat_views.py)."""

from django.core.validators import ProhibitNullCharactersValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.validators import ProhibitSurrogateCharactersValidator

from messaging.actions import EMOJI_MAX_CHARS, EMOJI_PATTERN
from messaging.api.serializers import StrictBooleanField, StrictCharField
from messaging.services import TEXT_MAX_CHARS


@extend_schema_field({"type": "string", "maxLength": EMOJI_MAX_CHARS, "pattern": EMOJI_PATTERN})
class EmojiField(serializers.Field):
    """Checked by messaging.actions.message_react (400 `invalid_emoji`); the schema says how.
    Not a CharField: "" is one of its values (it removes the reaction), and a CharField that
    allows blanks is a oneOf in the schema, one that does not says minLength 1."""

    def __init__(self, **kwargs):
        no_nul_or_surrogates = [ProhibitNullCharactersValidator(), ProhibitSurrogateCharactersValidator()]
        super().__init__(validators=no_nul_or_surrogates, **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            raise serializers.ValidationError(f"Expected a string, got {type(data).__name__}.")
        return data

    def to_representation(self, value):
        return value


class ReactionInputSerializer(serializers.Serializer):
    emoji = EmojiField(help_text='One emoji; "" removes ours.')


class EditInputSerializer(serializers.Serializer):
    text = StrictCharField(trim_whitespace=False, max_length=TEXT_MAX_CHARS, help_text="The new text.")


class PresenceInputSerializer(serializers.Serializer):
    state = serializers.ChoiceField(
        choices=["typing", "recording", "paused"],
        help_text="What the contact sees: typing…, recording…, or neither.",
    )


class DeleteQuerySerializer(serializers.Serializer):
    forEveryone = StrictBooleanField(
        required=False,
        default=True,
        help_text="true (default): delete for everyone (our own messages only); false: on this device only.",
    )
