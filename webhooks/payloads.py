"""What a webhook request carries besides its body (the event log's, events/body.py): the
signed headers, built again for each attempt."""

import time

from webhooks.models import WebhookConfig, WebhookDelivery
from webhooks.services import signing_secret
from webhooks.signing import sign


def request_headers(delivery: WebhookDelivery, config: WebhookConfig) -> dict[str, str]:
    """The endpoint's own headers, then ours: a fresh timestamp and signature on every attempt."""
    timestamp = int(time.time())
    return {
        **config.headers,
        "Content-Type": "application/json",
        "X-YesApp-Event": delivery.event,
        "X-YesApp-Delivery": str(delivery.uuid),
        "X-YesApp-Timestamp": str(timestamp),
        "X-YesApp-Signature": sign(secret=signing_secret(config), timestamp=timestamp, body=delivery.body),
        "X-YesApp-Attempt": str(delivery.attempts),
        # The event's id in the event log, the `id` a stream client sees for it.
        **({"X-YesApp-Event-Id": str(delivery.log_entry_id)} if delivery.log_entry_id else {}),
    }
