"""WAHA's `config.webhooks` of a session, read from and written to YesApp's webhooks."""

from __future__ import annotations

from typing import Any

from sessions_app.models import Session
from waha.errors import NotImplementedInYesApp
from webhooks.models import WebhookConfig
from webhooks.selectors import webhook_config_for_session


def _webhook_json(config: WebhookConfig) -> dict[str, Any]:
    # The signing key is a secret: WAHA's clients set it, nobody reads it back.
    return {
        "url": config.url,
        "events": list(config.events or []),
        "hmac": None,
        "retries": None,
        "customHeaders": [{"name": name, "value": value} for name, value in (config.headers or {}).items()],
    }


def waha_session_config(session: Session) -> dict[str, Any]:
    config = webhook_config_for_session(session=session)
    return {"webhooks": [_webhook_json(config)] if config is not None else []}


def waha_session_webhooks_set(*, session: Session, webhooks: list[dict] | None) -> None:
    if webhooks:
        raise NotImplementedInYesApp(
            "config.webhooks is not supported yet; use /api/v1/sessions/{id}/webhook."
        )
