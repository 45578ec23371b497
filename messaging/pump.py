"""The engine side of messaging: what a session actor calls from its thread.

The actor owns the browser; these functions turn page events into rows and queued rows
into sends. They are the only messaging code that receives an `Engine`. All four run in the
one thread that owns the session's browser, so they never race each other for a session;
what they share with the API (the queue) is settled by conditional UPDATEs.

Rate limit (per session, computed from the database, so it survives restarts, node
takeovers and a Redis outage): a send is allowed when, counting the messages the engine
was asked to send (`dispatched_at`),
  * fewer than RATE_LIMIT_PER_MINUTE went out in the last 60 s, and
  * fewer than RATE_LIMIT_BURST went out in the last BURST × 60 / RATE_LIMIT_PER_MINUTE s
    (with 50/min and a burst of 5: at most 5 in any 6 s).
So the long-run rate is RATE_LIMIT_PER_MINUTE, no rolling minute ever holds more, and a quiet
session can send a small burst at once. Each `send_due` call sends at most SEND_BATCH_MAX.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from messaging import media as media_store
from messaging.models import Direction, MediaStatus, Message, MessageStatus
from messaging.services import (
    message_claim_for_send,
    message_emit_received,
    message_event_payload,
    message_recover_interrupted,
    message_transition,
)
from messaging.storage import media_quota_problem
from sessions_app.engine.base import Engine, EngineCrashed, EngineError, MediaFile
from sessions_app.models import Session, SessionEvent, SessionStatus
from yesapp import events
from yesapp.db_retry import retry_transient_db
from yesapp.validators import phone_from_chat_id

logger = logging.getLogger(__name__)

# Sends per call at most, so the actor gets back to draining page events quickly.
SEND_BATCH_MAX = 5
# wa-js message types that carry a file to download (WPP.chat.downloadMedia).
MEDIA_TYPES = frozenset({"image", "video", "audio", "ptt", "document", "sticker"})
# Wait before download attempt n+1 after n failures; the last entry repeats.
MEDIA_RETRY_DELAYS = (30, 120, 600, 1800, 3600)
# How often send_due looks for media downloads that are due again, per session.
MEDIA_RETRY_CHECK_SECONDS = 5.0
# A send that failed as `send_uncertain` (or left no id) is matched to WhatsApp's own echo of
# it (a fromMe chat.new_message with the same chat and text) for this long.
ADOPT_WINDOW = timedelta(hours=1)
# chat.msg_ack_change `ack` values (wa-js ACK enum) → our status. 0 (clock) changes nothing.
ACK_STATUS = {1: MessageStatus.SENT, 2: MessageStatus.DELIVERED, 3: MessageStatus.READ, 4: MessageStatus.READ}

# How long claiming a send (or recovering interrupted ones) retries a database blip itself.
CLAIM_RETRY_SECONDS = 10.0

_last_media_check: dict[str, float] = {}


def _serialized(value) -> str:
    """A Wid or MsgKey as the bridge sends it: a string, or an object with `_serialized`."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        inner = value.get("_serialized")
        return inner if isinstance(inner, str) else ""
    return ""


def _text(value) -> str:
    return value if isinstance(value, str) else ""


# WhatsApp sends unix seconds; a value past this is in milliseconds (year 5138 in seconds).
_MILLISECONDS_FROM = 1e11


def _wa_time(value) -> datetime | None:
    """A wa-js `t` (unix seconds; milliseconds tolerated) as a datetime, None if unusable."""
    try:
        seconds = float(value)
        if seconds > _MILLISECONDS_FROM:
            seconds /= 1000
        return datetime.fromtimestamp(seconds, tz=UTC) if seconds > 0 else None
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _size(value) -> int | None:
    """A media size in bytes, None unless a plausible non-negative 64-bit number."""
    try:
        size = int(value or 0)
    except (TypeError, ValueError, OverflowError):
        return None
    return size if 0 < size < 2**63 else None


class MalformedEvent(ValueError):
    """A page event without what it takes to store it. The actor quarantines it (kept raw
    with this reason) instead of dropping it silently."""


# --- chat.new_message ---------------------------------------------------------------------------


def handle_new_message(*, session_id: UUID, data: dict, engine: Engine) -> None:
    """Stores a wa-js `chat.new_message` once.

    * Not from us: stored `inbound`/`received`, deduplicated by WhatsApp id. Media is
      downloaded with `engine.download_media` to DATA_DIR/media/<messageId>.<ext>; a failed
      download is recorded and retried later (send_due), the text is stored regardless.
      `message.received` is emitted once the first download attempt is over.
    * `ciphertext` (WhatsApp could not decrypt it yet) is stored without an event; when the
      same id fires again decrypted, the row is updated and `message.received` emitted then.
    * fromMe: wa-js fires this for our own sends too. If the id is one we sent through the
      API, nothing happens; otherwise it was typed on the phone: stored `outbound`, `sent`,
      `from_phone`, with a `message.status` event.
    """
    if not isinstance(data, dict):
        raise MalformedEvent("chat.new_message without an object payload")
    key = data.get("id")
    wa_id = _serialized(key)
    if not wa_id:
        raise MalformedEvent("chat.new_message without a message id")
    key = key if isinstance(key, dict) else {}
    from_me = bool(key.get("fromMe", data.get("fromMe", False)))
    chat_id = _serialized(key.get("remote")) or _serialized(data.get("to") if from_me else data.get("from"))
    if chat_id == "status@broadcast" and settings.MESSAGING_IGNORE_STATUS_BROADCAST:
        return  # contacts' status stories, not chat messages
    fields = _fields_from_event(data, chat_id=chat_id, from_me=from_me)

    existing = Message.objects.filter(session_id=session_id, wa_id=wa_id).first()
    if existing is not None:
        if existing.type == "ciphertext" and fields["type"] != "ciphertext":
            _store_decrypted(existing, fields, engine)
        elif _received_event_owed(existing):
            message_emit_received(message=existing)  # a blip cut the first try short
        return
    if from_me:
        if _adopt_own_send(session_id=session_id, wa_id=wa_id, fields=fields):
            return
        _store_from_phone(session_id=session_id, wa_id=wa_id, fields=fields, engine=engine)
        return
    _store_inbound(session_id=session_id, wa_id=wa_id, fields=fields, engine=engine)


def _received_event_owed(message: Message) -> bool:
    """Stored, complete, and still without its `message.received` (the replay of an event
    whose first handling stored the row and then lost the database)."""
    return (
        message.direction == Direction.INBOUND
        and message.notified_at is None
        and message.type != "ciphertext"
        and message.media_status != MediaStatus.PENDING
    )


def _fields_from_event(data: dict, *, chat_id: str, from_me: bool) -> dict:
    wa_type = _text(data.get("type")) or "chat"
    is_media = wa_type in MEDIA_TYPES
    author = _serialized(data.get("author"))
    # For media, wa-js puts a base64 thumbnail in `body`; the words are in `caption`.
    text = _text(data.get("caption")) if is_media else _text(data.get("body"))
    if wa_type == "location":
        text = _text(data.get("caption"))
    other_party = chat_id if from_me else (author or chat_id)
    return {
        "type": "text" if wa_type == "chat" else wa_type[:40],
        "text": text,
        "chat_id": chat_id[:100],
        "author": author[:100],
        "phone": phone_from_chat_id(other_party),
        "contact_name": _text(data.get("notifyName"))[:200],
        "wa_timestamp": _wa_time(data.get("t")),
        "media_status": MediaStatus.PENDING if is_media else MediaStatus.NONE,
        "media_mimetype": _text(data.get("mimetype"))[:255],
        "media_filename": media_store.clean_filename(_text(data.get("filename"))),
        "media_size": _size(data.get("size")),
    }


def _store_inbound(*, session_id, wa_id: str, fields: dict, engine: Engine) -> None:
    try:
        with transaction.atomic():
            message = Message.objects.create(
                session_id=session_id,
                direction=Direction.INBOUND,
                wa_id=wa_id,
                status=MessageStatus.RECEIVED,
                **fields,
            )
            if fields["media_status"] == MediaStatus.NONE and fields["type"] != "ciphertext":
                message_emit_received(message=message)
    except IntegrityError:
        return  # stored meanwhile by the same event replayed
    if message.media_status == MediaStatus.PENDING:
        try:
            download_media(message=message, engine=engine)
        finally:
            message_emit_received(message=message)


def _store_decrypted(message: Message, fields: dict, engine: Engine) -> None:
    """A `ciphertext` row gets its real content; the event owed since then goes out now."""
    for name, value in fields.items():
        setattr(message, name, value)
    message.save(update_fields=[*fields.keys(), "updated_at"])
    if message.direction != Direction.INBOUND:
        return
    try:
        if message.media_status == MediaStatus.PENDING:
            download_media(message=message, engine=engine)
    finally:
        message_emit_received(message=message)


def _adopt_own_send(*, session_id, wa_id: str, fields: dict) -> bool:
    """WhatsApp's echo of an API send whose id we never learnt (the browser died mid-send, or
    the engine returned no id): attach the id instead of storing a second, phone-sent copy."""
    candidate = (
        Message.objects.filter(
            session_id=session_id,
            direction=Direction.OUTBOUND,
            from_phone=False,
            wa_id="",
            chat_id=fields["chat_id"],
            text=fields["text"],
            created_at__gte=timezone.now() - ADOPT_WINDOW,
        )
        .filter(Q(status=MessageStatus.SENT) | Q(status=MessageStatus.FAILED, error_code="send_uncertain"))
        .order_by("created_at")
        .first()
    )
    if candidate is None:
        return False
    if not message_transition(message=candidate, status=MessageStatus.SENT, wa_id=wa_id):
        Message.objects.filter(pk=candidate.pk, wa_id="").update(wa_id=wa_id)
    logger.info("Matched WhatsApp's echo to an API send", extra={"message_id": str(candidate.pk)})
    return True


def _store_from_phone(*, session_id, wa_id: str, fields: dict, engine: Engine) -> None:
    sent_at = fields["wa_timestamp"] or timezone.now()
    try:
        with transaction.atomic():
            message = Message.objects.create(
                session_id=session_id,
                direction=Direction.OUTBOUND,
                from_phone=True,
                wa_id=wa_id,
                status=MessageStatus.SENT,
                sent_at=sent_at,
                **fields,
            )
            payload = message_event_payload(message)
            payload["previousStatus"] = None
            events.emit(events.MESSAGE_STATUS, session_id=session_id, payload=payload)
    except IntegrityError:
        return
    if message.media_status == MediaStatus.PENDING:
        download_media(message=message, engine=engine)


# --- Media downloads ----------------------------------------------------------------------------


def download_media(*, message: Message, engine: Engine) -> bool:
    """One attempt at WPP.chat.downloadMedia for `message`; records the outcome.

    Failure schedules another attempt (MEDIA_RETRY_DELAYS) until MEDIA_DOWNLOAD_MAX_ATTEMPTS,
    then the media is `failed` for good, with the last error kept. A crashed browser is
    recorded the same way and re-raised so the actor restarts it.
    """
    limit = settings.MEDIA_DOWNLOAD_MAX_BYTES
    if message.media_size and message.media_size > limit:
        _record_media_failure(
            message,
            f"The media is {message.media_size} bytes, over MEDIA_DOWNLOAD_MAX_BYTES ({limit}).",
            final=True,
        )
        return False
    try:
        data, mimetype = engine.download_media(message.wa_id)
    except EngineCrashed as exc:
        _record_media_failure(message, f"The browser stopped during the download: {exc}")
        raise
    except EngineError as exc:
        _record_media_failure(message, str(exc) or exc.__class__.__name__)
        return False
    if not data:
        _record_media_failure(message, "WhatsApp returned an empty file.")
        return False
    if len(data) > limit:
        _record_media_failure(
            message, f"The media is {len(data)} bytes, over MEDIA_DOWNLOAD_MAX_BYTES ({limit}).", final=True
        )
        return False
    if problem := media_quota_problem(session_id=message.session_id, adding=len(data)):
        _record_media_failure(message, problem, final=True)  # nothing written
        return False
    sniffed = media_store.sniff(data, claimed_mimetype=mimetype or message.media_mimetype)[0]
    extension = media_store.extension_for_mimetype(mimetype or message.media_mimetype, data)
    try:
        name = media_store.store_file(message_id=message.pk, data=data, extension=extension)
    except OSError as exc:  # disk full, media folder not writable: retried like a failed download
        _record_media_failure(message, f"Could not save the file in DATA_DIR/media: {exc}")
        return False
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
    return True


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


# --- chat.msg_ack_change ------------------------------------------------------------------------


def handle_ack(*, session_id: UUID, data: dict) -> None:
    """A wa-js `chat.msg_ack_change` ({ack, chat, sender, ids: [MsgKey...]}).

    ack 1 → sent, 2 → delivered, 3 → read, 4 (played) → read; 0 (clock) changes nothing; a
    negative ack (not expected through this event) marks a not-yet-delivered message failed.
    Status never moves backwards (message_transition); each change emits `message.status`.
    """
    if not isinstance(data, dict):
        raise MalformedEvent("chat.msg_ack_change without an object payload")
    try:
        ack = int(data.get("ack"))
    except (TypeError, ValueError, OverflowError) as exc:
        raise MalformedEvent("chat.msg_ack_change without a numeric ack") from exc
    if ack < 0:
        status = MessageStatus.FAILED
    elif ack in ACK_STATUS:
        status = ACK_STATUS[ack]
    else:
        return
    ids = data.get("ids")
    if not isinstance(ids, list):
        ids = [data.get("id")] if data.get("id") else []
    wa_ids = {wa_id for wa_id in (_serialized(item) for item in ids) if wa_id}
    if not wa_ids:
        return
    messages = Message.objects.filter(session_id=session_id, direction=Direction.OUTBOUND, wa_id__in=wa_ids)
    for message in messages.order_by("created_at"):
        message_transition(
            message=message,
            status=status,
            error_code="whatsapp_error" if status == MessageStatus.FAILED else "",
            error=f"WhatsApp reported the message as failed (ack {ack})."
            if status == MessageStatus.FAILED
            else "",
        )


# --- Sending ------------------------------------------------------------------------------------


def send_allowance(*, session_id, now: datetime | None = None) -> int:
    """How many messages this session may hand to the engine right now (see module docstring)."""
    per_minute = settings.RATE_LIMIT_PER_MINUTE
    if per_minute <= 0:
        return SEND_BATCH_MAX
    burst = max(1, min(settings.RATE_LIMIT_BURST, per_minute))
    now = now or timezone.now()
    burst_window = timedelta(seconds=60 * burst / per_minute)
    used = Message.objects.filter(
        session_id=session_id, direction=Direction.OUTBOUND, dispatched_at__gt=now - timedelta(seconds=60)
    ).aggregate(
        minute=Count("pk"),
        burst=Count("pk", filter=Q(dispatched_at__gt=now - burst_window)),
    )
    return max(0, min(SEND_BATCH_MAX, per_minute - used["minute"], burst - used["burst"]))


def send_due(*, session_id: UUID, engine: Engine) -> int:
    """Sends this session's queued messages, oldest first, within its rate limit.

    Each message is marked `sending` (committed) before the engine call and `sent` or
    `failed` (with the engine's error) after it. At most SEND_BATCH_MAX per call; returns
    how many were handed to the engine. Does nothing unless the session is connected.
    When nothing was sent, also retries one due media download. If the browser crashes
    mid-send, that message is marked `send_uncertain` and the EngineCrashed is re-raised.
    """
    if not Session.objects.filter(pk=session_id, status=SessionStatus.CONNECTED).exists():
        return 0
    sent = 0
    queued = list(
        Message.objects.filter(
            session_id=session_id, direction=Direction.OUTBOUND, status=MessageStatus.QUEUED
        )
        .select_related("session")
        .order_by("created_at", "id")[:SEND_BATCH_MAX]
    )
    if queued:
        allowed = send_allowance(session_id=session_id)
        for message in queued[:allowed]:
            if not _claim(message):
                continue  # changed under us (deleted, or claimed by a previous owner)
            sent += 1
            _send_one(message, engine)
    if sent == 0:
        _maybe_retry_media(session_id=session_id, engine=engine)
    return sent


def _maybe_retry_media(*, session_id, engine: Engine) -> None:
    key = str(session_id)
    now = time.monotonic()
    if now - _last_media_check.get(key, 0.0) < MEDIA_RETRY_CHECK_SECONDS:
        return
    _last_media_check[key] = now
    retry_media(session_id=session_id, engine=engine)


def _claim(message: Message) -> bool:
    """queued → sending, through database blips. A claim whose commit went through but whose
    answer was lost (the connection dropped) is recognised by its timestamp, not sent twice."""
    at = timezone.now()
    tried = False

    def claim() -> bool:
        nonlocal tried
        if (
            tried
            and Message.objects.filter(pk=message.pk, status=MessageStatus.SENDING, dispatched_at=at).exists()
        ):
            return True
        tried = True
        return message_claim_for_send(message=message, at=at)

    # Nothing is lost by giving up here (nothing was sent): the actor then waits for the
    # database itself, and a stop request is heard there.
    return retry_transient_db(claim, what=f"claiming message {message.pk}", deadline=CLAIM_RETRY_SECONDS)


def _record(message: Message, **change) -> bool:
    """message_transition, through database blips: once the browser has acted, what it did must
    be written down. Retried for up to SENDING_TIMEOUT_SECONDS; should the database stay away
    longer, the message stays `sending` and the stuck-send sweep marks it `send_uncertain`."""
    return retry_transient_db(
        lambda: message_transition(message=message, **change),
        what=f"recording message {message.pk} as {change['status']}",
        deadline=settings.SENDING_TIMEOUT_SECONDS,
    )


def _send_one(message: Message, engine: Engine) -> None:
    try:
        if message.media_status == MediaStatus.STORED:
            path = message.media_path
            if path is None or not path.exists():
                _record(
                    message,
                    status=MessageStatus.FAILED,
                    error_code="media_missing",
                    error=f"The media file {message.media_name!r} is gone from DATA_DIR/media.",
                )
                return
            result = engine.send_media(
                message.chat_id,
                MediaFile(
                    data=path.read_bytes(),
                    mimetype=message.media_mimetype,
                    filename=message.media_filename,
                    caption=message.text,
                    kind=message.type,
                ),
            )
        else:
            result = engine.send_text(message.chat_id, message.text)
    except EngineCrashed as exc:
        _fail_uncertain(message, f"The browser stopped during the send: {exc}")
        raise
    except EngineError as exc:
        _record(
            message,
            status=MessageStatus.FAILED,
            error_code="engine_error",
            error=str(exc) or exc.__class__.__name__,
        )
        if exc.permanent:
            raise  # the session needs the user (logged out, ...): the actor must know
        return
    except Exception as exc:
        _fail_uncertain(message, f"Unexpected error during the send: {exc!r}")
        raise
    if result.error:
        _record(
            message,
            status=MessageStatus.FAILED,
            error_code="whatsapp_error",
            error=f"WhatsApp refused the message: {result.error}",
            wa_id=result.wa_id or None,
        )
        return
    status = ACK_STATUS.get(result.ack, MessageStatus.SENT)
    _record(message, status=status, wa_id=result.wa_id or None)


def _fail_uncertain(message: Message, detail: str) -> None:
    _record(
        message,
        status=MessageStatus.FAILED,
        error_code="send_uncertain",
        error=f"{detail}. It may or may not have reached WhatsApp; it was not resent automatically.",
    )


# --- Restart ------------------------------------------------------------------------------------


# A reconnected session looks back this far before its newest stored message: clocks and
# the order of arrival differ a little between the phone, WhatsApp and us.
CATCH_UP_MARGIN = timedelta(minutes=2)


def catch_up_since(*, session_id: UUID) -> float | None:
    """Unix seconds from which a reconnected session fetches messages it may have missed:
    shortly before the newest message stored, never before the number was first linked
    (older chat history is not ours to report), never more than ENGINE_CATCHUP_MAX_AGE
    ago. None for a session that was never connected."""
    first_linked = (
        SessionEvent.objects.filter(session_id=session_id, to_status=SessionStatus.CONNECTED)
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if first_linked is None:
        return None
    newest = Message.objects.filter(session_id=session_id, wa_timestamp__isnull=False).aggregate(
        newest=Max("wa_timestamp")
    )["newest"]
    since = max(
        first_linked - CATCH_UP_MARGIN,
        timezone.now() - timedelta(seconds=settings.ENGINE_CATCHUP_MAX_AGE),
        (newest - CATCH_UP_MARGIN) if newest else first_linked - CATCH_UP_MARGIN,
    )
    return since.timestamp()


def recover_interrupted(*, session_id: UUID) -> int:
    """Called when an actor (re)starts, before it sends anything.

    Rule: a message still `sending` was handed to a browser that died before we learnt the
    outcome, so it may or may not have gone out. It is marked `failed` with error code
    `send_uncertain` and a readable message, and a `message.status` event is emitted. It is
    never resent automatically, so nothing goes out twice silently; the user decides whether
    to send it again. If WhatsApp later echoes it (a fromMe `chat.new_message` with the same
    chat and text, or an ack for its id), it moves on to `sent`/`delivered`/`read`.
    `queued` messages are untouched: the queue resumes where it was. Returns how many.
    """
    return retry_transient_db(
        lambda: message_recover_interrupted(session_id=session_id),
        what="recovering interrupted sends",
        deadline=CLAIM_RETRY_SECONDS,
    )
