"""`webhook` in the session create body (POST /sessions): the webhook configured with the
session, in the same transaction. Registered in WebhooksConfig.ready()."""

from rest_framework import serializers

from sessions_app.create_options import SessionCreateOption
from sessions_app.models import Session
from webhooks.api.serializers import WebhookConfigInputSerializer
from webhooks.services import webhook_configure


def _webhook_field() -> serializers.Field:
    return WebhookConfigInputSerializer(
        required=False, help_text="Optional webhook, as PUT /sessions/{id}/webhook."
    )


def _answer_fields() -> dict[str, serializers.Field]:
    secret = serializers.CharField(
        required=False,
        help_text="The generated webhook secret, shown once, when a webhook without secret was given.",
    )
    return {"webhookSecret": secret}


def _configure_webhook(*, session: Session, value: dict) -> dict:
    _, secret = webhook_configure(session=session, **value)
    return {"webhookSecret": secret} if secret else {}


WEBHOOK_AT_SESSION_CREATE = SessionCreateOption(
    name="webhook", input_field=_webhook_field, apply=_configure_webhook, answer_fields=_answer_fields
)
