"""Shapes of `GET /api/v1/events` and the filters it shares with `GET /api/v1/events/stream`."""

import json
import re

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from events.models import Event
from yesapp.api.envelope import list_envelope_serializer
from yesapp.events import ALL_EVENTS

_NAME = "(?:{})".format("|".join(re.escape(name) for name in ALL_EVENTS))
# Known names between commas, spaces around them allowed, as `to_internal_value` reads them.
EVENT_TYPES_PATTERN = rf"^ *(?:{_NAME} *)?(?:, *(?:{_NAME} *)?)*$"


@extend_schema_field({"type": "string", "pattern": EVENT_TYPES_PATTERN})
class EventTypesField(serializers.CharField):
    """A comma-separated list of event names, each one YesApp emits."""

    def to_internal_value(self, data):
        names = [name.strip() for name in super().to_internal_value(data).split(",") if name.strip()]
        if unknown := sorted(set(names) - set(ALL_EVENTS)):
            raise serializers.ValidationError(
                f"Unknown event name(s) {', '.join(unknown)}; known: {', '.join(ALL_EVENTS)}."
            )
        return tuple(dict.fromkeys(names))


class EventFilterSerializer(serializers.Serializer):
    session = serializers.UUIDField(required=False, help_text="Only this session's events.")
    # Blank (or only spaces and commas) is no filter, as `types=` is.
    types = EventTypesField(
        required=False,
        allow_blank=True,
        help_text="Only these events, comma-separated: `message.received,message.status`.",
    )


class EventListQuerySerializer(EventFilterSerializer):
    after = serializers.IntegerField(
        required=False,
        default=0,
        min_value=0,
        help_text="Only events with a larger id (default 0: the oldest kept).",
    )
    limit = serializers.IntegerField(
        required=False,
        default=100,
        min_value=1,
        max_value=500,
        help_text="Page size, 1 to 500 (default 100).",
    )


class EventStreamQuerySerializer(EventFilterSerializer):
    after = serializers.IntegerField(
        required=False,
        min_value=0,
        help_text="Start after this event id (0: from the oldest kept). Without it, and without a "
        "`Last-Event-ID` header, the stream starts with the next event.",
    )


class EventOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The event's position in the log; ids only grow.")
    event = serializers.CharField(source="name", help_text="The event's name, e.g. `message.received`.")
    sessionId = serializers.UUIDField(source="session_id")
    createdAt = serializers.DateTimeField(source="created_at")
    data = serializers.SerializerMethodField(help_text="The JSON body webhooks POST for this event.")

    def get_data(self, entry: Event) -> dict:
        return json.loads(entry.body)


EventListOutputSerializer = list_envelope_serializer(
    EventOutputSerializer(many=True),
    name="EventList",
    total_help="Events after `after` that match the filters, in all.",
)
