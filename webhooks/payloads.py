"""What a webhook request carries: the JSON body, built once when the event is stored and
never re-serialized, and the signed headers, built again for each attempt."""

import json
import time
from datetime import UTC, date, datetime
from typing import Any

from django.conf import settings

from webhooks.models import WebhookConfig, WebhookDelivery
from webhooks.services import signing_secret
from webhooks.signing import sign


def media_url(value: Any, media_id: Any = None) -> str | None:
    """An absolute `mediaUrl`: relative paths and bare media ids are resolved against PUBLIC_URL."""
    if value:
        text = str(value)
        return settings.PUBLIC_URL + text if text.startswith("/") else text
    if media_id:
        return f"{settings.PUBLIC_URL}/api/v1/media/{media_id}"
    return None


def _json_default(value: Any) -> str:
    # UUIDs, datetimes and the like become text instead of failing the emitter's transaction.
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def build_body(*, event: str, session_id: Any, payload: dict[str, Any]) -> str:
    """`{"event", "sessionId", ...payload, "timestamp"}` as compact JSON text.

    The emitting app's keys win; `event`, `sessionId` and `timestamp` (ISO 8601 UTC, like
    the messages API) are added where missing. Message payloads get an absolute `mediaUrl` (or null).
    """
    body: dict[str, Any] = {"event": event, "sessionId": str(session_id)}
    body.update(payload)
    body.setdefault("timestamp", datetime.now(UTC).isoformat().replace("+00:00", "Z"))
    if event.startswith("message."):
        body["mediaUrl"] = media_url(body.get("mediaUrl"), body.get("mediaId"))
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=_json_default)


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
    }
