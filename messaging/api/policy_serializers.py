"""Shapes of GET/PUT/PATCH /sessions/{id}/sending-policy (messaging.sending_policy)."""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rest_framework import serializers

from messaging.api.serializers import StrictBooleanField, StrictCharField, StrictFloatField
from messaging.sending_policy import PRESETS

_TIME = r"^([01]\d|2[0-3]):[0-5]\d$"
CAP_MAX = 1_000_000


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer: DRF's IntegerField would also take "5" or 5.0."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            raise serializers.ValidationError("Expected an integer.")
        return super().to_internal_value(data)


def _cap(help_text: str) -> StrictIntegerField:
    return StrictIntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=CAP_MAX,
        help_text=help_text + " null = no cap.",
    )


class QuietHoursSerializer(serializers.Serializer):
    start = serializers.RegexField(_TIME, help_text='"HH:MM", local time: nothing is sent from here...')
    end = serializers.RegexField(_TIME, help_text='..."HH:MM" to here (it may be past midnight).')
    timeZone = StrictCharField(max_length=64, help_text="An IANA time zone, e.g. Europe/Paris.")

    def validate_timeZone(self, value):
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise serializers.ValidationError(f"Unknown time zone {value!r}; use an IANA name.") from exc
        return value

    def validate(self, attrs):
        # Also in a PATCH (where DRF does not ask for them): a window is all three or nothing.
        missing = [name for name in ("start", "end", "timeZone") if name not in attrs]
        if missing:
            raise serializers.ValidationError(f"quietHours needs {', '.join(missing)} too.")
        if attrs["start"] == attrs["end"]:
            raise serializers.ValidationError("start and end must differ.")
        return attrs


class SendingPolicyInputSerializer(serializers.Serializer):
    """Every field optional. PUT: the ones left out take the preset's values; PATCH: they stay.
    What GET answers can be sent back as it is: `usage`, `overrides` and `updatedAt` are ignored."""

    preset = serializers.ChoiceField(choices=list(PRESETS), required=False)
    typing = StrictBooleanField(
        required=False, help_text='Show "typing…" (or "recording…" before a voice note) first.'
    )
    readBeforeReply = StrictBooleanField(required=False, help_text="Mark a chat read before replying to it.")
    jitter = serializers.ListField(
        child=StrictFloatField(min_value=0, max_value=600),
        min_length=2,
        max_length=2,
        required=False,
        allow_null=True,
        help_text="[min, max] seconds of random gap between two sends; null = none.",
    )
    perMinute = _cap("Messages per rolling minute, below the server's RATE_LIMIT_PER_MINUTE;")
    perHour = _cap("Messages per rolling hour;")
    perDay = _cap("Messages per calendar day;")
    newChatsPerDay = _cap("First messages to chats never talked with, per calendar day;")
    warmup = StrictBooleanField(
        required=False, help_text="Daily caps that grow over a new number's first days."
    )
    quietHours = QuietHoursSerializer(required=False, allow_null=True, help_text="null = none.")
    checkNumberFirst = StrictBooleanField(
        required=False, help_text="Check a number is on WhatsApp before the first message to it."
    )

    def validate_jitter(self, value):
        if value is not None and value[0] > value[1]:
            raise serializers.ValidationError("jitter is [min, max]: min must not exceed max.")
        return value


class CapUsageSerializer(serializers.Serializer):
    used = serializers.IntegerField()
    limit = serializers.IntegerField(allow_null=True, help_text="null = no cap.")


class WarmupUsageSerializer(serializers.Serializer):
    day = serializers.IntegerField(allow_null=True, help_text="1 on the day the number was first linked.")
    limit = serializers.IntegerField(allow_null=True, help_text="Today's cap; null once warm-up is over.")


class SendingPolicyUsageSerializer(serializers.Serializer):
    minute = CapUsageSerializer(help_text="The last 60 s.")
    hour = CapUsageSerializer(help_text="The last 60 minutes.")
    day = CapUsageSerializer(help_text="Since `dayStartedAt`.")
    newChats = CapUsageSerializer(help_text="First messages to new chats since `dayStartedAt`.")
    warmup = WarmupUsageSerializer(allow_null=True, help_text="null when warm-up is off.")
    quietUntil = serializers.DateTimeField(allow_null=True, help_text="Quiet hours now: when they end.")
    dayStartedAt = serializers.DateTimeField(help_text="Midnight in the policy's time zone.")


class SendingPolicyOutputSerializer(SendingPolicyInputSerializer):
    overrides = serializers.ListField(
        child=serializers.CharField(), help_text="The fields set otherwise than the preset."
    )
    updatedAt = serializers.DateTimeField(allow_null=True, help_text="null: never set, the default applies.")
    usage = SendingPolicyUsageSerializer(help_text="Read-only: today's use of each cap.")

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            field.required = True  # an answer always has every field
        return fields

    def to_representation(self, instance: dict) -> dict:
        return instance
