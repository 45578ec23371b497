"""Input shapes of the actions on a message or a chat (messaging/api/action_views.py,
chat_views.py)."""

from rest_framework import serializers

from messaging.api.serializers import StrictBooleanField, StrictCharField
from messaging.services import TEXT_MAX_CHARS


class ReactionInputSerializer(serializers.Serializer):
    emoji = StrictCharField(
        allow_blank=True, trim_whitespace=False, max_length=32, help_text='One emoji; "" removes ours.'
    )


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
