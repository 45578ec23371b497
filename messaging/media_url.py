"""Media given by URL: the API stores the message `pending` and answers at once; a worker
fetches the URL (messaging.media.fetch_url: bounded in time and size, public addresses only)
and moves the message on, to `queued` with the file stored or to `failed` with the reason.

No web request ever waits on someone else's server. The database says what is owed: a fetch
whose task was lost (Redis down, a worker killed mid-fetch) is found again by the sweep.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from messaging import media as media_store
from messaging.models import MediaStatus, Message, MessageStatus
from messaging.services import fetch_media_later, message_transition
from sessions_app.services import session_nudge
from yesapp.errors import ServiceError

logger = logging.getLogger(__name__)

# A fetch claims its message for this long past MEDIA_URL_TIMEOUT; a worker that died
# mid-fetch leaves a claim that expires, and the sweep hands the message out again.
CLAIM_MARGIN_SECONDS = 30
# Tries before a message whose fetches keep dying (not failing: dying) is given up.
MAX_FETCH_ATTEMPTS = 3
# How old an unclaimed pending message must be before the sweep counts its task as lost:
# long enough for a busy worker's queue, short enough that nothing waits for ever.
SWEEP_GRACE_SECONDS = 60


def message_fetch_media(*, message_id) -> str:
    """Fetches a pending message's media URL and moves the message on; returns its new status,
    or "" when there was nothing to do (not pending, or another fetch holds it).

    Safe to run twice: a conditional update claims the message for one fetch at a time. A
    fetch that fails (unreachable, private address, HTTP error, too slow, too large, wrong
    type) marks the message `failed` with the same error code the API used to answer with,
    which emits `message.status`.
    """
    now = timezone.now()
    claim_until = now + timedelta(seconds=settings.MEDIA_URL_TIMEOUT + CLAIM_MARGIN_SECONDS)
    claimed = (
        Message.objects.filter(pk=message_id, status=MessageStatus.PENDING)
        .filter(Q(media_retry_at__isnull=True) | Q(media_retry_at__lte=now))
        .update(media_retry_at=claim_until, media_attempts=F("media_attempts") + 1, updated_at=now)
    )
    if not claimed:
        return ""
    message = Message.objects.get(pk=message_id)
    try:
        blob = _fetch_blob(message)
    except ServiceError as exc:
        code = "media_fetch_failed" if exc.code == "validation_error" else exc.code
        return _fail(message, code=code, error=exc.message)
    try:
        stored_name = media_store.store_file(message_id=message.pk, data=blob.data, extension=blob.extension)
    except OSError as exc:  # a full disk: the server's trouble, said as such
        logger.error("Could not store fetched media of message %s: %s", message.pk, exc)
        error = f"The server could not store the media: {exc}"
        return _fail(message, code="media_storage_failed", error=error)
    return _mark_queued(message, blob, stored_name)


def _fetch_blob(message: Message) -> media_store.MediaBlob:
    raw, content_type, url_name = media_store.fetch_url(message.media_source_url)
    return media_store.build_blob(
        raw,
        kind=message.type,
        claimed_mimetype=message.media_mimetype or content_type,
        filename=message.media_filename or url_name,
    )


def _mark_queued(message: Message, blob: media_store.MediaBlob, stored_name: str) -> str:
    with transaction.atomic():
        moved = Message.objects.filter(pk=message.pk, status=MessageStatus.PENDING).update(
            status=MessageStatus.QUEUED,
            type=blob.kind,
            media_name=stored_name,
            media_mimetype=blob.mimetype,
            media_size=len(blob.data),
            media_filename=blob.filename,
            media_status=MediaStatus.STORED,
            media_retry_at=None,
            media_error="",
            updated_at=timezone.now(),
        )
        if moved:
            session_id = message.session_id
            transaction.on_commit(lambda: session_nudge(session_id))
    if not moved:  # deleted, or given up by the sweep while we fetched
        media_store.remove_file(stored_name)
        return ""
    logger.info(
        "Media fetched; message queued",
        extra={"session_id": str(message.session_id), "message_id": str(message.pk), "size": len(blob.data)},
    )
    return MessageStatus.QUEUED


def _fail(message: Message, *, code: str, error: str) -> str:
    with transaction.atomic():
        Message.objects.filter(pk=message.pk, status=MessageStatus.PENDING).update(
            media_status=MediaStatus.FAILED, media_error=error, media_retry_at=None
        )
        changed = message_transition(
            message=message, status=MessageStatus.FAILED, error_code=code, error=error
        )
    logger.info(
        "Media fetch failed (%s): %s",
        code,
        error,
        extra={"session_id": str(message.session_id), "message_id": str(message.pk)},
    )
    return MessageStatus.FAILED if changed else ""


def message_media_fetch_sweep(*, limit: int = 100) -> int:
    """Hands out again the pending messages whose fetch task was lost: never claimed after
    SWEEP_GRACE_SECONDS, or claimed by a fetch that died (its claim expired). After
    MAX_FETCH_ATTEMPTS such deaths the message fails instead. Returns how many it touched."""
    now = timezone.now()
    lost = (
        Message.objects.filter(status=MessageStatus.PENDING)
        .filter(
            Q(media_retry_at__isnull=True, created_at__lte=now - timedelta(seconds=SWEEP_GRACE_SECONDS))
            | Q(media_retry_at__lte=now)
        )
        .order_by("created_at")[:limit]
    )
    count = 0
    for message in lost:
        count += 1
        if message.media_attempts >= MAX_FETCH_ATTEMPTS:
            _fail(
                message,
                code="media_fetch_failed",
                error=f"Fetching media.url was interrupted {message.media_attempts} times; gave up.",
            )
        else:
            fetch_media_later(message.pk)
    return count
