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
from webhooks.formats import DEFAULT_FORMAT, WebhookFormat, webhook_format, webhook_format_names
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


def _clean_events(events: Any, *, allowed: tuple[str, ...] = ALL_EVENTS) -> list[str]:
    """The subscribed events in the format's order; [] means all of them (also future ones)."""
    if events is None:
        return []
    if not isinstance(events, list | tuple) or not all(isinstance(e, str) for e in events):
        raise InvalidInput("events must be a list of event names.", details={"events": events})
    if "*" in events:
        return []
    if not events:
        raise InvalidInput(
            "events must name at least one event; leave it out to get all.",
            details={"allowed": list(allowed)},
        )
    unknown = sorted(set(events) - set(allowed))
    if unknown:
        raise InvalidInput(
            f"Unknown event(s) for this webhook's format: {', '.join(unknown)}.",
            details={"events": unknown, "allowed": list(allowed)},
        )
    return [event for event in allowed if event in events]


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


MAX_WEBHOOKS_PER_SESSION = 10
_FIELDS = {"url", "events", "secret", "headers", "ordered", "format", "options"}


def webhook_create(*, session: Session, url: str, **fields: Any) -> tuple[WebhookConfig, str | None]:
    """Adds a webhook to the session (`POST /sessions/{id}/webhooks`); returns it and the
    generated secret when none was given (shown once). Fields left out take their defaults:
    all events, no extra headers, WEBHOOK_ORDERED, the `yesapp` format."""
    cleaned, generated = _new_config_fields(url=url, **fields)
    config = WebhookConfig(session=session, **cleaned)
    _verify_receiver(config)  # a request to the receiver: never inside the transaction below
    with transaction.atomic():
        # Locks the session row so two concurrent creations cannot pass the limit together.
        Session.objects.select_for_update().filter(pk=session.pk).first()
        if WebhookConfig.objects.filter(session=session).count() >= MAX_WEBHOOKS_PER_SESSION:
            raise InvalidInput(
                f"A session can have at most {MAX_WEBHOOKS_PER_SESSION} webhooks.",
                details={"sessionId": str(session.pk), "limit": MAX_WEBHOOKS_PER_SESSION},
            )
        config.save()
    logger.info("Webhook added", extra={"session_id": str(session.pk), "webhook_url": safe_url(url)})
    return config, generated


def webhook_configure(*, session: Session, url: str, **fields: Any) -> tuple[WebhookConfig, str | None]:
    """Sets the session's first webhook whole (the single-webhook API's PUT): creates it, or
    replaces every field. What is left out takes its default, on a new webhook as on a replaced
    one, the secret too (a new one is generated and returned, shown once)."""
    cleaned, generated = _new_config_fields(url=url, **fields)
    _verify_new_receiver(WebhookConfig.objects.filter(session=session).first(), cleaned, session=session)
    with transaction.atomic():
        config = WebhookConfig.objects.select_for_update().filter(session=session).first()
        if config is None:
            config = WebhookConfig(session=session)
        _save_config(config, cleaned)
    logger.info("Webhook configured", extra={"session_id": str(session.pk), "webhook_url": safe_url(url)})
    return config, generated


def webhook_change(*, config: WebhookConfig, **changes: Any) -> WebhookConfig:
    """Changes only the given fields of one webhook (PATCH); the others, the secret included,
    stay as they are."""
    if unknown := sorted(set(changes) - _FIELDS):
        raise InvalidInput(f"Unknown webhook fields: {', '.join(unknown)}.", details={"fields": unknown})
    fmt_name = changes.get("format") or config.format
    cleaned = _clean_config_fields(fmt_name, **changes)
    if fmt_name != config.format:
        # Another format's event names and options mean nothing in this one.
        cleaned.setdefault("events", [])
        cleaned.setdefault("options", _clean_options(fmt_name, {}))
    _verify_new_receiver(config, cleaned, session=config.session)
    with transaction.atomic():
        locked = WebhookConfig.objects.select_for_update().get(pk=config.pk)
        _save_config(locked, cleaned)
    logger.info(
        "Webhook changed", extra={"session_id": str(locked.session_id), "webhook_url": safe_url(locked.url)}
    )
    return locked


def webhook_update(*, session: Session, **changes: Any) -> WebhookConfig:
    """PATCH of the session's first webhook (the single-webhook API). NotFound when it has none."""
    config = WebhookConfig.objects.filter(session=session).first()
    if config is None:
        raise NotFound(
            "This session has no webhook: set one with PUT first.", details={"sessionId": str(session.pk)}
        )
    return webhook_change(config=config, **changes)


def webhook_remove(*, config: WebhookConfig) -> None:
    """Removes one webhook with its delivery log."""
    config.delete()


def webhook_delete(*, session: Session) -> bool:
    """Removes the session's first webhook with its delivery log; True when there was one."""
    config = WebhookConfig.objects.filter(session=session).first()
    if config is not None:
        webhook_remove(config=config)
    return config is not None


def _new_config_fields(*, url: str, **fields: Any) -> tuple[dict[str, Any], str | None]:
    """A whole webhook's validated fields, defaults filled in, and the generated secret if any."""
    if unknown := sorted(set(fields) - _FIELDS):
        raise InvalidInput(f"Unknown webhook fields: {', '.join(unknown)}.", details={"fields": unknown})
    fmt_name = fields.get("format") or DEFAULT_FORMAT
    cleaned = _clean_config_fields(fmt_name, url=url, **fields)
    generated = None
    if fields.get("secret") is None:
        cleaned["secret"] = generated = generate_secret()
    cleaned.setdefault("events", [])
    cleaned.setdefault("headers", {})
    cleaned.setdefault("ordered", settings.WEBHOOK_ORDERED)
    cleaned.setdefault("format", fmt_name)
    cleaned.setdefault("options", _clean_options(fmt_name, {}))
    return cleaned, generated


def _clean_config_fields(fmt_name: str, **given: Any) -> dict[str, Any]:
    """The given (not None) webhook fields, validated; InvalidInput on the first bad one."""
    fmt = _known_format(fmt_name)
    cleaners = {
        "url": lambda url: validate_public_url(url, allow_private=settings.WEBHOOK_ALLOW_PRIVATE),
        "events": lambda events: _clean_events(events, allowed=fmt.event_names),
        "secret": _clean_secret,
        "headers": _clean_headers,
        "ordered": _clean_ordered,
        "format": lambda name: fmt.name,
        "options": lambda options: _clean_options(fmt.name, options),
    }
    return {name: cleaners[name](value) for name, value in given.items() if value is not None}


def _known_format(name: Any) -> WebhookFormat:
    if not isinstance(name, str) or name not in webhook_format_names():
        raise InvalidInput(
            f"Unknown webhook format {name!r}.", details={"format": name, "allowed": webhook_format_names()}
        )
    return webhook_format(name)


def _clean_options(fmt_name: str, options: Any) -> dict[str, Any]:
    if not isinstance(options, dict):
        raise InvalidInput("options must be an object.", details={"options": options})
    fmt = webhook_format(fmt_name)
    if fmt.clean_options is None:
        if options:
            raise InvalidInput(f"The {fmt_name} format takes no options.", details={"options": options})
        return {}
    return fmt.clean_options(options)


def _clean_ordered(ordered: Any) -> bool:
    if not isinstance(ordered, bool):
        raise InvalidInput("ordered must be true or false.", details={"ordered": ordered})
    return ordered


def _verify_receiver(config: WebhookConfig) -> None:
    verify = webhook_format(config.format).verify_receiver
    if verify is not None:
        verify(config)


def _verify_new_receiver(current: WebhookConfig | None, fields: dict[str, Any], *, session: Session) -> None:
    """Verifies the receiver a change leads to, when it changes (a new address, format or
    options), before any row is locked: a handshake is a request that can take WEBHOOK_TIMEOUT,
    and on SQLite a transaction holds the whole database's write lock meanwhile."""
    if current is not None and all(
        name not in fields or fields[name] == getattr(current, name) for name in ("url", "format", "options")
    ):
        return
    receiver = ("url", "format", "options", "secret", "source")
    candidate = WebhookConfig(session=session)
    for name in receiver:
        if name in fields or current is not None:
            setattr(candidate, name, fields[name] if name in fields else getattr(current, name))
    _verify_receiver(candidate)


def _save_config(config: WebhookConfig, fields: dict[str, Any]) -> None:
    for name, value in fields.items():
        setattr(config, name, value)
    config.is_active = True
    config.save()


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
