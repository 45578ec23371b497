"""The `waha` webhook format, registered with the webhooks app (webhooks/formats.py): WAHA's
envelope and event names (waha.webhook_events) and its HMAC-SHA512 headers (waha.webhook_signing)."""

from __future__ import annotations

import time

from waha.webhook_events import WAHA_EVENTS, waha_events
from waha.webhook_signing import waha_headers
from webhooks.formats import RenderedEvent, WebhookFormat


def _render(entry, config) -> list[RenderedEvent]:
    rendered = waha_events(name=entry.name, body_text=entry.body, session=entry.session, entry_id=entry.pk)
    return [RenderedEvent(event=name, body=body) for name, body in rendered]


def _headers(delivery, config, secret: str) -> dict[str, str]:
    return waha_headers(
        body=delivery.body, key=secret, request_id=str(delivery.uuid), timestamp_ms=int(time.time() * 1000)
    )


WAHA_FORMAT = WebhookFormat(name="waha", event_names=WAHA_EVENTS, render=_render, headers=_headers)
