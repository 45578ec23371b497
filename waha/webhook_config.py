"""WAHA's `config.webhooks` of a session: the session's webhooks of format `waha` (several,
each with its URL, events, HMAC key and headers), read and written through the webhooks app."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from sessions_app.models import Session
from webhooks.models import WebhookConfig
from webhooks.selectors import webhooks_of_session
from webhooks.services import webhook_change, webhook_create, webhook_remove

FORMAT = "waha"


def _webhook_json(config: WebhookConfig) -> dict[str, Any]:
    # The HMAC key is a secret: WAHA's clients set it, nobody reads it back.
    return {
        "url": config.url,
        "events": list(config.events or ["*"]),
        "hmac": None,
        "retries": None,
        "customHeaders": [{"name": name, "value": value} for name, value in (config.headers or {}).items()],
    }


def _waha_webhooks(session: Session) -> list[WebhookConfig]:
    return list(webhooks_of_session(session=session).filter(format=FORMAT))


def waha_session_config(session: Session) -> dict[str, Any]:
    return {"webhooks": [_webhook_json(config) for config in _waha_webhooks(session)]}


def _fields(spec: dict) -> dict[str, Any]:
    """YesApp's webhook fields from one of WAHA's WebhookConfig."""
    headers = {header["name"]: header["value"] for header in spec.get("customHeaders") or []}
    return {
        "url": spec["url"],
        "events": list(spec["events"]) if spec.get("events") else None,
        "secret": (spec.get("hmac") or {}).get("key") or None,
        "headers": headers,
    }


@transaction.atomic
def waha_session_webhooks_set(*, session: Session, webhooks: list[dict] | None) -> None:
    """Makes the session's `waha` webhooks the given list, in order: the first ones are changed in
    place (their delivery logs kept), new ones added, the rest removed. None leaves them as they
    are. Webhooks of other formats (YesApp's own) are not touched."""
    if webhooks is None:
        return
    current = _waha_webhooks(session)
    for position, spec in enumerate(webhooks):
        fields = _fields(spec)
        if position < len(current):
            # PUT semantics, as WAHA replaces the whole config: what is left out is reset.
            fields["events"] = fields["events"] or ["*"]
            webhook_change(config=current[position], **{k: v for k, v in fields.items() if v is not None})
        else:
            webhook_create(session=session, format=FORMAT, **fields)
    for config in current[len(webhooks) :]:
        webhook_remove(config=config)
