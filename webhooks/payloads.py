"""What a webhook request carries besides its body: the endpoint's own headers, then those of
its format (webhooks/formats.py), built again for each attempt so signatures are fresh."""

import logging

from webhooks.formats import DEFAULT_FORMAT, webhook_format, webhook_format_names
from webhooks.models import WebhookConfig, WebhookDelivery
from webhooks.services import signing_secret

logger = logging.getLogger(__name__)


def request_headers(delivery: WebhookDelivery, config: WebhookConfig) -> dict[str, str]:
    name = config.format
    if name not in webhook_format_names():
        # Its app was removed after the delivery was stored: sign it as YesApp does.
        logger.warning("Webhook format %r is gone; signing delivery %s as yesapp", name, delivery.uuid)
        name = DEFAULT_FORMAT
    headers = webhook_format(name).headers(delivery, config, signing_secret(config))
    return {**config.headers, **headers}
