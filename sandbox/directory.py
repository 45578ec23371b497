"""The sandbox's address book as WhatsApp Web reads it: contacts and their profiles
(`WPP.contact.list`, `get`, `getStatus`, `getProfilePictureUrl`), the blocklist
(`WPP.blocklist`), the chat list's state (archived, pinned, muted) and a chat's older history
(messages from before the session was linked, which only `WPP.chat.getMessages` returns).

A contact's profile and chat state are set over the sandbox API (`PUT .../contacts/{phone}`);
blocking is what the session does (through the page). Rules in sandbox/README.md.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from sandbox.contacts import _LID, sandbox_lid_of, sandbox_number_exists, sandbox_phone_of
from sandbox.models import Ack, Direction, SandboxContact, SandboxMessage
from sandbox.services.messages import OutgoingFile, contact_for, new_message, save_message
from sessions_app.models import Session
from yesapp.errors import InvalidInput

PICTURE_SIZE = 64
HISTORY_MAX = 1000


def contact_model(contact: SandboxContact) -> dict:
    """A ContactModel's fields: `name` is the address book's, `pushname` their own."""
    return {
        "id": contact.chat_id,
        "name": contact.saved_name or None,
        "pushname": contact.name or None,
        "isBusiness": contact.business,
        "isMyContact": bool(contact.saved_name),
    }


def sandbox_contact_list(*, session: Session) -> list[dict]:
    """`WPP.contact.list()`: everyone the session's phone knows (people it chatted with, and
    those the sandbox API added)."""
    return [contact_model(contact) for contact in SandboxContact.objects.filter(session=session)]


def sandbox_contact_for_id(*, session: Session, contact_id: str) -> SandboxContact | None:
    """The known contact of a `<digits>@c.us` or of their lid; None for anyone else."""
    if _LID.match(contact_id or ""):
        for contact in SandboxContact.objects.filter(session=session):
            if sandbox_number_exists(contact.phone) and sandbox_lid_of(contact.phone) == contact_id:
                return contact
        return None
    phone = sandbox_phone_of(contact_id)
    return SandboxContact.objects.filter(session=session, phone=phone).first() if phone else None


def sandbox_blocked_ids(*, session_id) -> list[str]:
    """`WPP.blocklist.all()`, as chat ids (the page keeps it: wa-js answers it synchronously)."""
    phones = SandboxContact.objects.filter(session_id=session_id, blocked=True).values_list(
        "phone", flat=True
    )
    return [f"{phone.lstrip('+')}@c.us" for phone in phones]


def sandbox_set_blocked(*, session: Session, contact_id: str, blocked: bool) -> dict:
    """`WPP.blocklist.blockContact` / `unblockContact`: `{id, isBlocked}`. Anyone on WhatsApp
    can be blocked (they become a contact); anything else is `invalid_wid`, as in wa-js."""
    contact = sandbox_contact_for_id(session=session, contact_id=contact_id)
    if contact is None:
        phone = sandbox_phone_of(contact_id)
        if phone is None or not sandbox_number_exists(phone):
            raise InvalidInput(
                f"Invalid WID value for {contact_id}", code="invalid_wid", details={"id": contact_id}
            )
        contact = contact_for(session, phone)
    SandboxContact.objects.filter(pk=contact.pk).update(blocked=blocked)
    return {"id": contact.chat_id, "isBlocked": blocked}


def picture_png(phone: str) -> bytes:
    """A profile picture: a square of one colour derived from the number (a real PNG, built
    with zlib so the sandbox needs no imaging library)."""
    red, green, blue = hashlib.sha256(phone.encode()).digest()[:3]
    row = b"\x00" + bytes((red, green, blue)) * PICTURE_SIZE
    raw = zlib.compress(row * PICTURE_SIZE)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", PICTURE_SIZE, PICTURE_SIZE, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


_PROFILE_FIELDS = ("name", "saved_name", "business", "about", "picture", "archived", "pinned", "muted_until")


def sandbox_contact_update(*, session: Session, phone: str, **changes) -> SandboxContact:
    """Sets what the sandbox API may set on a contact (made on first use): their profile and
    the state of their chat on the session's phone. Numbers not on WhatsApp have no profile."""
    if not sandbox_number_exists(phone):
        raise InvalidInput(
            f"{phone} is not on the sandbox's WhatsApp (numbers ending in 0000 are not).",
            code="not_on_whatsapp",
            details={"phone": phone},
        )
    fields = {name: value for name, value in changes.items() if name in _PROFILE_FIELDS}
    with transaction.atomic():
        contact = contact_for(session, phone)
        for name, value in fields.items():
            setattr(contact, name, value)
        if fields:
            contact.save(update_fields=list(fields))
    return contact


def sandbox_add_history(*, session: Session, phone: str, messages: list[dict]) -> list[SandboxMessage]:
    """Messages exchanged with `phone` before now (each `{text, fromMe, minutesAgo, type}`,
    type `text` or `image`), already delivered and read: the page never gets them as events,
    only `WPP.chat.getMessages` finds them, like a conversation from before linking."""
    contact = sandbox_contact_update(session=session, phone=phone)
    now = timezone.now()
    made = []
    with transaction.atomic():
        for item in messages[:HISTORY_MAX]:
            at = now - timedelta(minutes=item.get("minutesAgo", 0))
            direction = Direction.OUTBOUND if item.get("fromMe") else Direction.INBOUND
            image = item.get("type") == "image"
            message = new_message(
                contact,
                direction,
                type="image" if image else "chat",
                text=item.get("text", ""),
                mimetype="image/png" if image else "",
                filename="photo.png" if image else "",
                delivered_at=at,
                read_at=at,
            )
            message.ack = Ack.READ
            file = OutgoingFile(data=picture_png(message.key), mimetype="image/png") if image else None
            save_message(message, file.data if file else None)
            SandboxMessage.objects.filter(pk=message.pk).update(created_at=at)
            made.append(message)
    return made
