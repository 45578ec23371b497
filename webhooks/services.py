"""Webhook configuration: a session's own webhook (the API's PUT, PATCH and DELETE, the
dashboard's card) and the server's default one from WEBHOOK_URL, with the secret each signs
with. Delivering the events is the outbox's job (`webhooks/outbox.py`).
"""

import logging
import os
import re
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from sessions_app.models import Session
from webhooks.models import WebhookConfig, WebhookSource
from webhooks.signing import SECRET_PATTERN, generate_secret
from webhooks.transport import safe_url
from yesapp.errors import InvalidInput, NotFound
from yesapp.events import ALL_EVENTS
from yesapp.outbound_address import validate_public_url

logger = logging.getLogger(__name__)

# RFC 9110 token characters; values must not smuggle a second header line.
_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$")
_RESERVED_HEADERS = {"host", "content-type", "content-length", "transfer-encoding", "connection"}
MAX_HEADERS = 20
MAX_HEADER_VALUE = 1000


def _clean_events(events: Any) -> list[str]:
    """The subscribed events in canonical order; [] means all of them (also future ones)."""
    if events is None:
        return []
    if not isinstance(events, list | tuple) or not all(isinstance(e, str) for e in events):
        raise InvalidInput("events must be a list of event names.", details={"events": events})
    if "*" in events:
        return []
    if not events:
        raise InvalidInput(
            "events must name at least one event; leave it out to get all.",
            details={"allowed": list(ALL_EVENTS)},
        )
    unknown = sorted(set(events) - set(ALL_EVENTS))
    if unknown:
        raise InvalidInput(
            f"Unknown event(s): {', '.join(unknown)}.",
            details={"events": unknown, "allowed": list(ALL_EVENTS)},
        )
    return [event for event in ALL_EVENTS if event in events]


def _clean_headers(headers: Any) -> dict[str, str]:
    if headers is None:
        return {}
    if not isinstance(headers, dict):
        raise InvalidInput(
            "headers must be an object of header names to text values.", details={"headers": headers}
        )
    if len(headers) > MAX_HEADERS:
        raise InvalidInput(
            f"At most {MAX_HEADERS} extra headers are allowed.", details={"count": len(headers)}
        )
    cleaned: dict[str, str] = {}
    for name, value in headers.items():
        if not isinstance(name, str) or not _HEADER_NAME.match(name):
            raise InvalidInput(f"{name!r} is not a valid header name.", details={"header": name})
        if name.lower() in _RESERVED_HEADERS or name.lower().startswith("x-yesapp-"):
            raise InvalidInput(f"The header {name!r} is set by YesApp.", details={"header": name})
        if not isinstance(value, str) or len(value) > MAX_HEADER_VALUE or any(c in value for c in "\r\n\0"):
            raise InvalidInput(
                f"The value of {name!r} must be one line of text of at most {MAX_HEADER_VALUE} characters.",
                details={"header": name},
            )
        cleaned[name] = value
    return cleaned


def _clean_secret(secret: Any) -> str:
    if not isinstance(secret, str) or not re.match(SECRET_PATTERN, secret):
        raise InvalidInput("secret must be 16 to 200 printable ASCII characters without spaces.", details={})
    return secret


def webhook_configure(
    *,
    session: Session,
    url: str,
    events: list[str] | None = None,
    secret: str | None = None,
    headers: dict[str, str] | None = None,
    ordered: bool | None = None,
) -> tuple[WebhookConfig, str | None]:
    """Sets the session's whole webhook (the API's PUT): creates it, or replaces every field.

    What is left out takes its default, on a new webhook as on a replaced one: all events, no
    extra headers, WEBHOOK_ORDERED, and a newly generated secret. Returns the config and the
    generated secret when there is one: it is shown once. `webhook_update` changes only the
    fields given. The URL must be http(s) without credentials, and public unless
    WEBHOOK_ALLOW_PRIVATE.
    """
    fields = _clean_config_fields(url=url, events=events, secret=secret, headers=headers, ordered=ordered)
    generated = None
    if secret is None:
        fields["secret"] = generated = generate_secret()
    fields.setdefault("events", [])
    fields.setdefault("headers", {})
    fields.setdefault("ordered", settings.WEBHOOK_ORDERED)
    with transaction.atomic():
        config = WebhookConfig.objects.select_for_update().filter(session=session).first()
        if config is None:
            config = WebhookConfig.objects.create(session=session, **fields)
        else:
            _save_config(config, fields)
    logger.info("Webhook configured", extra={"session_id": str(session.pk), "webhook_url": safe_url(url)})
    return config, generated


def webhook_update(*, session: Session, **changes: Any) -> WebhookConfig:
    """Changes only the given fields of the session's webhook (the API's PATCH): `url`,
    `events`, `secret`, `headers`, `ordered`; the others stay as they are. NotFound when the
    session has no webhook (PUT makes one)."""
    if unknown := sorted(set(changes) - {"url", "events", "secret", "headers", "ordered"}):
        raise InvalidInput(f"Unknown webhook fields: {', '.join(unknown)}.", details={"fields": unknown})
    fields = _clean_config_fields(**changes)
    with transaction.atomic():
        config = WebhookConfig.objects.select_for_update().filter(session=session).first()
        if config is None:
            raise NotFound(
                "This session has no webhook: set one with PUT first.", details={"sessionId": str(session.pk)}
            )
        _save_config(config, fields)
    logger.info("Webhook changed", extra={"session_id": str(session.pk), "webhook_url": safe_url(config.url)})
    return config


def _clean_config_fields(**given: Any) -> dict[str, Any]:
    """The given (not None) webhook fields, validated; InvalidInput on the first bad one."""
    cleaners = {
        "url": lambda url: validate_public_url(url, allow_private=settings.WEBHOOK_ALLOW_PRIVATE),
        "events": _clean_events,
        "secret": _clean_secret,
        "headers": _clean_headers,
        "ordered": _clean_ordered,
    }
    return {name: cleaners[name](value) for name, value in given.items() if value is not None}


def _clean_ordered(ordered: Any) -> bool:
    if not isinstance(ordered, bool):
        raise InvalidInput("ordered must be true or false.", details={"ordered": ordered})
    return ordered


def _save_config(config: WebhookConfig, fields: dict[str, Any]) -> None:
    for name, value in fields.items():
        setattr(config, name, value)
    config.is_active = True
    config.save()


def webhook_delete(*, session: Session) -> bool:
    """Removes the session's webhook with its delivery log; True when there was one."""
    deleted, _ = WebhookConfig.objects.filter(session=session).delete()
    return bool(deleted)


# --- The default webhook (WEBHOOK_URL) ---------------------------------------------------------


def _env_secret() -> str:
    """WEBHOOK_SECRET, else a secret generated once and kept in DATA_DIR (like SECRET_KEY)."""
    if settings.WEBHOOK_SECRET:
        return settings.WEBHOOK_SECRET
    path = settings.DATA_DIR / "webhook_secret"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as file:
        file.write(generate_secret())
    logger.warning("WEBHOOK_SECRET is not set; generated one in %s (the default webhook signs with it)", path)
    return path.read_text().strip()


def signing_secret(config: WebhookConfig) -> str:
    """The secret the webhook's deliveries are signed with: its own, or the server's for the default."""
    return _env_secret() if config.source == WebhookSource.ENV else config.secret


def _env_events() -> list[str]:
    wanted = [event for event in settings.WEBHOOK_EVENTS if event]
    unknown = set(wanted) - set(ALL_EVENTS)
    if unknown:
        logger.warning("WEBHOOK_EVENTS names unknown events, ignored: %s", ", ".join(sorted(unknown)))
    return [event for event in ALL_EVENTS if event in wanted]


def env_config_sync(current: WebhookConfig | None) -> WebhookConfig | None:
    """The `env` row in step with WEBHOOK_URL / WEBHOOK_EVENTS / WEBHOOK_ORDERED.

    Writes only when the environment changed; runs in a savepoint so a race with another
    process creating the same row cannot break the emitter's transaction.
    """
    url = settings.WEBHOOK_URL
    if not url:
        if current is not None and current.is_active:
            WebhookConfig.objects.filter(pk=current.pk).update(is_active=False)
        return None
    wanted = {"url": url, "events": _env_events(), "ordered": settings.WEBHOOK_ORDERED, "is_active": True}
    if current is not None and all(getattr(current, key) == value for key, value in wanted.items()):
        return current
    try:
        validate_public_url(url, allow_private=True)  # the form only; addresses are checked on connect
    except InvalidInput as exc:
        logger.error("WEBHOOK_URL is not usable: %s", exc.message)
        return None
    try:
        with transaction.atomic():
            config, _ = WebhookConfig.objects.update_or_create(source=WebhookSource.ENV, defaults=wanted)
    except IntegrityError:
        config = WebhookConfig.objects.filter(source=WebhookSource.ENV).first()
    return config
