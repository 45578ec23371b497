"""Sandbox messages as WhatsApp would store them, either direction: ids, contacts, chat ids,
and attached files (typed the way wa-js's `sendFileMessage` types them)."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from django.core.files.base import ContentFile

from sandbox.models import Ack, Direction, SandboxContact, SandboxMessage
from sandbox.page_wakeup import page_wake_on_commit
from sessions_app.models import Session
from yesapp.errors import InvalidInput
from yesapp.media_input import OCTET_STREAM, check_data, signature
from yesapp.validators import normalize_phone

MEDIA_TYPES = ("image", "video", "audio", "ptt", "document", "sticker")
_USER_CHAT = re.compile(r"^(\d{5,20})@c\.us$")


@dataclass(frozen=True)
class OutgoingFile:
    data: bytes
    mimetype: str = ""
    filename: str = ""
    type: str = "auto-detect"
    is_ptt: bool = False


def chat_phone(chat_id: str) -> str | None:
    """The E.164 number of a `<digits>@c.us` chat that is a plausible phone, else None."""
    match = _USER_CHAT.match(chat_id or "")
    if not match:
        return None
    try:
        return normalize_phone("+" + match.group(1))
    except InvalidInput:
        return None


def contact_for(session: Session, phone: str, name: str = "") -> SandboxContact:
    """The contact with this number, made on first use; a new `name` replaces the old one."""
    contact, created = SandboxContact.objects.get_or_create(
        session=session, phone=phone, defaults={"name": name}
    )
    if name and not created and contact.name != name:
        contact.name = name
        contact.save(update_fields=["name"])
    return contact


def _new_key(*, ours: bool) -> str:
    # WhatsApp Web's own ids start 3EB0; phones use other shapes (iPhones 3A..., 32 hex).
    return ("3EB0" + secrets.token_hex(8) if ours else "3A" + secrets.token_hex(9)).upper()


def new_message(contact: SandboxContact, direction: str, **fields) -> SandboxMessage:
    """An unsaved message with a WhatsApp-style id: `true_` for ours, `false_` for theirs."""
    ours = direction == Direction.OUTBOUND
    key = _new_key(ours=ours)
    return SandboxMessage(
        session=contact.session,
        contact=contact,
        direction=direction,
        key=key,
        wa_id=f"{'true' if ours else 'false'}_{contact.chat_id}_{key}",
        chat_id=contact.chat_id,
        ack=Ack.SENT,
        **fields,
    )


def save_message(message: SandboxMessage, data: bytes | None) -> SandboxMessage:
    """Saves the message with its file, if any; the file goes again when the row fails."""
    if data is not None:
        message.size, message.sha256 = len(data), hashlib.sha256(data).hexdigest()
        message.media.save(message.key, ContentFile(data), save=False)
    try:
        message.save()
    except Exception:
        if message.media:
            message.media.delete(save=False)
        raise
    if message.direction == Direction.OUTBOUND:
        # Its receipts fall due later: the page's waiting poll learns when (page_poll.py).
        page_wake_on_commit(message.session_id)
    return message


def media_type_for(*, requested: str, mimetype: str, is_ptt: bool = False) -> str:
    """The wa-js message type of a file, as `WPP.chat.sendFileMessage` decides it: the `type`
    option, or from the mimetype for `auto-detect`; audio with `isPtt` is a voice note."""
    kind = requested if requested and requested != "auto-detect" else ""
    if not kind:
        major = mimetype.split("/", 1)[0]
        kind = major if major in ("image", "video", "audio") else "document"
    if kind == "audio" and is_ptt:
        kind = "ptt"
    if kind not in MEDIA_TYPES:
        raise InvalidInput(
            f"Unknown media type {requested!r}; use one of {', '.join(MEDIA_TYPES)} or auto-detect.",
            details={"type": requested},
        )
    return kind


def _describe_file(data: bytes, *, mimetype: str, filename: str) -> tuple[str, str]:
    """The mimetype (given, as wa-js takes it, else the bytes' signature) and a filename
    (given, else like wa-js's `<major>.<ext>`)."""
    signed = signature(data)
    mimetype = (mimetype or "").split(";")[0].strip() or (signed[0] if signed else OCTET_STREAM)
    if not filename:
        filename = f"{mimetype.split('/')[0]}.{signed[1]}" if signed else "unknown"
    return mimetype, filename[:255]


def file_fields(file: OutgoingFile | None) -> tuple[str, str, str]:
    """(mimetype, filename, wa-js type) of an attached file, or of a text message."""
    if file is None:
        return "", "", "chat"
    check_data(file.data)
    mimetype, filename = _describe_file(file.data, mimetype=file.mimetype, filename=file.filename)
    return mimetype, filename, media_type_for(requested=file.type, mimetype=mimetype, is_ptt=file.is_ptt)


def sandbox_media_removed(*, message: SandboxMessage) -> None:
    """Deletes a message's file once its row is gone (a deleted session cascades here)."""
    if message.media:
        message.media.delete(save=False)
