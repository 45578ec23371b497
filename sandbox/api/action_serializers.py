"""Input and output of the sandbox API's message actions (sandbox/actions.py)."""

from rest_framework import serializers

from sandbox.api.serializers import MessageTypeField


class ContactReactInputSerializer(serializers.Serializer):
    emoji = serializers.CharField(
        allow_blank=True, trim_whitespace=False, max_length=32, help_text='The emoji; "" takes it back.'
    )


class ContactEditInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=65536, help_text="The new text.")


class ContactVoteInputSerializer(serializers.Serializer):
    options = serializers.ListField(
        # Not only spaces (they are trimmed away): the schema's pattern says so.
        child=serializers.RegexField(r"\S", max_length=100),
        max_length=12,
        help_text="The options chosen, by name; [] takes the vote back.",
    )


class ContactPresenceInputSerializer(serializers.Serializer):
    state = serializers.ChoiceField(
        choices=["typing", "recording", "paused"], help_text="What the session sees the contact do."
    )


class ActionOutputSerializer(serializers.Serializer):
    cursor = serializers.IntegerField(help_text="Its place in the page's event stream.")


class PhoneMessageSerializer(serializers.Serializer):
    """A message, either direction, as both phones show it now."""

    id = serializers.CharField(source="wa_id", help_text="The WhatsApp message id.")
    chatId = serializers.CharField(source="chat_id")
    fromMe = serializers.BooleanField(
        source="from_me", help_text="Sent by the session (else by the contact)."
    )
    type = MessageTypeField()
    text = serializers.CharField(help_text="The text now (after any edit).")
    reactions = serializers.DictField(
        child=serializers.CharField(),
        help_text="Who reacted (WhatsApp id) → emoji: the session's and the contact's.",
    )
    edits = serializers.ListField(child=serializers.CharField(), help_text="Earlier texts, oldest first.")
    editedAt = serializers.DateTimeField(source="edited_at", allow_null=True)
    revokedAt = serializers.DateTimeField(
        source="revoked_at", allow_null=True, help_text="Deleted for everyone."
    )
    deletedOnDeviceAt = serializers.DateTimeField(
        source="device_deleted_at", allow_null=True, help_text="Deleted on the linked device only."
    )


class PhoneTimelineEntrySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=["message", "read", "typing", "recording", "paused"],
        help_text="message: one arrived (`from` says whose); read: the session read the contact's "
        "messages (blue ticks); typing, recording, paused: what the session showed.",
    )
    at = serializers.DateTimeField()
    seconds = serializers.FloatField(
        allow_null=True, help_text="typing, recording: how long it showed; null while it still does."
    )
    messages = serializers.IntegerField(allow_null=True, help_text="read: how many were read then.")
    msgId = serializers.CharField(allow_null=True, help_text="message: its WhatsApp id.")
    text = serializers.CharField(allow_null=True, help_text="message: its text or caption.")

    def get_fields(self):
        fields = super().get_fields()
        # `from` is a Python keyword, so it is added by name.
        fields["from"] = serializers.ChoiceField(
            choices=["session", "contact"], allow_null=True, help_text="message: who wrote it."
        )
        return fields


class PhoneChatSerializer(serializers.Serializer):
    chatId = serializers.CharField()
    presence = serializers.CharField(
        help_text="What the session last showed: typing, recording, paused, or ''."
    )
    presenceAt = serializers.DateTimeField(allow_null=True)
    unreadBySession = serializers.IntegerField(help_text="The contact's messages the session has not read.")
    timeline = PhoneTimelineEntrySerializer(
        many=True, help_text="What the contact's phone saw, oldest first (the latest 500 messages)."
    )
