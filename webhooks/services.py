"""Webhook writes: endpoints, the outbox, attempts, retries, the sweep and the pruning.

The flow: `webhook_deliveries_record` stores a `WebhookDelivery` in the emitting app's
transaction and nudges Celery on commit; `webhook_delivery_attempt` (the task's body)
claims the row with a conditional UPDATE, sends once, logs the attempt and schedules the
retry with a countdown, so no worker slot ever sleeps through a delay. In an ordered lane
(one session's deliveries to one endpoint) only the oldest open delivery can be claimed;
when it finishes it nudges the next, so a slow receiver holds at most one worker slot.
"""

import logging
import os
import re
import threading
import time
from datetime import timedelta
from functools import partial
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from sessions_app.models import Session
from webhooks.models import (
    OPEN_STATUSES,
    AttemptOutcome,
    DeliveryStatus,
    WebhookConfig,
    WebhookDelivery,
    WebhookDeliveryAttempt,
    WebhookSource,
)
from webhooks.payloads import build_body
from webhooks.policy import AttemptResult, is_retryable, next_delay, parse_delays
from webhooks.signing import generate_secret, sign
from webhooks.transport import post_webhook, safe_url
from yesapp.db_retry import retry_transient_db
from yesapp.errors import Conflict, InvalidInput, NotFound
from yesapp.events import ALL_EVENTS
from yesapp.outbound_address import validate_public_url

logger = logging.getLogger(__name__)

# RFC 9110 token characters; values must not smuggle a second header line.
_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$")
_RESERVED_HEADERS = {"host", "content-type", "content-length", "transfer-encoding", "connection"}
MAX_HEADERS = 20
MAX_HEADER_VALUE = 1000
# A claimed delivery whose worker died is handed out again after the attempt's timeout plus this.
CLAIM_MARGIN = timedelta(seconds=30)


# --- Configuration ----------------------------------------------------------------------------


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
    if (
        not isinstance(secret, str)
        or not 16 <= len(secret) <= 200
        or not secret.isprintable()
        or " " in secret
    ):
        raise InvalidInput("secret must be 16 to 200 printable characters without spaces.", details={})
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
    return _env_secret() if config.source == WebhookSource.ENV else config.secret


def _env_events() -> list[str]:
    wanted = [event for event in settings.WEBHOOK_EVENTS if event]
    unknown = set(wanted) - set(ALL_EVENTS)
    if unknown:
        logger.warning("WEBHOOK_EVENTS names unknown events, ignored: %s", ", ".join(sorted(unknown)))
    return [event for event in ALL_EVENTS if event in wanted]


def _env_config_sync(current: WebhookConfig | None) -> WebhookConfig | None:
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


# --- The outbox -------------------------------------------------------------------------------


def _delays() -> list[float]:
    return parse_delays(settings.WEBHOOK_RETRY_DELAYS)


def webhook_deliveries_record(
    *, event: str, session_id: Any, payload: dict[str, Any]
) -> list[WebhookDelivery]:
    """Stores the event for the session's webhook (or the default one) in the caller's transaction.

    Called by the `domain_event` receiver. Delivery starts right after the commit; if the
    broker is down then, the row waits for the sweep.
    """
    configs = list(WebhookConfig.objects.filter(Q(session_id=session_id) | Q(source=WebhookSource.ENV)))
    own = next((c for c in configs if c.session_id is not None), None)
    env = next((c for c in configs if c.source == WebhookSource.ENV), None)
    config = own or _env_config_sync(env)
    if config is None or not config.is_active or not config.wants(event):
        return []
    delay = _delays()[0]
    delivery = WebhookDelivery.objects.create(
        config=config,
        session_id=session_id,
        event=event,
        body=build_body(event=event, session_id=session_id, payload=payload),
        next_attempt_at=timezone.now() + timedelta(seconds=delay),
    )
    transaction.on_commit(partial(_nudge, delivery.pk, countdown=delay))
    return [delivery]


_broker = threading.local()


def _broker_connection():
    """This thread's broker connection, which fails at once when Redis is down.

    Celery's shared pool retries a connection for seconds; the nudge runs in the emitting
    thread (an engine actor, an API request) and must not stall it when the row is safe.
    """
    connection = getattr(_broker, "connection", None)
    if connection is None:
        connection = current_app.connection_for_write(transport_options={"max_retries": 0})
        _broker.connection = connection
    return connection


def _nudge(delivery_id: int, *, countdown: float = 0) -> None:
    """Queues an attempt. The row is the truth: a nudge lost here is found by the sweep."""
    from webhooks.tasks import deliver_webhook

    # Twice: a kept connection may have died with a Redis restart; a fresh one tells the truth.
    for last_try in (False, True):
        try:
            deliver_webhook.apply_async(
                (delivery_id,), countdown=countdown or None, retry=False, connection=_broker_connection()
            )
            return
        except Exception:
            connection, _broker.connection = getattr(_broker, "connection", None), None
            if connection is not None:
                connection.collect()  # drop the socket without talking to it
            if last_try:
                logger.warning(
                    "Webhook delivery %s not queued (broker unavailable); the sweep will send it",
                    delivery_id,
                    exc_info=True,
                )


# --- Attempts ---------------------------------------------------------------------------------


def _lane_blocked() -> Exists:
    """An older open delivery in the same lane (session × endpoint) exists."""
    return Exists(
        WebhookDelivery.objects.filter(
            config_id=OuterRef("config_id"),
            session_id=OuterRef("session_id"),
            id__lt=OuterRef("id"),
            status__in=OPEN_STATUSES,
        )
    )


def _claim(delivery_id: int) -> WebhookDelivery | None:
    """Marks the delivery as being sent, if it is due and its lane lets it go now.

    Ordered lanes send only their oldest open delivery; unordered ones at most
    WEBHOOK_UNORDERED_CONCURRENCY at once, so a slow receiver never holds every worker.
    The conditional UPDATE makes sure only one caller sends a given delivery.
    """
    lane = (
        WebhookDelivery.objects.filter(pk=delivery_id)
        .values("config_id", "session_id", "config__ordered")
        .first()
    )
    if lane is None:
        return None
    now = timezone.now()
    candidates = WebhookDelivery.objects.filter(
        pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
    )
    claim = {
        "status": DeliveryStatus.SENDING,
        "claimed_until": now + timedelta(seconds=settings.WEBHOOK_TIMEOUT) + CLAIM_MARGIN,
        "attempts": F("attempts") + 1,
        "round_attempts": F("round_attempts") + 1,
    }
    if lane["config__ordered"]:
        claimed = candidates.filter(~_lane_blocked()).update(**claim)
    else:
        with transaction.atomic():
            # Count and claim under the endpoint's row lock (SQLite: the write lock its
            # IMMEDIATE transactions take), so a burst cannot overshoot the cap.
            list(WebhookConfig.objects.select_for_update().filter(pk=lane["config_id"]).values_list("pk"))
            in_flight = WebhookDelivery.objects.filter(
                config_id=lane["config_id"], session_id=lane["session_id"], status=DeliveryStatus.SENDING
            ).count()
            claimed = candidates.update(**claim) if in_flight < settings.WEBHOOK_UNORDERED_CONCURRENCY else 0
    if not claimed:
        return None
    return WebhookDelivery.objects.select_related("config").get(pk=delivery_id)


def _request_headers(delivery: WebhookDelivery, config: WebhookConfig) -> dict[str, str]:
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


def webhook_delivery_attempt(*, delivery_id: int) -> WebhookDelivery | None:
    """Makes the delivery's next attempt if it is due and its turn; None when it is not.

    Idempotent and safe to run concurrently: only the caller whose conditional UPDATE
    claims the row sends. Never raises for a receiver's failure; the attempt is logged.
    """
    delivery = retry_transient_db(
        lambda: _claim(delivery_id), what="claiming a webhook delivery", deadline=30
    )
    if delivery is None:
        return None
    config = delivery.config
    started_at = timezone.now()
    result = post_webhook(
        url=config.url,
        body=delivery.body.encode(),
        headers=_request_headers(delivery, config),
        timeout=settings.WEBHOOK_TIMEOUT,
    )
    # The receiver has it now: the attempt must be recorded, or the sweep sends it again once
    # the claim lapses (WEBHOOK_TIMEOUT + CLAIM_MARGIN), which is how long this keeps trying.
    return retry_transient_db(
        lambda: _record_attempt(delivery, result, started_at=started_at),
        what="recording a webhook attempt",
        deadline=settings.WEBHOOK_TIMEOUT + CLAIM_MARGIN.total_seconds(),
    )


def _record_attempt(delivery: WebhookDelivery, result: AttemptResult, *, started_at) -> WebhookDelivery:
    now = timezone.now()
    retry_in = None
    if is_retryable(result):
        retry_in = next_delay(attempts_made=delivery.round_attempts, delays=_delays())
    if result.succeeded:
        status, outcome = DeliveryStatus.SUCCEEDED, AttemptOutcome.SUCCESS
    elif retry_in is not None:
        status, outcome = DeliveryStatus.PENDING, AttemptOutcome.RETRY
    else:
        status, outcome = DeliveryStatus.FAILED, AttemptOutcome.FAILED
    fields = {
        "status": status,
        "claimed_until": None,
        "last_status_code": result.status_code,
        "last_error": result.error,
        "next_attempt_at": now + timedelta(seconds=retry_in or 0),
        "finished_at": None if status == DeliveryStatus.PENDING else now,
    }
    with transaction.atomic():
        # Our claim still holds unless the row was deleted or the sweep gave it to another worker.
        mine = WebhookDelivery.objects.filter(
            pk=delivery.pk, status=DeliveryStatus.SENDING, claimed_until=delivery.claimed_until
        ).update(**fields)
        if not mine:
            logger.warning(
                "Webhook delivery %s changed while being sent; attempt not recorded", delivery.uuid
            )
            return delivery
        WebhookDeliveryAttempt.objects.create(
            delivery=delivery,
            number=delivery.attempts,
            url=delivery.config.url,
            started_at=started_at,
            duration_ms=result.duration_ms,
            status_code=result.status_code,
            error=result.error,
            response_excerpt=result.response_excerpt,
            outcome=outcome,
        )
        if status == DeliveryStatus.PENDING:
            transaction.on_commit(partial(_nudge, delivery.pk, countdown=retry_in))
        # The lane has room again: whatever waited for it may go (an ordered lane only
        # moves on once its head has finished).
        if status != DeliveryStatus.PENDING or not delivery.config.ordered:
            transaction.on_commit(
                partial(
                    _nudge_lane,
                    config_id=delivery.config_id,
                    session_id=delivery.session_id,
                    ordered=delivery.config.ordered,
                )
            )
    for name, value in fields.items():
        setattr(delivery, name, value)
    logger.info(
        "Webhook %s %s attempt %s: %s",
        delivery.event,
        delivery.uuid,
        delivery.attempts,
        outcome,
        extra={
            "session_id": str(delivery.session_id),
            "webhook_url": safe_url(delivery.config.url),
            "status_code": result.status_code,
            "duration_ms": result.duration_ms,
            "error": result.error,
        },
    )
    return delivery


def _nudge_lane(*, config_id: int, session_id: Any, ordered: bool) -> None:
    """After an attempt freed the lane: queue the delivery that waited for it, if any."""
    lane = WebhookDelivery.objects.filter(config_id=config_id, session_id=session_id)
    if ordered:
        head = (
            lane.filter(status__in=OPEN_STATUSES)
            .order_by("id")
            .values("id", "status", "next_attempt_at")
            .first()
        )
    else:
        head = (
            lane.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=timezone.now())
            .order_by("id")
            .values("id", "status", "next_attempt_at")
            .first()
        )
    if head and head["status"] == DeliveryStatus.PENDING:
        wait = (head["next_attempt_at"] - timezone.now()).total_seconds()
        _nudge(head["id"], countdown=max(0.0, wait))


def webhook_delivery_retry(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Sends a finished delivery again (failed, or succeeded for a replay), with a fresh schedule.

    The same body and delivery id go out, so a receiver that already has it can dedupe.
    Conflict (409) when it is still pending or being sent.
    """
    with transaction.atomic():
        restarted = WebhookDelivery.objects.filter(
            pk=delivery.pk, status__in=[DeliveryStatus.FAILED, DeliveryStatus.SUCCEEDED]
        ).update(
            status=DeliveryStatus.PENDING,
            round_attempts=0,
            next_attempt_at=timezone.now(),
            claimed_until=None,
            finished_at=None,
        )
        if not restarted:
            raise Conflict(
                "This delivery is still pending or being sent; it can be retried once it has finished.",
                details={"deliveryId": str(delivery.uuid), "status": delivery.status},
            )
        transaction.on_commit(partial(_nudge, delivery.pk))
    delivery.refresh_from_db()
    logger.info("Webhook delivery %s retried by hand", delivery.uuid)
    return delivery


# --- Background upkeep ------------------------------------------------------------------------


def webhook_deliveries_sweep(*, grace: float | None = None, limit: int = 500) -> int:
    """Re-queues deliveries whose nudge was lost; returns how many were queued.

    Catches rows stored while Redis was down, retries whose countdown task died with its
    worker, and claims whose worker died mid-attempt (their lease ran out). Only a lane's
    head is queued, so ordered lanes stay in order.
    """
    now = timezone.now()
    grace = settings.WEBHOOK_SWEEP_GRACE if grace is None else grace
    stale = list(
        WebhookDelivery.objects.filter(status=DeliveryStatus.SENDING, claimed_until__lt=now).values_list(
            "id", flat=True
        )
    )
    if stale:
        WebhookDelivery.objects.filter(
            pk__in=stale, status=DeliveryStatus.SENDING, claimed_until__lt=now
        ).update(status=DeliveryStatus.PENDING, claimed_until=None, next_attempt_at=now)
        logger.warning("Webhook sweep: %s delivery claim(s) expired, sending again", len(stale))
    due = list(
        WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING)
        .filter(Q(next_attempt_at__lte=now - timedelta(seconds=grace)) | Q(pk__in=stale))
        .filter(Q(config__ordered=False) | ~_lane_blocked())
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    for delivery_id in due:
        _nudge(delivery_id)
    if due:
        logger.info("Webhook sweep queued %s overdue delivery(ies)", len(due))
    return len(due)


def webhook_deliveries_prune(*, older_than_days: int | None = None, batch_size: int = 1000) -> int:
    """Deletes finished deliveries (and their attempts) older than the retention, in batches."""
    days = settings.WEBHOOK_RETENTION_DAYS if older_than_days is None else older_than_days
    if days <= 0:
        return 0
    cutoff = timezone.now() - timedelta(days=days)
    total = 0
    while True:
        ids = list(
            WebhookDelivery.objects.filter(created_at__lt=cutoff)
            .exclude(status__in=OPEN_STATUSES)
            .order_by("id")
            .values_list("id", flat=True)[:batch_size]
        )
        if not ids:
            break
        # Short transactions, so the engine's writes never wait long behind a big delete.
        with transaction.atomic():
            WebhookDeliveryAttempt.objects.filter(delivery_id__in=ids).delete()
            WebhookDelivery.objects.filter(pk__in=ids).delete()
        total += len(ids)
    if total:
        logger.info("Pruned %s webhook deliveries older than %s days", total, days)
    return total
