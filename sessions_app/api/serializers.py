from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from sessions_app.create_options import session_create_options
from sessions_app.models import FailedEvent, FailedEventStatus, Session, SessionEvent, SessionStatus
from sessions_app.selectors import pairing_code_state
from yesapp.validators import OffsetField, PhoneNumberField

PAIRING_CODE_STATUSES = ("pending", "ready", "failed")


class PairingCodeStateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=PAIRING_CODE_STATUSES,
        help_text="pending: the engine has not answered yet · ready: `code` is set · failed: see `error`",
    )
    code = serializers.CharField(
        help_text="Type it on the phone: WhatsApp → Linked devices → Link with phone number. "
        "Empty until `status` is ready."
    )
    phone = serializers.CharField(help_text="The number the code is for (E.164).")
    error = serializers.CharField(help_text="Why no code came, when `status` is failed.")
    requestedAt = serializers.DateTimeField()


class PairingCodeOutputSerializer(PairingCodeStateSerializer):
    """The answer of POST .../pairing-code: 200 when ready, 202 while pending."""


class SessionOutputSerializer(serializers.ModelSerializer):
    desiredState = serializers.CharField(source="desired_state")
    pushName = serializers.CharField(source="push_name")
    lastError = serializers.CharField(source="last_error")
    engineNode = serializers.CharField(source="engine_node")
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")
    statusChangedAt = serializers.DateTimeField(source="status_changed_at", allow_null=True)
    lastConnectedAt = serializers.DateTimeField(source="last_connected_at", allow_null=True)
    lastActivityAt = serializers.DateTimeField(source="last_activity_at", allow_null=True)
    status = serializers.ChoiceField(
        choices=SessionStatus.choices,
        help_text="starting · qr (waiting for a scan) · connected · "
        "disconnected (was linked, reconnecting) · stopped · failed (see lastError)",
    )
    pairingCode = serializers.SerializerMethodField(
        help_text="The last pairing code asked for while waiting for a scan "
        "(POST .../pairing-code), or null: {status, code, phone, error, requestedAt}."
    )

    @extend_schema_field(PairingCodeStateSerializer(allow_null=True))
    def get_pairingCode(self, session: Session) -> dict | None:  # noqa: N802 - the JSON name
        state = pairing_code_state(session)
        return PairingCodeStateSerializer(state).data if state else None

    class Meta:
        model = Session
        fields = [
            "id",
            "name",
            "sandbox",
            "status",
            "desiredState",
            "phone",
            "pushName",
            "lastError",
            "engineNode",
            "createdAt",
            "updatedAt",
            "statusChangedAt",
            "lastConnectedAt",
            "lastActivityAt",
            "pairingCode",
        ]


class SessionCreateInputSerializer(serializers.Serializer):
    # Counted as sent (the schema's maxLength), and no control characters: a name is shown in
    # the dashboard, logs and WAHA-style paths.
    name = serializers.RegexField(
        r"^[^\x00-\x1f\x7f]+$",
        max_length=100,
        trim_whitespace=False,
        error_messages={"invalid": "name must be printable text, without control characters."},
        help_text="A name of your own for the session, unique, up to 100 characters.",
    )
    sandbox = serializers.BooleanField(
        default=False, help_text="Run on the built-in sandbox instead of WhatsApp Web."
    )

    def get_fields(self) -> dict:
        fields = super().get_fields()
        fields.update({option.name: option.input_field() for option in session_create_options()})
        return fields


class SessionCreatedSerializer(SessionOutputSerializer):
    def get_fields(self) -> dict:
        fields = super().get_fields()
        for option in session_create_options():
            fields.update(option.answer_fields())
        return fields


class QrOutputSerializer(serializers.Serializer):
    status = serializers.CharField()
    qr = serializers.CharField(help_text="The QR as a PNG data URL, ready for an <img src>.")
    raw = serializers.CharField(help_text="The string inside the QR (wa-js fullCode).")
    issuedAt = serializers.DateTimeField(allow_null=True)


class PairingCodeInputSerializer(serializers.Serializer):
    phone = PhoneNumberField(help_text="The number to link, in international format, e.g. +33612345678.")


class SessionEventOutputSerializer(serializers.ModelSerializer):
    fromStatus = serializers.CharField(source="from_status")
    toStatus = serializers.CharField(source="to_status")
    createdAt = serializers.DateTimeField(source="created_at")

    class Meta:
        model = SessionEvent
        fields = ["fromStatus", "toStatus", "reason", "createdAt"]


class FailedEventListQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=FailedEventStatus.choices, required=False)
    limit = serializers.IntegerField(required=False, default=50, min_value=1, max_value=500)
    offset = OffsetField()


class FailedEventOutputSerializer(serializers.ModelSerializer):
    sessionId = serializers.UUIDField(source="session_id")
    event = serializers.CharField(source="name")
    pageAt = serializers.DateTimeField(source="page_at", allow_null=True)
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")
    resolvedAt = serializers.DateTimeField(source="resolved_at", allow_null=True)

    class Meta:
        model = FailedEvent
        fields = [
            "id",
            "sessionId",
            "event",
            "status",
            "error",
            "attempts",
            "payload",
            "truncated",
            "pageAt",
            "createdAt",
            "updatedAt",
            "resolvedAt",
        ]
