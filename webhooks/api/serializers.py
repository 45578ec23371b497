"""What the webhook endpoints return. Secrets never leave the server after creation."""

import json

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from webhooks.formats import DEFAULT_FORMAT, all_format_event_names, webhook_format_names
from webhooks.models import DeliveryStatus, WebhookConfig, WebhookDelivery, WebhookDeliveryAttempt
from webhooks.selectors import webhook_receiver_hidden
from webhooks.signing import SECRET_PATTERN
from yesapp.api.envelope import deprecated_alias, list_envelope_serializer
from yesapp.events import ALL_EVENTS
from yesapp.outbound_address import UrlTextField
from yesapp.schema import at_least_one_field
from yesapp.validators import OffsetField

LAST_DELIVERIES = 10
# What the database keeps (PostgreSQL refuses a longer one).
_URL_MAX_LENGTH = WebhookConfig._meta.get_field("url").max_length
_FORMAT_HELP = (
    "What the receiver is sent: `yesapp` (YesApp's events, X-YesApp-Signature), or a facade's format "
    "such as `waha` or `cloud` when installed (docs/COMPATIBILITY.md)."
)
_STATUS_HELP = "pending (waiting for an attempt) · sending · succeeded · failed (retry it by hand)"
_HIDDEN_HELP = " null for the server's default webhook (WEBHOOK_URL) unless the key is an admin key."


class WebhookAttemptOutputSerializer(serializers.ModelSerializer):
    startedAt = serializers.DateTimeField(source="started_at")
    durationMs = serializers.IntegerField(source="duration_ms")
    statusCode = serializers.IntegerField(source="status_code", allow_null=True)
    url = serializers.CharField(allow_null=True, help_text="Where it went;" + _HIDDEN_HELP)
    responseExcerpt = serializers.CharField(
        source="response_excerpt",
        help_text="The start of the receiver's answer (bounded); empty for the default webhook "
        "unless the key is an admin key.",
    )
    outcome = serializers.CharField(help_text="success · retry (failed, will retry) · failed")

    class Meta:
        model = WebhookDeliveryAttempt
        fields = [
            "number",
            "url",
            "startedAt",
            "durationMs",
            "statusCode",
            "error",
            "responseExcerpt",
            "outcome",
        ]


class WebhookDeliveryOutputSerializer(serializers.ModelSerializer):
    """Needs the caller's key in the context ("key"): what it may see of the receiver."""

    id = serializers.UUIDField(
        source="uuid", help_text="Sent as `X-YesApp-Delivery`; receivers dedupe on it."
    )
    sessionId = serializers.UUIDField(source="session_id")
    webhookId = serializers.UUIDField(source="config.uuid", help_text="The webhook it was sent to.")
    status = serializers.CharField(help_text=_STATUS_HELP)
    url = serializers.CharField(
        source="config.url", allow_null=True, help_text="The receiver;" + _HIDDEN_HELP
    )
    attemptCount = serializers.IntegerField(source="attempts")
    nextAttemptAt = serializers.SerializerMethodField()
    lastStatusCode = serializers.IntegerField(source="last_status_code", allow_null=True)
    lastError = serializers.CharField(source="last_error")
    createdAt = serializers.DateTimeField(source="created_at")
    finishedAt = serializers.DateTimeField(source="finished_at", allow_null=True)
    payload = serializers.SerializerMethodField(help_text="The JSON body sent to the receiver.")

    class Meta:
        model = WebhookDelivery
        fields = [
            "id", "sessionId", "webhookId", "event", "status", "url", "attemptCount", "nextAttemptAt",
            "lastStatusCode", "lastError", "createdAt", "finishedAt", "payload",
        ]  # fmt: skip

    def get_nextAttemptAt(self, delivery) -> str | None:  # noqa: N802 (the API's field name)
        if delivery.status != DeliveryStatus.PENDING:
            return None
        return serializers.DateTimeField().to_representation(delivery.next_attempt_at)

    def get_payload(self, delivery) -> dict:
        return json.loads(delivery.body)

    def to_representation(self, delivery) -> dict:
        data = super().to_representation(delivery)
        if webhook_receiver_hidden(key=self.context["key"], delivery=delivery):
            data["url"] = None
            data["lastError"] = _hidden_error(delivery.last_status_code, delivery.last_error)
            for attempt in data.get("attempts", []):
                attempt.update(
                    url=None,
                    error=_hidden_error(attempt["statusCode"], attempt["error"]),
                    responseExcerpt="",
                )
        return data


def _hidden_error(status_code: int | None, error: str) -> str:
    # The status code says enough; the error text may name the receiver (host, redirect).
    if not error:
        return ""
    return f"HTTP {status_code}" if status_code else "not delivered (details for admin keys only)"


class WebhookDeliveryDetailOutputSerializer(WebhookDeliveryOutputSerializer):
    attempts = WebhookAttemptOutputSerializer(
        source="attempt_log", many=True, help_text="Every attempt, oldest first."
    )

    class Meta(WebhookDeliveryOutputSerializer.Meta):
        fields = [*WebhookDeliveryOutputSerializer.Meta.fields, "attempts"]


class WebhookConfigOutputSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", help_text="The webhook's id (`.../webhooks/{webhookId}`).")
    sessionId = serializers.UUIDField(source="session_id")
    # As saved: any http(s) URL validate_public_url takes, which is more than the `uri` format.
    url = serializers.CharField()
    events = serializers.ListField(source="event_list", child=serializers.CharField())
    headers = serializers.SerializerMethodField(
        help_text="Your extra headers; values are hidden because they usually carry credentials."
    )
    format = serializers.CharField(help_text=_FORMAT_HELP)
    options = serializers.SerializerMethodField(
        help_text="The format's own settings; values are hidden, as they may be credentials."
    )
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")

    class Meta:
        model = WebhookConfig
        fields = [
            "id", "sessionId", "url", "events", "headers", "ordered", "format", "options",
            "createdAt", "updatedAt",
        ]  # fmt: skip

    def get_headers(self, config) -> dict[str, str]:
        return {name: "***" for name in config.headers}

    def get_options(self, config) -> dict[str, str]:
        return {name: "***" for name in config.options}


class WebhookConfigInputSerializer(serializers.Serializer):
    url = UrlTextField(
        max_length=_URL_MAX_LENGTH,
        help_text="http(s) URL that receives a POST per event. No credentials in the URL (use `headers`). "
        "Private, loopback and link-local targets are refused unless the server sets "
        "WEBHOOK_ALLOW_PRIVATE=true.",
    )
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=[*ALL_EVENTS, "*"]),
        required=False,
        allow_empty=False,
        min_length=1,
        help_text='Events to send, named as the webhook\'s format names them; leave out (or `["*"]`) for '
        "all but `chat.presence`, which is sent only when named (typing comes and goes many times a minute).",
    )
    format = serializers.ChoiceField(
        choices=[DEFAULT_FORMAT], required=False, help_text=_FORMAT_HELP + " Default `yesapp`."
    )
    options = serializers.DictField(
        required=False, help_text="The format's own settings, when it has any (docs/WEBHOOKS.md)."
    )
    secret = serializers.RegexField(
        SECRET_PATTERN,
        required=False,
        trim_whitespace=False,
        min_length=16,
        max_length=200,
        error_messages={"invalid": "secret must be 16 to 200 printable ASCII characters without spaces."},
        help_text="HMAC-SHA256 signing secret, 16 to 200 printable ASCII characters without spaces. "
        "Left out on PUT, a new one is generated and returned once (PATCH keeps the current one).",
    )
    headers = serializers.DictField(
        child=serializers.CharField(trim_whitespace=False, allow_blank=True),
        required=False,
        help_text='Extra static headers for your receiver\'s own auth, e.g. `{"Authorization": "Bearer …"}`. '
        "Left out on PUT: none; `{}` removes them.",
    )
    ordered = serializers.BooleanField(
        required=False,
        help_text="Deliver this session's events one at a time, in order (default true). Turn off to "
        "deliver in parallel when your receiver doesn't care about order.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Formats are registered by apps at startup, after this module may have been imported.
        self.fields["format"].choices = webhook_format_names()
        self.fields["events"].child.choices = [*all_format_event_names(), "*"]


@at_least_one_field
class WebhookConfigPatchInputSerializer(WebhookConfigInputSerializer):
    """PATCH: the same fields, each optional; at least one."""

    url = UrlTextField(max_length=_URL_MAX_LENGTH, required=False, help_text="The new receiver URL.")

    def validate(self, attrs: dict) -> dict:
        if not attrs:
            raise serializers.ValidationError("Give at least one field to change.")
        return attrs


class WebhookConfigDetailOutputSerializer(WebhookConfigOutputSerializer):
    lastDeliveries = serializers.SerializerMethodField(help_text=f"The {LAST_DELIVERIES} newest deliveries.")

    class Meta(WebhookConfigOutputSerializer.Meta):
        fields = [*WebhookConfigOutputSerializer.Meta.fields, "lastDeliveries"]

    @extend_schema_field(WebhookDeliveryOutputSerializer(many=True))
    def get_lastDeliveries(self, config) -> list[dict]:  # noqa: N802 (the API's field name)
        deliveries = config.deliveries.select_related("config").order_by("-id")
        return WebhookDeliveryOutputSerializer(
            deliveries[:LAST_DELIVERIES], many=True, context=self.context
        ).data


@extend_schema_field(OpenApiTypes.STR)
class GeneratedSecretField(serializers.Field):
    """The secret generated by this request (the serializer's context), else "". Not required
    in the schema: the answer leaves it out when the caller chose the secret."""

    def __init__(self, **kwargs):
        super().__init__(source="*", required=False, **kwargs)

    def to_representation(self, config) -> str:
        return self.parent.context.get("generated_secret", "")


class WebhookConfigSavedOutputSerializer(WebhookConfigOutputSerializer):
    # Never the stored secret: only the one just generated, passed in the context.
    secret = GeneratedSecretField(
        help_text="Only when it was generated: the signing secret, shown this once. Absent otherwise."
    )

    class Meta(WebhookConfigOutputSerializer.Meta):
        fields = [*WebhookConfigOutputSerializer.Meta.fields, "secret"]

    def to_representation(self, config) -> dict:
        data = super().to_representation(config)
        if not data["secret"]:
            del data["secret"]
        return data


class WebhookDeliveryListQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=DeliveryStatus.choices, required=False, help_text="Only this status."
    )
    limit = serializers.IntegerField(
        min_value=1, max_value=200, default=50, help_text="Page size, 1 to 200 (default 50)."
    )
    offset = OffsetField(help_text="Deliveries to skip (default 0).")


WebhookDeliveryListOutputSerializer = list_envelope_serializer(
    WebhookDeliveryOutputSerializer(many=True),
    name="WebhookDeliveryList",
    total_help="Deliveries matching the filter, in all.",
    deprecated={
        "count": deprecated_alias(serializers.IntegerField(), same="total"),
        "results": deprecated_alias(WebhookDeliveryOutputSerializer(many=True), same="items"),
    },
)
