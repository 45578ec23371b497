"""Writes of the messaging app: queueing messages and status transitions.

The API only ever writes `queued` rows (`pending` ones while a worker fetches their media
URL, messaging.media_url); the session actor (messaging.outbound) moves them on.
Every status change goes through `message_transition`, which never moves a message backwards
and emits `message.status` in the same transaction.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from messaging import media as media_store
from messaging import pacing
from messaging.admission import check_can_accept
from messaging.contacts import contact_refuse_if_absent
from messaging.content import MessageContent
from messaging.media import MediaSource
from messaging.models import (
    STATUS_RANK,
    Direction,
    MediaStatus,
    Message,
    MessageStatus,
)
from messaging.payloads import message_event_payload
from messaging.selectors import message_quotable
from messaging.send_options import send_extras
from messaging.storage import media_quota_check
from sessions_app.models import Session
from sessions_app.nudger import session_nudge_soon
from yesapp import events
from yesapp.db_writer import sqlite_writer_turn
from yesapp.errors import InvalidInput, ServiceUnavailable
from yesapp.validators import normalize_chat_id, phone_from_chat_id

logger = logging.getLogger(__name__)

# WhatsApp refuses longer texts; a clear 400 beats a send that fails later.
TEXT_MAX_CHARS = 65536
# Statuses that are bookkeeping, not news: no `message.status` event for them.
_SILENT_STATUSES = (MessageStatus.PENDING, MessageStatus.QUEUED, MessageStatus.SENDING)


# --- Status transitions ------------------------------------------------------------------------


def _may_move(current: str, target: str) -> bool:
    if target == current:
        return False
    if target == MessageStatus.FAILED:
        # A message WhatsApp confirmed as delivered or read cannot fail afterwards.
        return current in (
            MessageStatus.PENDING,
            MessageStatus.QUEUED,
            MessageStatus.SENDING,
            MessageStatus.SENT,
        )
    if target not in STATUS_RANK:
        return False
    if current == MessageStatus.FAILED:
        # An ack for a message we marked failed (e.g. send_uncertain) proves it went out.
        return target in (MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.READ)
    return current in STATUS_RANK and STATUS_RANK[target] > STATUS_RANK[current]


def message_transition(
    *,
    message: Message,
    status: str,
    at: datetime | None = None,
    error_code: str = "",
    error: str = "",
    wa_id: str | None = None,
) -> bool:
    """Moves `message` to `status` if that is forward; records the timestamps; emits
    `message.status` (except for queued/sending). Returns whether anything changed.

    Forward means queued → sending → sent → delivered → read; `failed` only before
    delivery; a failed message moves on only when WhatsApp acks it (it did go out).
    A jump (sent → read) fills the skipped timestamps with the same time.
    """
    at = at or timezone.now()
    # On SQLite, in line with the API's sends rather than in SQLite's busy wait (yesapp.db_writer).
    with sqlite_writer_turn(), transaction.atomic():
        # Lock only the message row: the session row is what message_send locks.
        message = Message.objects.select_for_update(of=("self",)).select_related("session").get(pk=message.pk)
        previous = message.status
        if not _may_move(previous, status):
            if wa_id and not message.wa_id:
                message.wa_id = wa_id
                message.save(update_fields=["wa_id", "updated_at"])
            return False
        fields = {"status", "updated_at"}
        message.status = status
        if wa_id:
            message.wa_id = wa_id
            fields.add("wa_id")
        if status == MessageStatus.FAILED:
            message.failed_at, message.error_code, message.error = at, error_code or "send_failed", error
            fields |= {"failed_at", "error_code", "error"}
        elif status in (MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.READ):
            fields |= _record_progress_times(message, previous=previous, at=at)
        message.save(update_fields=sorted(fields))
        if status not in _SILENT_STATUSES:
            payload = message_event_payload(message)
            payload["previousStatus"] = previous
            events.emit(events.MESSAGE_STATUS, session_id=message.session_id, payload=payload)
    return True


def _record_progress_times(message: Message, *, previous: str, at: datetime) -> set[str]:
    """Sets the timestamps a sent/delivered/read `message` reached; clears a disproved failure."""
    fields = {"sent_at"}
    if previous == MessageStatus.FAILED:
        message.error_code = message.error = ""
        message.failed_at = None
        fields |= {"error_code", "error", "failed_at"}
    message.sent_at = message.sent_at or at
    if message.status in (MessageStatus.DELIVERED, MessageStatus.READ):
        message.delivered_at = message.delivered_at or at
        fields.add("delivered_at")
    if message.status == MessageStatus.READ:
        message.read_at = message.read_at or at
        fields.add("read_at")
    return fields


# --- Queueing (the API side) -------------------------------------------------------------------


def message_find_by_idempotency_key(*, session: Session, idempotency_key: str) -> Message | None:
    if not idempotency_key:
        return None
    return (
        Message.objects.select_related("session")
        .filter(session=session, idempotency_key=idempotency_key)
        .first()
    )


def _store_media(message_id: uuid.UUID, blob: media_store.MediaBlob) -> str:
    try:
        return media_store.store_file(message_id=message_id, data=blob.data, extension=blob.extension)
    except OSError as exc:  # a full disk, a read-only volume: the server's trouble, not the client's
        logger.error("Could not store media for a new message: %s", exc)
        raise ServiceUnavailable(
            f"The server could not store the media file ({exc.strerror or exc}); nothing was stored. "
            "Retry later.",
            code="media_storage_failed",
        ) from exc


def message_send(
    *,
    session: Session,
    to: str,
    text: str = "",
    media: MediaSource | None = None,
    queue: bool = False,
    idempotency_key: str = "",
    content: MessageContent | None = None,
    reply_to: str = "",
    mentions: list[str] | None = None,
    link_preview: bool | None = None,
) -> tuple[Message, bool]:
    """Queues a message for `session`; returns (message, created).

    `content` makes it a location, contact card or poll; `reply_to` (a messageId or
    waMessageId of this session) quotes that message (404/409 from selectors.message_quotable);
    `mentions` and `link_preview` as messaging.send_options reads them.

    With an `idempotency_key` already used on this session, returns the first message and
    sends nothing (created is False; the rest of the request is not looked at). Refuses with
    409 when the session is not connected unless `queue`, and with 429 + Retry-After when
    QUEUE_MAX messages already wait, and with 422 `not_on_whatsapp` when a recent contact
    check found the number absent (messaging.contacts). Base64 and uploaded media are checked,
    sniffed and written to DATA_DIR/media/<id>.<ext> before the row is committed; if anything
    fails, the file is removed and nothing is stored. After commit, the session's engine node is nudged.
    Media by URL is not fetched here: the message is stored `pending` and a worker fetches it
    (messaging.media_url), so no request waits on someone else's server.
    """
    chat_id = normalize_chat_id(to)
    existing = message_find_by_idempotency_key(session=session, idempotency_key=idempotency_key)
    if existing is not None:
        return existing, False
    _check_text(text, has_media=media is not None or content is not None)
    _refuse_early(session, chat_id=chat_id, queue=queue, has_media=media is not None)
    text, extras = send_extras(
        session_id=session.pk, chat_id=chat_id, text=text, mentions=mentions, link_preview=link_preview
    )
    fields = _message_fields(session, chat_id=chat_id, text=text, content=content, reply_to=reply_to)
    fields["content"] = fields.get("content", {}) | extras
    fields["idempotency_key"] = idempotency_key
    return _store_once(session=session, queue=queue, fields=fields, media=media)


def _store_once(
    *, session: Session, queue: bool, fields: dict[str, Any], media: MediaSource | None
) -> tuple[Message, bool]:
    """Stores the queued message; when a request with the same idempotency key won the race,
    its message is the answer (created False)."""
    blob = _load_media(media)
    try:
        message = _store_queued(session=session, queue=queue, fields=fields, media=media, blob=blob)
    except IntegrityError:
        existing = message_find_by_idempotency_key(session=session, idempotency_key=fields["idempotency_key"])
        if existing is not None:
            return existing, False
        raise
    logger.info(
        "Message queued",
        extra={"session_id": str(session.pk), "message_id": str(message.id), "type": message.type},
    )
    return message, True


def _refuse_early(session: Session, *, chat_id: str, queue: bool, has_media: bool) -> None:
    """The cheap refusals, before any media is read or fetched: a number known to be absent,
    a session that cannot take it (repeated under the lock in _insert_queued; a full queue is
    counted here only before media work), and, for a send that must go now, a sending policy
    that would hold it."""
    contact_refuse_if_absent(session=session, chat_id=chat_id)
    check_can_accept(session, queue=queue, count=has_media)
    if not queue:
        pacing.pacing_refuse_if_held(session=session, chat_id=chat_id)


def _message_fields(
    session: Session, *, chat_id: str, text: str, content: MessageContent | None, reply_to: str
) -> dict[str, Any]:
    """The row's own fields: recipient, text, what it holds, what it quotes."""
    fields: dict[str, Any] = dict(chat_id=chat_id, phone=phone_from_chat_id(chat_id), text=text)
    if content is not None:
        fields |= {"type": content.type, "content": content.data}
    if reply_to:
        quoted = message_quotable(session=session, reference=reply_to)
        fields |= {"reply_to": quoted, "reply_to_wa_id": quoted.wa_id}
    return fields


def _check_text(text: str, *, has_media: bool) -> None:
    if not has_media and not text.strip():
        raise InvalidInput("text must not be empty.", details={"text": text})
    if len(text) > TEXT_MAX_CHARS:
        raise InvalidInput(f"text is longer than {TEXT_MAX_CHARS} characters.")


def _load_media(media: MediaSource | None) -> media_store.MediaBlob | None:
    """Checked base64 or uploaded media; None for none or a URL (only checked: a worker fetches it)."""
    if media is None:
        return None
    if media.url:
        media_store.check_url_at_once(media.url)
        return None
    return media.load()


def _store_queued(
    *,
    session: Session,
    queue: bool,
    fields: dict[str, Any],
    media: MediaSource | None,
    blob: media_store.MediaBlob | None,
) -> Message:
    """Writes the media file, then the row; removes the file again if the row is not stored."""
    message_id = uuid.uuid4()
    stored_name = ""
    try:
        if blob is not None:
            stored_name = _store_media(message_id, blob)
        by_url = media is not None and bool(media.url)
        # A location, contact or poll names its own type in `fields`.
        fields = (
            _pending_media_fields(media) if by_url else _stored_media_fields(blob, stored_name)
        ) | fields
        return _insert_queued(session=session, queue=queue, message_id=message_id, fields=fields, blob=blob)
    except BaseException:
        media_store.remove_file(stored_name)
        raise


def _insert_queued(
    *,
    session: Session,
    queue: bool,
    message_id: uuid.UUID,
    fields: dict[str, Any],
    blob: media_store.MediaBlob | None,
) -> Message:
    with sqlite_writer_turn(), transaction.atomic():
        # The row lock makes the QUEUE_MAX check and the insert one step per session. NO KEY
        # UPDATE (PostgreSQL): rows inserted meanwhile that point at the session (the engine's
        # inbound messages, events) take KEY SHARE on it, which this does not wait for.
        locked = Session.objects.select_for_update(no_key=True).get(pk=session.pk)
        check_can_accept(locked, queue=queue)
        if blob is not None:  # under the row lock: two sends cannot both fit in the last space
            media_quota_check(session_id=locked.pk, adding=len(blob.data))
        message = Message.objects.create(
            id=message_id, session=locked, direction=Direction.OUTBOUND, **fields
        )
        _hand_on_after_commit(message)
    return message


def _hand_on_after_commit(message: Message) -> None:
    """A message waiting for its media URL goes to a worker; a queued one nudges its engine."""
    message_id, session_id = message.pk, message.session_id
    if message.status == MessageStatus.PENDING:
        transaction.on_commit(lambda: fetch_media_later(message_id))
    else:
        transaction.on_commit(lambda: session_nudge_soon(session_id))


def _stored_media_fields(blob: media_store.MediaBlob | None, stored_name: str) -> dict[str, Any]:
    return {
        "status": MessageStatus.QUEUED,
        "type": blob.kind if blob else "text",
        "media_name": stored_name,
        "media_mimetype": blob.mimetype if blob else "",
        "media_size": len(blob.data) if blob else None,
        "media_filename": blob.filename if blob else "",
        "media_status": MediaStatus.STORED if blob else MediaStatus.NONE,
    }


def _pending_media_fields(media: MediaSource) -> dict[str, Any]:
    # The client's type, name and mimetype wait here until the bytes are sniffed; an empty
    # type means "decide from the bytes".
    return {
        "status": MessageStatus.PENDING,
        "type": media.kind,
        "media_source_url": media.url.strip(),
        "media_mimetype": media.mimetype,
        "media_filename": media.filename,
        "media_status": MediaStatus.FETCHING,
    }


def fetch_media_later(message_id) -> None:
    """Hands a pending message's media URL to a worker. Best effort: the sweep
    (media_url.message_media_fetch_sweep) finds a message whose task was lost."""
    from messaging.tasks import fetch_message_media

    try:
        fetch_message_media.delay(str(message_id))
    except Exception:  # Redis down: the row is committed, the sweep will pick it up
        logger.warning("Could not queue the media fetch of message %s", message_id, exc_info=True)


# --- The engine side (called by messaging.inbound in the actor's thread) ------------------------
