"""What the page tells us: received messages, our own sends' echoes, messages typed on the
phone, and receipts (wa-js `chat.new_message`, `chat.msg_ack_change`).

A session's actor calls these from the one thread that owns its browser (registered in
messaging.engine_handlers), so they never race each other for a session. Each page event
is stored once, deduplicated by WhatsApp id; an event without what it takes to store it
raises MalformedEvent, and the actor quarantines it. Received media is downloaded by
messaging.inbound_media.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone

from messaging import media as media_store
from messaging.content import API_TYPES, content_from_event
from messaging.inbound_media import download_media, message_emit_received
from messaging.models import ACK_STATUS, Direction, MediaStatus, Message, MessageStatus
from messaging.payloads import message_event_payload
from messaging.selectors import message_quoted_in_chat
from messaging.send_options import extras_from_event
from messaging.services import message_transition
from messaging.wa_values import serialized_id, str_or_empty, wa_time
from sessions_app.engine.base import Engine
from sessions_app.models import Session
from sessions_app.selectors import session_first_connected_at
from yesapp import events
from yesapp.validators import phone_from_chat_id

logger = logging.getLogger(__name__)

# wa-js message types that carry a file to download (WPP.chat.downloadMedia).
MEDIA_TYPES = frozenset({"image", "video", "audio", "ptt", "document", "sticker"})
# A send that failed as `send_uncertain` (or left no id) is matched to WhatsApp's own echo of
# it (a fromMe chat.new_message with the same chat and text) for this long.
ADOPT_WINDOW = timedelta(hours=1)
# A reconnected session looks back this far before its newest stored message: clocks and
# the order of arrival differ a little between the phone, WhatsApp and us.
CATCH_UP_MARGIN = timedelta(minutes=2)


class MalformedEvent(ValueError):
    """A page event without what it takes to store it. The actor quarantines it (kept raw
    with this reason) instead of dropping it silently."""


def _size(value) -> int | None:
    """A media size in bytes, None unless a plausible non-negative 64-bit number."""
    try:
        size = int(value or 0)
    except (TypeError, ValueError, OverflowError):
        return None
    return size if 0 < size < 2**63 else None


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
    wa_id = serialized_id(key)
    if not wa_id:
        raise MalformedEvent("chat.new_message without a message id")
    key = key if isinstance(key, dict) else {}
    from_me = bool(key.get("fromMe", data.get("fromMe", False)))
    chat_id = serialized_id(key.get("remote")) or serialized_id(
        data.get("to") if from_me else data.get("from")
    )
    if chat_id == "status@broadcast" and settings.MESSAGING_IGNORE_STATUS_BROADCAST:
        return  # contacts' status stories, not chat messages
    fields = _fields_from_event(data, chat_id=chat_id, from_me=from_me)
    fields |= _quote(session_id, data, chat_id=chat_id)

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
    wa_type = str_or_empty(data.get("type")) or "chat"
    is_media = wa_type in MEDIA_TYPES
    author = serialized_id(data.get("author"))
    # For media, wa-js puts a base64 thumbnail in `body`; the words are in `caption`.
    text = str_or_empty(data.get("caption")) if is_media else str_or_empty(data.get("body"))
    if wa_type == "location":
        text = str_or_empty(data.get("caption"))
    elif wa_type == "vcard":
        text = ""  # its body is the vCard, shown under `contacts`
    other_party = chat_id if from_me else (author or chat_id)
    return {
        "type": API_TYPES.get(wa_type, wa_type[:40]),
        "text": text,
        "content": content_from_event(data, wa_type) | extras_from_event(data),
        "chat_id": chat_id[:100],
        "author": author[:100],
        "phone": phone_from_chat_id(other_party),
        "contact_name": str_or_empty(data.get("notifyName"))[:200],
        "wa_timestamp": wa_time(data.get("t")),
        "media_status": MediaStatus.PENDING if is_media else MediaStatus.NONE,
        "media_mimetype": str_or_empty(data.get("mimetype"))[:255],
        "media_filename": media_store.clean_filename(str_or_empty(data.get("filename"))),
        "media_size": _size(data.get("size")),
    }


def _quote(session_id, data: dict, *, chat_id: str) -> dict:
    """The message this one quotes: ours when stored here, else WhatsApp's key for it, built as
    WhatsApp does (`<fromMe>_<chat>_<id>`, plus `_<author>` for someone else's in a group) from
    wa-js's `quotedStanzaID` and `quotedParticipant`."""
    stanza = str_or_empty(data.get("quotedMsgId"))[:100]
    if not stanza:
        return {"reply_to_id": None, "reply_to_wa_id": ""}
    quoted = message_quoted_in_chat(session_id=session_id, chat_id=chat_id, stanza_id=stanza)
    if quoted is not None:
        return {"reply_to_id": quoted.pk, "reply_to_wa_id": quoted.wa_id}
    participant = serialized_id(data.get("quotedParticipant"))
    me = Session.objects.filter(pk=session_id).values_list("wid", flat=True).first() or ""
    from_me = bool(participant) and participant == me
    key = f"{'true' if from_me else 'false'}_{chat_id}_{stanza}"
    if chat_id.endswith("@g.us") and participant and not from_me:
        key += f"_{participant}"
    return {"reply_to_id": None, "reply_to_wa_id": key[:200]}


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
            action="",  # an edit or a reaction has no echo of its own to adopt
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
    wa_ids = {wa_id for wa_id in (serialized_id(item) for item in ids) if wa_id}
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


# --- Catch-up after a reconnect -----------------------------------------------------------------


def catch_up_since(*, session_id: UUID) -> float | None:
    """Unix seconds from which a reconnected session fetches messages it may have missed:
    shortly before the newest message stored, never before the number was first linked
    (older chat history is not ours to report), never more than ENGINE_CATCHUP_MAX_AGE
    ago. None for a session that was never connected."""
    first_linked = session_first_connected_at(session_id=session_id)
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


# --- History import -----------------------------------------------------------------------------


def history_fields(*, session_id: UUID, data: dict) -> tuple[str, bool, dict]:
    """A message read from a chat's history (chat.new_message's shape) as (WhatsApp id, fromMe,
    Message fields), read the same way as a received one; the id is "" when it has none."""
    key = data.get("id") if isinstance(data.get("id"), dict) else {}
    wa_id = serialized_id(data.get("id"))
    from_me = bool(key.get("fromMe", data.get("fromMe", False)))
    chat_id = serialized_id(key.get("remote")) or serialized_id(
        data.get("to") if from_me else data.get("from")
    )
    fields = _fields_from_event(data, chat_id=chat_id, from_me=from_me)
    return wa_id, from_me, fields | _quote(session_id, data, chat_id=chat_id)
