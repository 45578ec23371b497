"""Shapes of `GET /api/v1/logs`."""

from rest_framework import serializers

from dashboard.logfile import LEVELS, MAX_LIMIT


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


class LogListSerializer(serializers.Serializer):
    records = LogRecordSerializer(many=True)
    count = serializers.IntegerField()
