from rest_framework import serializers

from yesapp.schema import at_least_one_field


class CallSettingsSerializer(serializers.Serializer):
    rejectCalls = serializers.BooleanField(help_text="Reject every incoming call at once (WPP.call.reject).")
    rejectMessage = serializers.CharField(
        allow_null=True, help_text="Text sent to the caller after a rejected one-to-one call; null for none."
    )
    updatedAt = serializers.DateTimeField(allow_null=True)


@at_least_one_field
class CallSettingsInputSerializer(serializers.Serializer):
    rejectCalls = serializers.BooleanField(required=False)
    rejectMessage = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        max_length=1000,
        help_text="Empty or null: no text.",
    )

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError("Give rejectCalls, rejectMessage, or both.")
        return attrs
