"""What the sandbox page asks of "WhatsApp's servers" once logged in: its short poll for
events (new messages, receipts, link and logout), and the sends, reads and downloads of
its `WPP.chat` functions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from sandbox import message_content
from sandbox.contacts import sandbox_number_exists
from sandbox.directory import sandbox_contact_for_id
from sandbox.group_messages import page_group_send
from sandbox.models import Ack, Direction, SandboxContact, SandboxDevice, SandboxEvent, SandboxMessage
from sandbox.services.device import (
    device_me,
    device_offline,
    device_token_valid,
    locked_device,
    sandbox_device,
)
from sandbox.services.messages import (
    OutgoingFile,
    chat_phone,
    contact_for,
    file_fields,
    new_message,
    save_message,
)
from sandbox.services.phone import sandbox_settle_receipts
from sessions_app.models import Session
from yesapp.errors import Conflict, InvalidInput, NotFound

EVENTS_PER_POLL = 100


# --- Polling ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PollResult:
    auth: str  # ok (logged in), invalid (its token was revoked: log out), none (no token)
    link: dict | None
    offline: bool
    events: list[SandboxEvent]
    cursor: int
    me: str  # the linked account's wid, for the payloads


def _link_offer(device: SandboxDevice, *, device_token: str, link_refs: tuple[str, ...]) -> dict | None:
    """The new login for a page without a token that shows the QR or code just used."""
    if device_token or not device.is_linked:
        return None
    if not any(ref and constant_time_compare(ref, device.link_ref) for ref in link_refs):
        return None
    return {"deviceToken": device.device_token, "me": device_me(device), "cursor": device.delivered_cursor}


def sandbox_page_poll(
    *, session: Session, after: int, device_token: str, link_refs: tuple[str, ...] = ()
) -> PollResult:
    """One short poll of the page: its login state, and the events after `after`.

    A page showing the QR (or pairing code, `code:<CODE>`) that was just used receives the
    new device token here (`link_refs` are what it shows); a page
    whose token was revoked (unlinked from the phone) learns it must log out. `after` also
    acknowledges delivery: inbound messages up to it count as delivered to the session.
    """
    now = timezone.now()
    device = sandbox_device(session=session)
    logged_in = device_token_valid(device, device_token)
    offline = logged_in and device_offline(device, now)
    events: list[SandboxEvent] = []
    after = max(0, min(after, device.last_cursor))
    if logged_in and not offline:
        sandbox_settle_receipts(session=session, now=now)
        events = list(
            SandboxEvent.objects.filter(session=session, cursor__gt=after)
            .select_related("message__contact")
            .order_by("cursor")[:EVENTS_PER_POLL]
        )
        if after > device.delivered_cursor:
            _acknowledge(device, after, now)
    _record_seen(device, logged_in=logged_in, now=now)
    return PollResult(
        auth="ok" if logged_in else ("invalid" if device_token else "none"),
        link=_link_offer(device, device_token=device_token, link_refs=link_refs),
        offline=offline,
        events=events,
        cursor=events[-1].cursor if events else after,
        me=device.wid,
    )


def _record_seen(device: SandboxDevice, *, logged_in: bool, now) -> None:
    # Writing on every poll (4 a second) would only churn the database: refresh once a second.
    if (
        device.page_logged_in != logged_in
        or not device.page_seen_at
        or now - device.page_seen_at > timedelta(seconds=1)
    ):
        SandboxDevice.objects.filter(pk=device.pk).update(page_seen_at=now, page_logged_in=logged_in)


def _acknowledge(device: SandboxDevice, cursor: int, now) -> None:
    """The page processed every event up to `cursor`: inbound messages up to it reached the
    session (the contact sees two grey ticks)."""
    with transaction.atomic():
        SandboxDevice.objects.filter(pk=device.pk, delivered_cursor__lt=cursor).update(
            delivered_cursor=cursor
        )
        SandboxMessage.objects.filter(
            session_id=device.session_id,
            direction=Direction.INBOUND,
            delivered_at__isnull=True,
            cursor__lte=cursor,
        ).update(delivered_at=now, ack=Ack.RECEIVED)


# --- Sends, reads and downloads ------------------------------------------------------------------


def sandbox_page_logged_in_device(
    *, session: Session, device_token: str, lock: bool = False
) -> SandboxDevice:
    """The device of a page that presents the valid token (sends and reads need a login);
    with `lock`, locked until the transaction ends."""
    device = locked_device(session) if lock else sandbox_device(session=session)
    if not device_token_valid(device, device_token):
        raise Conflict("The page is not logged in.", code="not_logged_in")
    return device


def sandbox_page_send(
    *,
    session: Session,
    device_token: str,
    chat_id: str,
    text: str = "",
    file: OutgoingFile | None = None,
    mark_read: bool = True,
    seen: int = 0,
    rich: message_content.RichContent | None = None,
    quoted: str = "",
    extras: dict | None = None,
) -> SandboxMessage:
    """`WPP.chat.sendTextMessage` / `sendFileMessage`: stores the message for the contact (or
    the group, sandbox/group_messages.py) with ack 1; receipts follow at the configured delays.
    A recipient that is not a plausible phone (`<digits>@c.us`) or not on WhatsApp (`...0000`)
    fails with `invalid_recipient`, which the page reports as a failed `sendMsgResult`. With
    `mark_read` (wa-js's default) the chat is read first, up to the page's cursor `seen`.
    """
    if chat_id.endswith("@g.us"):
        return _send_to_group(
            session, device_token, chat_id, text=text, file=file, rich=rich, quoted=quoted, extras=extras
        )
    phone = _recipient_phone(session, chat_id)
    if SandboxContact.objects.filter(session=session, phone=phone, blocked=True).exists():
        raise InvalidInput(f"{chat_id!r} is blocked: unblock them to send.", code="blocked_contact")
    if file is None and not text and rich is None:
        raise InvalidInput("The message has no text.", code="empty_message")
    mimetype, filename, kind = file_fields(file)
    now = timezone.now()
    read_delay = settings.SANDBOX_READ_DELAY_MS
    with transaction.atomic():
        sandbox_page_logged_in_device(session=session, device_token=device_token, lock=True)
        contact = contact_for(session, phone)
        if mark_read:
            _mark_read(contact, now, seen=seen)
        message = new_message(
            contact,
            Direction.OUTBOUND,
            type=rich.type if rich else kind,
            content=(rich.fields if rich else {}) | (extras or {}),
            quoted_wa_id=message_content.quoted(session=session, wa_id=quoted),
            text=text,
            mimetype=mimetype,
            filename=filename,
            delivered_due_at=now + timedelta(milliseconds=settings.SANDBOX_DELIVERY_DELAY_MS),
            read_due_at=now + timedelta(milliseconds=read_delay) if read_delay >= 0 else None,
        )
        save_message(message, file.data if file else None)
    return message


def _send_to_group(
    session, device_token, chat_id, *, text, file, rich, quoted, extras=None
) -> SandboxMessage:
    """A send to a group the session is in (sandbox/group_messages.py): text and rich
    content; files stay one-to-one in the sandbox."""
    if file is not None:
        raise InvalidInput("The sandbox sends files to people only, not to groups.", code="invalid_recipient")
    if not text and rich is None:
        raise InvalidInput("The message has no text.", code="empty_message")
    with transaction.atomic():
        sandbox_page_logged_in_device(session=session, device_token=device_token, lock=True)
        return page_group_send(
            session=session,
            chat_id=chat_id,
            text=text,
            type=rich.type if rich else "chat",
            content=(rich.fields if rich else {}) | (extras or {}),
            quoted_wa_id=message_content.quoted(session=session, wa_id=quoted),
        )


def _recipient_phone(session: Session, chat_id: str) -> str:
    """The number of a chat the page sends to (by number, or by a lid the sandbox can resolve);
    `invalid_recipient` when there is none on WhatsApp."""
    phone = chat_phone(chat_id) or _phone_of_lid(session, chat_id)
    if phone is None or not sandbox_number_exists(phone):
        raise InvalidInput(
            f"{chat_id!r} is not a WhatsApp user.", code="invalid_recipient", details={"chatId": chat_id}
        )
    return phone


def sandbox_page_forward(
    *, session: Session, device_token: str, chat_id: str, wa_ids: list[str]
) -> tuple[list[SandboxMessage], list[str]]:
    """`WPP.chat.forwardMessages`: a copy of each message (either direction) for the contact of
    `chat_id`, marked forwarded, with its file; receipts follow like a send's. Returns the copies
    and the ids WhatsApp would not forward (deleted for everyone); an unknown id is wa-js's
    `msg_not_found`."""
    phone = _recipient_phone(session, chat_id)
    originals = []
    for wa_id in wa_ids:
        original = SandboxMessage.objects.filter(session=session, wa_id=wa_id).first()
        if original is None:
            raise NotFound(f"Message {wa_id} not found", code="msg_not_found", details={"id": wa_id})
        originals.append(original)
    failed = [original.wa_id for original in originals if original.revoked_at is not None]
    now = timezone.now()
    copies = []
    with transaction.atomic():
        sandbox_page_logged_in_device(session=session, device_token=device_token, lock=True)
        contact = contact_for(session, phone)
        for original in originals:
            if original.revoked_at is None:
                copies.append(_forwarded_copy(original, contact, now))
    return copies, failed


def _forwarded_copy(original: SandboxMessage, contact: SandboxContact, now) -> SandboxMessage:
    content = {key: value for key, value in original.content.items() if key != "mentionedJidList"}
    content |= {"isForwarded": True, "forwardingScore": int(original.content.get("forwardingScore", 0)) + 1}
    read_delay = settings.SANDBOX_READ_DELAY_MS
    message = new_message(
        contact,
        Direction.OUTBOUND,
        type=original.type,
        content=content,
        text=original.text,
        mimetype=original.mimetype,
        filename=original.filename,
        delivered_due_at=now + timedelta(milliseconds=settings.SANDBOX_DELIVERY_DELAY_MS),
        read_due_at=now + timedelta(milliseconds=read_delay) if read_delay >= 0 else None,
    )
    data = None
    if original.is_media:
        with original.media.open("rb") as file:
            data = file.read()
    return save_message(message, data)


def _phone_of_lid(session: Session, chat_id: str) -> str | None:
    """A send to a lid reaches the person behind it, when the sandbox knows who that is."""
    contact = (
        sandbox_contact_for_id(session=session, contact_id=chat_id) if chat_id.endswith("@lid") else None
    )
    return contact.phone if contact else None


def _mark_read(contact: SandboxContact, now, *, seen: int) -> int:
    """Reads the contact's messages the page has received (event cursor up to `seen`): a
    message still on its way can't have been read."""
    unread = SandboxMessage.objects.filter(
        contact=contact, direction=Direction.INBOUND, read_at__isnull=True, cursor__lte=seen
    )
    unread.filter(delivered_at__isnull=True).update(delivered_at=now)
    return unread.update(read_at=now, ack=Ack.READ)


def sandbox_page_mark_read(*, session: Session, device_token: str, chat_id: str, seen: int) -> int:
    """`WPP.chat.markIsRead`: the contact's messages the page has received (up to its cursor
    `seen`) are read: blue ticks on their phone. Returns how many were unread; an unknown
    chat is `chat_not_found`, as in wa-js."""
    phone = chat_phone(chat_id)
    contact = SandboxContact.objects.filter(session=session, phone=phone).first() if phone else None
    if contact is None:
        raise NotFound(f"Chat not found for {chat_id}", code="chat_not_found", details={"chatId": chat_id})
    with transaction.atomic():
        sandbox_page_logged_in_device(session=session, device_token=device_token, lock=True)
        return _mark_read(contact, timezone.now(), seen=seen)


def sandbox_page_media(*, session: Session, device_token: str, wa_id: str) -> SandboxMessage:
    """`WPP.chat.downloadMedia`: a message with a file, either direction, with wa-js's errors."""
    sandbox_page_logged_in_device(session=session, device_token=device_token)
    message = SandboxMessage.objects.filter(session=session, wa_id=wa_id).first()
    if message is None:
        raise NotFound(f"Message {wa_id} not found", code="msg_not_found", details={"id": wa_id})
    if not message.is_media:
        raise NotFound(
            f"Message {wa_id} not contains media", code="message_not_contains_media", details={"id": wa_id}
        )
    return message
