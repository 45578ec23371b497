"""Webhook reads, always through the caller's API key scope."""

from django.db.models import QuerySet

from sessions_app.models import Session
from sessions_app.selectors import session_visible_to_key
from webhooks.models import WebhookConfig, WebhookDelivery, WebhookSource
from yesapp.errors import Forbidden, NotFound
from yesapp.models import ApiKey


def webhook_config_for_session(*, session: Session) -> WebhookConfig | None:
    return WebhookConfig.objects.filter(session=session).first()


def webhook_deliveries_for_session(
    *, session: Session, status: str | None = None
) -> QuerySet[WebhookDelivery]:
    """Newest first, the session's deliveries to its own webhook and to the default one."""
    deliveries = WebhookDelivery.objects.filter(session=session).order_by("-id")
    return deliveries.filter(status=status) if status else deliveries


def webhook_delivery_get_for_key(*, key: ApiKey, delivery_id) -> WebhookDelivery:
    """The delivery by its public id, or NotFound, also when its session is outside the key's scope."""
    delivery = WebhookDelivery.objects.select_related("config").filter(uuid=delivery_id).first()
    if delivery is None or not session_visible_to_key(key=key, session_id=delivery.session_id):
        raise NotFound("No webhook delivery with this id.", details={"deliveryId": str(delivery_id)})
    return delivery


def webhook_receiver_hidden(*, key: ApiKey, delivery: WebhookDelivery) -> bool:
    """Whether `key` must not see where `delivery` went and what came back: the operator's
    default webhook (WEBHOOK_URL) often carries a token, and only admin keys may see it."""
    return delivery.config.source == WebhookSource.ENV and not key.is_admin


def webhook_delivery_check_retry(*, key: ApiKey, delivery: WebhookDelivery) -> WebhookDelivery:
    """The delivery, or Forbidden when `key` may not send it to its receiver again."""
    if webhook_receiver_hidden(key=key, delivery=delivery):
        raise Forbidden(
            "Only an admin key can retry a delivery to the server's default webhook.",
            details={"deliveryId": str(delivery.uuid)},
        )
    return delivery


def webhooks_of_session(*, session: Session) -> QuerySet[WebhookConfig]:
    """The session's own webhooks, oldest (the single-webhook API's) first."""
    return WebhookConfig.objects.filter(session=session).order_by("id")


def webhook_of_session(*, session: Session, webhook_id) -> WebhookConfig:
    """One of the session's webhooks by its public id, or NotFound."""
    config = webhooks_of_session(session=session).filter(uuid=webhook_id).first()
    if config is None:
        raise NotFound(
            "This session has no webhook with this id.",
            details={"sessionId": str(session.pk), "webhookId": str(webhook_id)},
        )
    return config
