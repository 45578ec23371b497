"""Received media: downloading a message's file through the page, and retrying later.

A received message is stored before its media is downloaded, so the text never waits for a
file. One attempt runs right away (messaging.inbound); a failed one is retried after
MEDIA_RETRY_DELAYS, from the actor's send step when it has nothing to send, until
MEDIA_DOWNLOAD_MAX_ATTEMPTS. Files go to the file storage as <messageId>.<ext>.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from messaging import media as media_store
from messaging.models import Direction, MediaStatus, Message
from messaging.payloads import message_event_payload
from messaging.storage import media_quota_problem
from sessions_app.engine.base import Engine, EngineCrashed, EngineError
from yesapp import events, media_input

logger = logging.getLogger(__name__)

# Wait before download attempt n+1 after n failures; the last entry repeats.
MEDIA_RETRY_DELAYS = (30, 120, 600, 1800, 3600)
# How often the send step looks for media downloads that are due again, per session.
MEDIA_RETRY_CHECK_SECONDS = 5.0

_last_media_check: dict[str, float] = {}


def download_media(*, message: Message, engine: Engine) -> bool:
    """One attempt at WPP.chat.downloadMedia for `message`; records the outcome.

    Failure schedules another attempt (MEDIA_RETRY_DELAYS) until MEDIA_DOWNLOAD_MAX_ATTEMPTS,
    then the media is `failed` for good, with the last error kept. A crashed browser is
    recorded the same way and re-raised so the actor restarts it.
    """
    if message.media_size and (problem := _too_large(message.media_size)):
        _record_media_failure(message, problem, final=True)
        return False
    fetched = _fetch(message, engine)
    if fetched is None:
        return False
    data, mimetype = fetched
    if problem := _too_large(len(data)) or media_quota_problem(
        session_id=message.session_id, adding=len(data)
    ):
        _record_media_failure(message, problem, final=True)  # nothing written
        return False
    extension = media_store.extension_for_mimetype(mimetype or message.media_mimetype, data)
    try:
        name = media_store.store_file(message_id=message.pk, data=data, extension=extension)
    except OSError as exc:  # disk full, media folder not writable: retried like a failed download
        _record_media_failure(message, f"Could not save the file in the file storage: {exc}")
        return False
    _record_media_stored(message, name=name, data=data, mimetype=mimetype)
    return True


def _too_large(size: int) -> str:
    limit = settings.MEDIA_DOWNLOAD_MAX_BYTES
    return f"The media is {size} bytes, over MEDIA_DOWNLOAD_MAX_BYTES ({limit})." if size > limit else ""


def _fetch(message: Message, engine: Engine) -> tuple[bytes, str] | None:
    """The file's bytes and mimetype from the page; None (recorded) if there are none."""
    try:
        data, mimetype = engine.download_media(message.wa_id)
    except EngineCrashed as exc:
        _record_media_failure(message, f"The browser stopped during the download: {exc}")
        raise
    except EngineError as exc:
        _record_media_failure(message, str(exc) or exc.__class__.__name__)
        return None
    if not data:
        _record_media_failure(message, "WhatsApp returned an empty file.")
        return None
    return data, mimetype


def _record_media_stored(message: Message, *, name: str, data: bytes, mimetype: str) -> None:
    sniffed = media_input.sniff(data, claimed_mimetype=mimetype or message.media_mimetype)[0]
    message.media_name = name
    message.media_mimetype = (sniffed if sniffed != "application/octet-stream" else mimetype or sniffed)[:255]
    message.media_size = len(data)
    message.media_status = MediaStatus.STORED
    message.media_attempts += 1
    message.media_error = ""
    message.media_retry_at = None
    message.save(
        update_fields=[
            "media_name",
            "media_mimetype",
            "media_size",
            "media_status",
            "media_attempts",
            "media_error",
            "media_retry_at",
            "updated_at",
        ]
    )


def _record_media_failure(message: Message, error: str, *, final: bool = False) -> None:
    message.media_attempts += 1
    message.media_error = error[:2000]
    if final or message.media_attempts >= settings.MEDIA_DOWNLOAD_MAX_ATTEMPTS:
        message.media_status, message.media_retry_at = MediaStatus.FAILED, None
    else:
        delay = MEDIA_RETRY_DELAYS[min(message.media_attempts, len(MEDIA_RETRY_DELAYS)) - 1]
        message.media_status = MediaStatus.PENDING
        message.media_retry_at = timezone.now() + timedelta(seconds=delay)
    message.save(
        update_fields=["media_attempts", "media_error", "media_status", "media_retry_at", "updated_at"]
    )
    logger.warning(
        "Media download failed (attempt %s): %s",
        message.media_attempts,
        error,
        extra={"session_id": str(message.session_id), "message_id": str(message.pk)},
    )


def retry_media(*, session_id, engine: Engine, limit: int = 1) -> int:
    """Retries up to `limit` media downloads that are due; emits `message.received` still owed
    (a worker that died between storing a message and its download). Returns attempts made."""
    due = (
        Message.objects.filter(session_id=session_id, media_status=MediaStatus.PENDING)
        .exclude(wa_id="")
        .filter(Q(media_retry_at__isnull=True) | Q(media_retry_at__lte=timezone.now()))
        .order_by("created_at")[:limit]
    )
    attempts = 0
    for message in due:
        attempts += 1
        try:
            download_media(message=message, engine=engine)
        finally:
            if message.direction == Direction.INBOUND and message.type != "ciphertext":
                message_emit_received(message=message)
    return attempts


def retry_media_when_due(*, session_id, engine: Engine) -> None:
    """retry_media, looking at most every MEDIA_RETRY_CHECK_SECONDS per session: the actor's
    send step calls this on every idle turn of its loop."""
    key = str(session_id)
    now = time.monotonic()
    if now - _last_media_check.get(key, 0.0) < MEDIA_RETRY_CHECK_SECONDS:
        return
    _last_media_check[key] = now
    retry_media(session_id=session_id, engine=engine)


def message_emit_received(*, message: Message) -> None:
    """Emits `message.received` once for an inbound message and records that it did."""
    with transaction.atomic():
        updated = Message.objects.filter(pk=message.pk, notified_at__isnull=True).update(
            notified_at=timezone.now()
        )
        if updated:
            message.refresh_from_db()
            events.emit(
                events.MESSAGE_RECEIVED, session_id=message.session_id, payload=message_event_payload(message)
            )
