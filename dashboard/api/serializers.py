"""Shapes of `GET /api/v1/logs`."""

from rest_framework import serializers

from dashboard.logfile import LEVELS, MAX_LIMIT
from yesapp.api.envelope import deprecated_alias, list_envelope_serializer


class LogQuerySerializer(serializers.Serializer):
    level = serializers.ChoiceField(
        choices=[name.lower() for name in LEVELS],
        required=False,
        help_text=(
            "Only records at this level or above (`error` also returns `critical`); all levels when absent."
        ),
    )
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, default=100)

    def to_internal_value(self, data):
        # Accept `ERROR` as well as `error`.
        data = data.copy()
        if isinstance(data.get("level"), str):
            data["level"] = data["level"].strip().lower()
        return super().to_internal_value(data)


class LogRecordSerializer(serializers.Serializer):
    timestamp = serializers.CharField(help_text="ISO 8601 in UTC, with milliseconds.")
    level = serializers.CharField()
    logger = serializers.CharField()
    message = serializers.CharField()
    requestId = serializers.CharField(
        help_text="The request (or Celery task) that wrote it; `-` for neither."
    )
    extra = serializers.DictField(
        help_text="Any other fields of the record (session id, status, duration...)."
    )


LogListSerializer = list_envelope_serializer(
    LogRecordSerializer(many=True),
    name="LogList",
    total_help="The records returned: the log is read from its end, bounded, not counted whole.",
    deprecated={
        "records": deprecated_alias(LogRecordSerializer(many=True), same="items"),
        "count": deprecated_alias(serializers.IntegerField(), same="total"),
    },
)
