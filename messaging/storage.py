"""Bounds on what messages keep on disk and in the database: a media quota per session, and
retention periods after which messages, media files and session events are pruned in batches."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from messaging.media import remove_file
from messaging.models import BACKLOG_STATUSES, MediaStatus, Message
from sessions_app.models import SessionEvent
from yesapp.errors import ServiceError

logger = logging.getLogger(__name__)


class MediaQuotaExceeded(ServiceError):
    """The session's media files would pass MEDIA_QUOTA_BYTES (507); nothing was stored."""

    status_code = 507
    code = "media_quota_exceeded"


def session_media_bytes(*, session_id) -> int:
    """Bytes of media files the session keeps in the file storage."""
    used = Message.objects.filter(session_id=session_id).exclude(media_name="").aggregate(n=Sum("media_size"))
    return used["n"] or 0


def media_quota_problem(*, session_id, adding: int) -> str | None:
    """Why `adding` more bytes of media would pass the session's quota, or None (0 = no quota)."""
    quota = settings.MEDIA_QUOTA_BYTES
    if quota <= 0:
        return None
    used = session_media_bytes(session_id=session_id)
    if used + adding <= quota:
        return None
    return (
        f"The session's media quota is full: it keeps {used} bytes of media, and this file of "
        f"{adding} bytes would pass MEDIA_QUOTA_BYTES ({quota}). Delete old messages or raise the quota."
    )


def media_quota_check(*, session_id, adding: int) -> None:
    """Raises MediaQuotaExceeded when `adding` bytes would pass the session's media quota."""
    if problem := media_quota_problem(session_id=session_id, adding=adding):
        raise MediaQuotaExceeded(
            problem, details={"quotaBytes": settings.MEDIA_QUOTA_BYTES, "fileBytes": adding}
        )


def _cutoff(days: int):
    return timezone.now() - timedelta(days=days) if days > 0 else None


def messages_prune(*, older_than_days: int | None = None, batch_size: int = 1000) -> int:
    """Deletes messages older than MESSAGE_RETENTION_DAYS (their media files follow, see
    signals.py), in short batches. Messages still waiting to be sent are kept."""
    days = settings.MESSAGE_RETENTION_DAYS if older_than_days is None else older_than_days
    if (cutoff := _cutoff(days)) is None:
        return 0
    old = Message.objects.filter(created_at__lt=cutoff).exclude(status__in=BACKLOG_STATUSES)
    total = 0
    while ids := list(old.order_by("created_at").values_list("pk", flat=True)[:batch_size]):
        with transaction.atomic():  # short transactions: the engine's writes never wait long
            total += Message.objects.filter(pk__in=ids).delete()[1].get(Message._meta.label, 0)
    if total:
        logger.info("Pruned %s messages older than %s days", total, days)
    return total


def media_prune(*, older_than_days: int | None = None, batch_size: int = 1000) -> int:
    """Deletes the media files of messages older than MEDIA_RETENTION_DAYS; the messages stay,
    their media marked `expired`."""
    days = settings.MEDIA_RETENTION_DAYS if older_than_days is None else older_than_days
    if (cutoff := _cutoff(days)) is None:
        return 0
    old = Message.objects.filter(created_at__lt=cutoff).exclude(media_name="")
    old = old.exclude(status__in=BACKLOG_STATUSES)  # still to be sent: the engine reads the file
    total = 0
    while rows := list(old.order_by("created_at").values_list("pk", "media_name")[:batch_size]):
        ids = [pk for pk, _ in rows]
        with transaction.atomic():
            Message.objects.filter(pk__in=ids).update(
                media_name="",
                media_status=MediaStatus.EXPIRED,
                media_error=f"The file was removed after MEDIA_RETENTION_DAYS ({days}).",
                updated_at=timezone.now(),
            )
        for _, name in rows:  # after the commit: a row never points at a missing file it promises
            remove_file(name)
        total += len(rows)
    if total:
        logger.info("Pruned the media files of %s messages older than %s days", total, days)
    return total


def session_events_prune(*, older_than_days: int | None = None, batch_size: int = 1000) -> int:
    """Deletes session status history older than SESSION_EVENT_RETENTION_DAYS, in batches."""
    days = settings.SESSION_EVENT_RETENTION_DAYS if older_than_days is None else older_than_days
    if (cutoff := _cutoff(days)) is None:
        return 0
    total = 0
    old = SessionEvent.objects.filter(Q(created_at__lt=cutoff))
    while ids := list(old.order_by("created_at").values_list("pk", flat=True)[:batch_size]):
        with transaction.atomic():
            total += SessionEvent.objects.filter(pk__in=ids).delete()[0]
    if total:
        logger.info("Pruned %s session events older than %s days", total, days)
    return total


def storage_prune(*, batch_size: int = 1000) -> dict[str, int]:
    """Every retention at once (the periodic task and `manage.py prunedata`)."""
    return {
        "messages": messages_prune(batch_size=batch_size),
        "media": media_prune(batch_size=batch_size),
        "sessionEvents": session_events_prune(batch_size=batch_size),
    }
