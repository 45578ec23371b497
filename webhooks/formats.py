"""Webhook formats: how one entry of the event log becomes what a receiver is sent.

A session may have several webhooks, each in a format. `yesapp` (built in) sends the log
entry's own JSON with YesApp's signature headers. Apps above `webhooks` (the WAHA and Cloud
API facades) register their own from `AppConfig.ready()`: which event names a webhook of the
format may subscribe to, how an entry is rendered (zero, one or several requests: WAHA's
`message` and `message.any` come from one received message), the headers of each attempt
(their signature scheme), and optionally a check of the receiver when one is configured
(Cloud API's `hub.challenge` handshake). Retries, ordering and the delivery log are the same
for every format.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from webhooks.signing import sign
from yesapp.events import ALL_EVENTS, OPT_IN_EVENTS

if TYPE_CHECKING:
    from events.models import Event
    from webhooks.models import WebhookConfig, WebhookDelivery

DEFAULT_FORMAT = "yesapp"


@dataclass(frozen=True)
class RenderedEvent:
    event: str  # its name in the format: what a webhook's `events` filters on, kept on the delivery
    body: str  # the exact text POSTed, on every attempt


@dataclass(frozen=True)
class WebhookFormat:
    name: str
    event_names: tuple[str, ...]
    render: Callable[[Event, WebhookConfig], list[RenderedEvent]]
    # Every header of one attempt but the webhook's own extra ones: (delivery, config, secret).
    headers: Callable[[WebhookDelivery, WebhookConfig, str], dict[str, str]]
    # Raises yesapp.errors.InvalidInput to refuse a receiver when it is configured.
    verify_receiver: Callable[[WebhookConfig], None] | None = None
    # Validates the format's own settings (`options`); returns them cleaned.
    clean_options: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    description: str = ""


_formats: dict[str, WebhookFormat] = {}


def register_webhook_format(fmt: WebhookFormat) -> None:
    """Adds a format; a name registered twice with another definition is a programming error."""
    if _formats.get(fmt.name, fmt) is not fmt:
        raise ValueError(f"Webhook format {fmt.name!r} is registered twice")
    _formats[fmt.name] = fmt


def webhook_format(name: str) -> WebhookFormat:
    """The registered format; KeyError for an unknown name (validated before it is stored)."""
    return _formats[name]


def webhook_format_names() -> list[str]:
    return list(_formats)


def default_event_names(name: str) -> list[str]:
    """What a webhook of the format gets when it names no events: all but the opt-in ones."""
    fmt = _formats.get(name)
    names = fmt.event_names if fmt else ALL_EVENTS
    return [event for event in names if event not in OPT_IN_EVENTS]


def all_format_event_names() -> list[str]:
    """Every event name some format knows, YesApp's first: the `events` enum of the API."""
    names: list[str] = []
    for fmt in _formats.values():
        names.extend(name for name in fmt.event_names if name not in names)
    return names


def _render_own(entry: Event, config: WebhookConfig) -> list[RenderedEvent]:
    return [RenderedEvent(event=entry.name, body=entry.body)]


def _own_headers(delivery: WebhookDelivery, config: WebhookConfig, secret: str) -> dict[str, str]:
    """A fresh timestamp and signature on every attempt (docs/WEBHOOKS.md)."""
    timestamp = int(time.time())
    return {
        "Content-Type": "application/json",
        "X-YesApp-Event": delivery.event,
        "X-YesApp-Delivery": str(delivery.uuid),
        "X-YesApp-Timestamp": str(timestamp),
        "X-YesApp-Signature": sign(secret=secret, timestamp=timestamp, body=delivery.body),
        "X-YesApp-Attempt": str(delivery.attempts),
        # The event's id in the event log, the `id` a stream client sees for it.
        **({"X-YesApp-Event-Id": str(delivery.log_entry_id)} if delivery.log_entry_id else {}),
    }


register_webhook_format(
    WebhookFormat(
        name=DEFAULT_FORMAT,
        event_names=tuple(ALL_EVENTS),
        render=_render_own,
        headers=_own_headers,
        description="YesApp's own events and X-YesApp-Signature (docs/WEBHOOKS.md).",
    )
)
