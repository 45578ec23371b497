"""The `cloud` webhook format: a session's events as a Cloud API receiver expects them
(cloud_api.envelopes), signed with X-Hub-Signature-256, after Meta's verification handshake
(cloud_api.receiver). Registered with the webhooks app's format registry from AppConfig.ready().

Its one option, `verifyToken`, is the token the handshake sends; without it, the webhook's
secret is the verify token as well as the app secret, so a receiver needs one value.
"""

from __future__ import annotations

import json
import re
from typing import Any

from cloud_api.envelopes import EVENT_NAMES, render_event
from cloud_api.receiver import cloud_headers, verify_receiver
from events.models import Event
from webhooks.formats import RenderedEvent, WebhookFormat
from webhooks.models import WebhookConfig, WebhookDelivery
from webhooks.services import signing_secret
from yesapp.errors import InvalidInput

NAME = "cloud"
_TOKEN = re.compile(r"^[\x21-\x7e]{1,200}$")


def render(event: Event, config: WebhookConfig) -> list[RenderedEvent]:
    rendered = render_event(event.name, json.loads(event.body), session=event.session, at=event.created_at)
    # ASCII JSON: the signature is over these exact bytes, whatever a receiver decodes them as.
    return [
        RenderedEvent(event=name, body=json.dumps(body, separators=(",", ":"))) for name, body in rendered
    ]


def headers(delivery: WebhookDelivery, config: WebhookConfig, secret: str) -> dict[str, str]:
    return cloud_headers(secret=secret, body=delivery.body)


def verify(config: WebhookConfig) -> None:
    token = (config.options or {}).get("verifyToken") or signing_secret(config)
    verify_receiver(url=config.url, verify_token=token)


def clean_options(options: dict[str, Any]) -> dict[str, Any]:
    if unknown := sorted(set(options) - {"verifyToken"}):
        raise InvalidInput(
            f"The cloud format's only option is verifyToken, not {', '.join(unknown)}.",
            details={"options": options},
        )
    token = options.get("verifyToken")
    if token is None:
        return {}
    if not isinstance(token, str) or not _TOKEN.match(token):
        raise InvalidInput(
            "options.verifyToken must be 1 to 200 printable ASCII characters without spaces.",
            details={"options": {"verifyToken": "(hidden)"}},
        )
    return {"verifyToken": token}


CLOUD_FORMAT = WebhookFormat(
    name=NAME,
    event_names=EVENT_NAMES,
    render=render,
    headers=headers,
    verify_receiver=verify,
    clean_options=clean_options,
    description="WhatsApp Cloud API webhooks: the whatsapp_business_account envelope, "
    "X-Hub-Signature-256 and the hub.challenge handshake (docs/COMPATIBILITY.md).",
)
