"""Media of the Cloud API facade: uploads that wait to be sent by id, and a media id's file.

A media id names either an upload (UploadedMedia) or a message's own file (a received photo,
say), so a client can fetch what a webhook announced by the id it carried, as on Meta's API.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.db import transaction
from django.utils import timezone

from cloud_api.errors import INVALID_PARAMETER, NO_SUCH_OBJECT, GraphError
from cloud_api.ids import uuid_from_media_id
from cloud_api.models import UploadedMedia
from messaging import media as media_store
from messaging.media import MediaSource
from messaging.models import MediaStatus, Message
from messaging.storage import media_quota_check
from sessions_app.models import Session
from sessions_app.selectors import session_visible_to_key
from yesapp.errors import ServiceUnavailable
from yesapp.file_storage import file_exists, file_read, file_sha256, file_storage
from yesapp.models import ApiKey

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MediaFile:
    """What `GET /{media-id}` describes, wherever the file lives."""

    media_id: str
    session_id: object
    name: str  # in the file storage (yesapp.file_storage)
    mimetype: str
    size: int
    sha256: str
    filename: str
    kind: str


def media_upload(*, session: Session, upload: UploadedFile, claimed_type: str = "") -> UploadedMedia:
    """Checks and stores an uploaded file (type sniffed from the bytes, MEDIA_MAX_BYTES, the
    session's media quota); returns the upload, whose id a message may then send."""
    blob = MediaSource(upload=upload, mimetype=claimed_type).load()
    media_quota_check(session_id=session.pk, adding=len(blob.data))
    row = UploadedMedia(
        session=session,
        mimetype=blob.mimetype,
        size=len(blob.data),
        sha256=hashlib.sha256(blob.data).hexdigest(),
        filename=blob.filename,
        kind=blob.kind,
    )
    try:
        row.name = media_store.store_file(
            message_id=f"upload-{row.pk}", data=blob.data, extension=blob.extension
        )
    except OSError as exc:
        raise ServiceUnavailable(
            f"The server could not store the file ({exc.strerror or exc}); retry later.",
            code="media_storage_failed",
        ) from exc
    try:
        row.save()
    except BaseException:
        media_store.remove_file(row.name)
        raise
    return row


def media_not_found(media_id: str) -> GraphError:
    return GraphError(
        f"Unsupported request: media {media_id!r} does not exist, or this key cannot see it.",
        status=404,
        graph_code=INVALID_PARAMETER,
        subcode=NO_SUCH_OBJECT,
        code="media_not_found",
    )


def media_file_for_key(*, key: ApiKey, media_id: str, session: Session | None = None) -> MediaFile:
    """The file behind `media_id` (an upload or a message's media) if `key` may see its session
    (and it is `session`'s, when given); a Graph 404 otherwise or while it is not stored."""
    pk = uuid_from_media_id(media_id)
    upload = UploadedMedia.objects.filter(pk=pk).first() if pk else None
    message = None if upload or not pk else Message.objects.filter(pk=pk).exclude(media_name="").first()
    owner = upload or message
    if owner is None or not session_visible_to_key(key=key, session_id=owner.session_id):
        raise media_not_found(media_id)
    if session is not None and owner.session_id != session.pk:
        raise media_not_found(media_id)
    if upload is not None:
        if not file_exists(upload.name):
            raise media_not_found(media_id)
        return MediaFile(
            media_id, upload.session_id, upload.name, upload.mimetype, upload.size, upload.sha256,
            upload.filename, upload.kind,
        )  # fmt: skip
    sha256 = file_sha256(message.media_name) if message.media_status == MediaStatus.STORED else ""
    if not sha256:  # not stored, or gone
        raise media_not_found(media_id)
    kind = message.type if message.type in ("image", "video", "audio", "document", "sticker") else ""
    return MediaFile(
        media_id, message.session_id, message.media_name, message.media_mimetype,
        message.media_size or file_storage().size(message.media_name), sha256,
        message.media_filename, kind if kind else media_store.kind_for(message.media_mimetype),
    )  # fmt: skip


def media_delete(*, key: ApiKey, media_id: str) -> None:
    """Deletes an upload. A message's own media stays with its message (deleted with it)."""
    media_file_for_key(key=key, media_id=media_id)  # 404 for what the key cannot see
    pk = uuid_from_media_id(media_id)
    with transaction.atomic():
        upload = UploadedMedia.objects.select_for_update().filter(pk=pk).first()
        if upload is None:
            raise GraphError(
                "This media belongs to a message; it is deleted with the message, not on its own.",
                status=400,
                graph_code=INVALID_PARAMETER,
                code="media_of_a_message",
            )
        upload.delete()  # its file goes after the commit (cloud_api.signals)


def uploads_prune(*, older_than_days: int | None = None, batch_size: int = 500) -> int:
    """Deletes uploads older than MEDIA_RETENTION_DAYS (0 keeps them), in short batches; a
    message sent from one keeps its own copy."""
    days = settings.MEDIA_RETENTION_DAYS if older_than_days is None else older_than_days
    if days <= 0:
        return 0
    old = UploadedMedia.objects.filter(created_at__lt=timezone.now() - timedelta(days=days))
    total = 0
    while ids := list(old.values_list("pk", flat=True)[:batch_size]):
        with transaction.atomic():
            for upload in UploadedMedia.objects.filter(pk__in=ids):
                upload.delete()
                total += 1
    return total


def media_source_for(media: MediaFile, *, kind: str, filename: str = "") -> MediaSource:
    """A send of this file as `kind` (checked against the bytes again by messaging)."""
    data = file_read(media.name)
    if data is None:
        raise media_not_found(media.media_id)
    upload = SimpleUploadedFile(filename or media.filename or media.name, data, content_type=media.mimetype)
    return MediaSource(kind=kind, upload=upload, filename=filename or media.filename)
