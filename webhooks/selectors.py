"""Webhook reads, always through the caller's API key scope."""

from django.db.models import QuerySet

from sessions_app.models import Session
from webhooks.models import WebhookConfig, WebhookDelivery
from yesapp.errors import NotFound
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
    if delivery is None or not key.can_access_session(delivery.session_id):
        raise NotFound("No webhook delivery with this id.", details={"deliveryId": str(delivery_id)})
    return delivery
