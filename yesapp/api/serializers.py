"""What the key endpoints read and write. The key hash never leaves the server."""

from rest_framework import serializers

from yesapp.apikeys import NAME_MAX_LENGTH


class ApiKeyOutputSerializer(serializers.Serializer):
    prefix = serializers.CharField(help_text="First characters of the key: how you tell keys apart.")
    name = serializers.CharField()
    isAdmin = serializers.BooleanField(
        source="is_admin", help_text="Admin keys see every session and manage keys."
    )
    sessions = serializers.SerializerMethodField(help_text="Sessions a non-admin key is limited to.")
    active = serializers.BooleanField(source="is_active", help_text="False once revoked.")
    createdAt = serializers.DateTimeField(source="created_at")
    lastUsedAt = serializers.DateTimeField(source="last_used_at", allow_null=True)
    revokedAt = serializers.DateTimeField(source="revoked_at", allow_null=True)

    def get_sessions(self, key) -> list[str]:
        # Sorted so the answer is stable; prefetch_related("sessions") keeps this to one query.
        return sorted(str(session.pk) for session in key.sessions.all())


class ApiKeyCreatedSerializer(ApiKeyOutputSerializer):
    key = serializers.CharField(help_text="The key itself. Shown only in this response: store it now.")


class ApiKeyCreateInputSerializer(serializers.Serializer):
    # Not only spaces (they are trimmed), and no NUL: the schema's pattern says what is refused.
    name = serializers.RegexField(
        r"^[^\x00]*[^\x00\s][^\x00]*$",
        max_length=NAME_MAX_LENGTH,
        error_messages={"invalid": "A key's name must not be blank or hold NUL characters."},
        help_text="What the key is for, e.g. `crm`.",
    )
    sessions = serializers.ListField(
        child=serializers.UUIDField(),
        required=False,
        allow_empty=False,
        min_length=1,  # the schema's minItems (allow_empty is not documented)
        max_length=1000,
        help_text="Limit the key to these sessions. Leave it out for an admin key.",
    )
