"""The simulated phones: contacts that write to the session, and the receipts (delivered,
read) that contacts' phones send back for what the session sent them."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from sandbox import message_content
from sandbox.models import Ack, Direction, EventKind, SandboxMessage
from sandbox.services.device import append_event, locked_device, require_linked
from sandbox.services.messages import OutgoingFile, contact_for, file_fields, new_message, save_message
from sessions_app.models import Session
from yesapp.errors import Conflict, InvalidInput
from yesapp.validators import normalize_phone


def sandbox_inbound(
    *,
    session: Session,
    from_phone: str,
    text: str = "",
    name: str = "",
    file: OutgoingFile | None = None,
    rich: message_content.RichContent | None = None,
    quoted: str = "",
    extras: dict | None = None,
) -> SandboxMessage:
    """A contact sends the session a message (text, media with `text` as caption, or `rich`:
    a location, contact cards, a poll), quoting `quoted` (a wa id) if given. The contact is
    made on first use; the page gets it as `chat.new_message`. `extras`: MsgModel fields of its
    mentions or forwarded flag (message_content.extras). A contact the session blocked cannot
    (409 `blocked_by_session`), as on WhatsApp."""
    e164 = normalize_phone(from_phone)
    if file is None and not text and rich is None:
        raise InvalidInput("Send text, media, or both.", details={"text": ""})
    mimetype, filename, kind = file_fields(file)
    with transaction.atomic():
        device = require_linked(session)
        if e164 == device.phone:
            raise InvalidInput("The sender is the session's own number.", details={"from": from_phone})
        contact = contact_for(session, e164, name)
        if contact.blocked:
            raise Conflict(
                f"The session blocked {e164}: WhatsApp does not deliver their messages. Unblock "
                "them (POST /api/v1/sessions/{id}/contacts/{contactId}/unblock) first.",
                code="blocked_by_session",
                details={"from": e164},
            )
        message = new_message(
            contact, Direction.INBOUND, type=kind, text=text, mimetype=mimetype, filename=filename
        )
        message.quoted_wa_id = message_content.quoted(session=session, wa_id=quoted)
        if rich is not None:
            message.type, message.content = rich.type, rich.fields
        message.content = message.content | (extras or {})
        save_message(message, file.data if file else None)
        message.cursor = append_event(device, kind=EventKind.MESSAGE, message=message)
        message.save(update_fields=["cursor"])
    return message


def sandbox_settle_receipts(*, session: Session, now=None) -> int:
    """Applies the receipts that are due for messages the session sent: delivered (ack 2) at
    SANDBOX_DELIVERY_DELAY_MS after sending, read (ack 3) at SANDBOX_READ_DELAY_MS. Each
    becomes an event in order. Called on every poll and read, so no timer process is needed;
    the recorded times are the due times, so results don't depend on when someone looked."""
    now = now or timezone.now()
    due = Q(ack=Ack.SENT, delivered_due_at__lte=now) | Q(ack=Ack.RECEIVED, read_due_at__lte=now)
    pending = SandboxMessage.objects.filter(due, session=session, direction=Direction.OUTBOUND)
    if not pending.exists():
        return 0
    settled = 0
    with transaction.atomic():
        device = locked_device(session)
        for message in pending.order_by("created_at", "id"):
            if message.ack == Ack.SENT and message.delivered_due_at <= now:
                message.ack, message.delivered_at = Ack.RECEIVED, message.delivered_due_at
                append_event(device, kind=EventKind.ACK, message=message, ack=Ack.RECEIVED)
                settled += 1
            if message.ack == Ack.RECEIVED and message.read_due_at and message.read_due_at <= now:
                message.ack, message.read_at = Ack.READ, message.read_due_at
                append_event(device, kind=EventKind.ACK, message=message, ack=Ack.READ)
                settled += 1
            message.save(update_fields=["ack", "delivered_at", "read_at"])
    return settled


def sandbox_page_event(*, session: Session, name: str, data, kind: str = EventKind.RAW) -> int:
    """Makes the linked page emit the wa-js event `name` with `data` exactly as given, as if
    WhatsApp Web had: for testing how YesApp (and your integration) take odd payloads.
    Returns the event's cursor. (`kind` ACTION: a contact's action, see sandbox/actions.py.)"""
    with transaction.atomic():
        device = require_linked(session)
        return append_event(device, kind=kind, raw_name=name, raw_data=data)
