"""Writes of the sandbox: what WhatsApp's servers and the contacts' phones would do.

Two callers: the sandbox page (views.py, authenticated by a signed page token) and the
sandbox REST API (api/views.py, by API key). The page learns about new messages and
receipts through `SandboxEvent` rows with a per-session cursor, written under a lock on
the device row so cursors are committed in order and a poll never skips one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

import filetype
import segno
from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from sandbox.models import (
    Ack,
    Direction,
    EventKind,
    SandboxContact,
    SandboxDevice,
    SandboxEvent,
    SandboxMessage,
)
from sessions_app.models import Session
from yesapp.errors import Conflict, InvalidInput, NotFound, ServiceError
from yesapp.validators import normalize_phone

_PAGE_SALT = "yesapp.sandbox.page"
# A page that has not polled for this long is gone (closed browser, crashed engine).
PAGE_ALIVE_SECONDS = 5
# A pairing code may be typed on the "phone" for this long, like WhatsApp's.
PAIRING_CODE_SECONDS = 180
# WhatsApp's pairing codes use digits and capitals without look-alikes (0/O, 1/I, U).
_PAIRING_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTVWXYZ"
_USER_CHAT = re.compile(r"^(\d{5,20})@c\.us$")
MEDIA_TYPES = ("image", "video", "audio", "ptt", "document", "sticker")
EVENTS_PER_POLL = 100


class PageForbidden(ServiceError):
    status_code = 403
    code = "permission_denied"


class MediaTooLarge(ServiceError):
    status_code = 413
    code = "payload_too_large"


# --- The page URL and its token -------------------------------------------------------------


def _page_signer() -> signing.Signer:
    return signing.Signer(salt=_PAGE_SALT)


def sandbox_page_token(*, session_id) -> str:
    """A token bound to one session id; it never expires (the engine reopens the page for
    as long as the session runs) and changes only with SECRET_KEY."""
    return _page_signer().signature(str(session_id))


def sandbox_page_url(*, session: Session) -> str:
    """The absolute URL the engine's browser opens for a sandbox session."""
    path = reverse("sandbox:page", kwargs={"session_id": session.id})
    return f"{settings.INTERNAL_BASE_URL}{path}?token={sandbox_page_token(session_id=session.id)}"


def sandbox_page_session(*, session_id, token: str) -> Session:
    """The sandbox session a page token opens; 403 for a wrong token, 404 for no such session.

    The token is checked first, so a caller without one learns nothing about which ids exist.
    """
    if not token or not constant_time_compare(token, sandbox_page_token(session_id=session_id)):
        raise PageForbidden("The sandbox page token is missing or wrong for this session.")
    session = Session.objects.filter(pk=session_id, sandbox=True).first()
    if session is None:
        raise NotFound("No sandbox session with this id.", details={"sessionId": str(session_id)})
    return session


# --- Devices and events ---------------------------------------------------------------------


def sandbox_device(*, session: Session) -> SandboxDevice:
    device, _ = SandboxDevice.objects.get_or_create(session=session)
    return device


def _locked_device(session: Session) -> SandboxDevice:
    """The device row, locked until the transaction ends: every cursor is taken under it."""
    sandbox_device(session=session)
    return SandboxDevice.objects.select_for_update().get(session=session)


def _append_event(
    device: SandboxDevice, *, kind: str, message: SandboxMessage | None = None, ack: int | None = None, **raw
) -> int:
    device.last_cursor += 1
    SandboxEvent.objects.create(
        session_id=device.session_id, cursor=device.last_cursor, kind=kind, message=message, ack=ack, **raw
    )
    SandboxDevice.objects.filter(pk=device.pk).update(last_cursor=device.last_cursor)
    return device.last_cursor


def _token_ok(device: SandboxDevice, device_token: str) -> bool:
    return (
        bool(device_token) and device.is_linked and constant_time_compare(device_token, device.device_token)
    )


def _page_alive(device: SandboxDevice, now) -> bool:
    return bool(device.page_seen_at) and now - device.page_seen_at <= timedelta(seconds=PAGE_ALIVE_SECONDS)


def _qr_fresh(device: SandboxDevice, now) -> bool:
    """The page shows a scannable QR: issued recently (it refreshes every SANDBOX_QR_REFRESH_MS)
    and not idle."""
    if not (device.qr_ref and device.qr_issued_at) or device.qr_idle:
        return False
    max_age = timedelta(milliseconds=settings.SANDBOX_QR_REFRESH_MS * 1.5) + timedelta(
        seconds=PAGE_ALIVE_SECONDS
    )
    return now - device.qr_issued_at <= max_age


def sandbox_page_mode(*, device: SandboxDevice, now=None) -> str:
    """What the page shows, as the API reports it: absent, qr, qr_idle, linking, connected,
    offline, or logged_out (open but neither linked nor showing a QR)."""
    now = now or timezone.now()
    if not _page_alive(device, now):
        return "absent"
    if device.is_linked and device.page_logged_in:
        return "offline" if device.offline_until and device.offline_until > now else "connected"
    if device.is_linked:  # just scanned: the page logs in on its next poll (within a second)
        return "linking"
    if _qr_fresh(device, now):
        return "qr"
    if device.qr_idle and device.qr_ref:
        return "qr_idle"
    return "logged_out"


def sandbox_state(*, device: SandboxDevice) -> dict:
    """The device and page state, in the API's words (also the `details` of a 409)."""
    now = timezone.now()
    offline = device.offline_until if device.offline_until and device.offline_until > now else None
    return {
        "linked": device.is_linked,
        "phone": device.phone,
        "pushName": device.push_name,
        "linkedAt": device.linked_at.isoformat() if device.linked_at else None,
        "page": sandbox_page_mode(device=device, now=now),
        "pageSeenAt": device.page_seen_at.isoformat() if device.page_seen_at else None,
        "qrIssuedAt": device.qr_issued_at.isoformat() if device.qr_issued_at else None,
        "offlineUntil": offline.isoformat() if offline else None,
    }


def _me(device: SandboxDevice) -> dict:
    return {"wid": device.wid, "phone": device.phone, "pushName": device.push_name}


# --- The page: login --------------------------------------------------------------------------


def sandbox_page_hello(*, session: Session, device_token: str) -> dict:
    """A page (re)loaded: it is logged in when its stored device token is the current one,
    and then resumes after the last event it acknowledged, like WhatsApp delivering what
    arrived while the browser was closed."""
    now = timezone.now()
    with transaction.atomic():
        device = _locked_device(session)
        logged_in = _token_ok(device, device_token)
        device.page_seen_at, device.page_logged_in = now, logged_in
        device.save(update_fields=["page_seen_at", "page_logged_in", "updated_at"])
    return {
        "loggedIn": logged_in,
        "me": _me(device) if logged_in else None,
        "cursor": device.delivered_cursor if logged_in else device.last_cursor,
        "offline": bool(logged_in and device.offline_until and device.offline_until > now),
    }


def sandbox_page_issue_qr(*, session: Session, device_token: str) -> dict:
    """A new QR for a page that is not logged in: the wa-js AuthCode (multi-device shape,
    `fullCode` = "ref,staticKey,identityKey,secret" as in `WPP.conn.getAuthCode`) and a PNG."""
    now = timezone.now()
    ref = "2@" + secrets.token_urlsafe(48)

    def key() -> str:
        return base64.b64encode(secrets.token_bytes(32)).decode()

    auth_code = {
        "type": "multidevice",
        "ref": ref,
        "staticKeyPair": key(),
        "identityKeyPair": key(),
        "secretKey": key(),
    }
    auth_code["fullCode"] = ",".join(
        (ref, auth_code["staticKeyPair"], auth_code["identityKeyPair"], auth_code["secretKey"])
    )
    with transaction.atomic():
        device = _locked_device(session)
        if _token_ok(device, device_token):
            raise Conflict("This page is logged in; it has no QR.", code="already_authenticated")
        device.qr_ref, device.qr_code, device.qr_issued_at, device.qr_idle = (
            ref,
            auth_code["fullCode"],
            now,
            False,
        )
        device.page_seen_at, device.page_logged_in = now, False
        device.save(
            update_fields=[
                "qr_ref",
                "qr_code",
                "qr_issued_at",
                "qr_idle",
                "page_seen_at",
                "page_logged_in",
                "updated_at",
            ]
        )
    image = segno.make_qr(auth_code["fullCode"], error="l").png_data_uri(scale=5, border=4)
    return {"authCode": auth_code, "image": image}


def sandbox_page_qr_idle(*, session: Session) -> None:
    """The page stopped refreshing its QR (wa-js `conn.qrcode_idle`): it can't be scanned."""
    SandboxDevice.objects.filter(session=session).update(qr_idle=True, updated_at=timezone.now())


def sandbox_page_pairing_code(*, session: Session, device_token: str, phone: str) -> str:
    """`WPP.conn.genLinkDeviceCodeForPhoneNumber`: an 8-character code to "type on the phone"
    (the link API with `code`), for a number given as digits in international format."""
    digits = (phone or "").strip()
    if not digits.isdigit():
        raise InvalidInput(
            "The phone number must be digits only, in international format.",
            code="invalid_phone",
            details={"phone": phone},
        )
    e164 = normalize_phone("+" + digits)
    code = "".join(secrets.choice(_PAIRING_ALPHABET) for _ in range(8))
    with transaction.atomic():
        device = _locked_device(session)
        if _token_ok(device, device_token):
            raise Conflict(
                "Can't get code for already authenticated user",
                code="cannot_get_code_for_already_authenticated",
            )
        device.pairing_code, device.pairing_phone, device.pairing_issued_at = code, e164, timezone.now()
        device.save(update_fields=["pairing_code", "pairing_phone", "pairing_issued_at", "updated_at"])
    return code


def sandbox_page_logout(*, session: Session, device_token: str) -> bool:
    """`WPP.conn.logout` from the page: the linked device is removed."""
    with transaction.atomic():
        device = _locked_device(session)
        if not _token_ok(device, device_token):
            return False
        _unlink(device)
    return True


def _unlink(device: SandboxDevice) -> None:
    device.device_token = device.link_ref = ""
    device.phone = device.push_name = ""
    device.linked_at = device.offline_until = None
    device.page_logged_in = False
    device.save(
        update_fields=[
            "device_token",
            "link_ref",
            "phone",
            "push_name",
            "linked_at",
            "offline_until",
            "page_logged_in",
            "updated_at",
        ]
    )


# --- The page: polling --------------------------------------------------------------------------


@dataclass(frozen=True)
class PollResult:
    auth: str  # ok (logged in), invalid (its token was revoked: log out), none (no token)
    link: dict | None
    offline: bool
    events: list[SandboxEvent]
    cursor: int
    me: str  # the linked account's wid, for the payloads


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
    logged_in = _token_ok(device, device_token)
    auth = "ok" if logged_in else ("invalid" if device_token else "none")
    link = None
    if (
        not device_token
        and device.is_linked
        and any(ref and constant_time_compare(ref, device.link_ref) for ref in link_refs)
    ):
        link = {"deviceToken": device.device_token, "me": _me(device), "cursor": device.delivered_cursor}
    offline = bool(logged_in and device.offline_until and device.offline_until > now)
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
    # Writing on every poll (4 a second) would only churn the database: refresh once a second.
    if (
        device.page_logged_in != logged_in
        or not device.page_seen_at
        or now - device.page_seen_at > timedelta(seconds=1)
    ):
        SandboxDevice.objects.filter(pk=device.pk).update(page_seen_at=now, page_logged_in=logged_in)
    return PollResult(
        auth=auth,
        link=link,
        offline=offline,
        events=events,
        cursor=events[-1].cursor if events else after,
        me=device.wid,
    )


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
        device = _locked_device(session)
        for message in pending.order_by("created_at", "id"):
            if message.ack == Ack.SENT and message.delivered_due_at <= now:
                message.ack, message.delivered_at = Ack.RECEIVED, message.delivered_due_at
                _append_event(device, kind=EventKind.ACK, message=message, ack=Ack.RECEIVED)
                settled += 1
            if message.ack == Ack.RECEIVED and message.read_due_at and message.read_due_at <= now:
                message.ack, message.read_at = Ack.READ, message.read_due_at
                _append_event(device, kind=EventKind.ACK, message=message, ack=Ack.READ)
                settled += 1
            message.save(update_fields=["ack", "delivered_at", "read_at"])
    return settled


# --- The page: messages ---------------------------------------------------------------------------


def _new_key(*, ours: bool) -> str:
    # WhatsApp Web's own ids start 3EB0; phones use other shapes (iPhones 3A..., 32 hex).
    return ("3EB0" + secrets.token_hex(8) if ours else "3A" + secrets.token_hex(9)).upper()


def _contact(session: Session, phone: str, name: str = "") -> SandboxContact:
    contact, created = SandboxContact.objects.get_or_create(
        session=session, phone=phone, defaults={"name": name}
    )
    if name and not created and contact.name != name:
        contact.name = name
        contact.save(update_fields=["name"])
    return contact


def chat_phone(chat_id: str) -> str | None:
    """The E.164 number of a `<digits>@c.us` chat that is a plausible phone, else None."""
    match = _USER_CHAT.match(chat_id or "")
    if not match:
        return None
    try:
        return normalize_phone("+" + match.group(1))
    except InvalidInput:
        return None


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
    """The mimetype (given, else sniffed from the bytes) and a filename (given, else like
    wa-js's `<major>.<ext>`)."""
    guess = filetype.guess(data)
    mimetype = (mimetype or "").split(";")[0].strip() or (guess.mime if guess else "application/octet-stream")
    if not filename:
        filename = f"{mimetype.split('/')[0]}.{guess.extension}" if guess else "unknown"
    return mimetype, filename[:255]


def _check_size(size: int) -> None:
    if size > settings.MEDIA_MAX_BYTES:
        raise MediaTooLarge(
            f"The file is {size} bytes; the limit is {settings.MEDIA_MAX_BYTES} (MEDIA_MAX_BYTES).",
            details={"size": size, "limit": settings.MEDIA_MAX_BYTES},
        )
    if size == 0:
        raise InvalidInput("The file is empty.")


def _save_message(message: SandboxMessage, data: bytes | None) -> SandboxMessage:
    if data is not None:
        message.size, message.sha256 = len(data), hashlib.sha256(data).hexdigest()
        message.media.save(message.key, ContentFile(data), save=False)
    try:
        message.save()
    except Exception:
        if message.media:
            message.media.delete(save=False)
        raise
    return message


@dataclass(frozen=True)
class OutgoingFile:
    data: bytes
    mimetype: str = ""
    filename: str = ""
    type: str = "auto-detect"
    is_ptt: bool = False


def sandbox_page_send(
    *,
    session: Session,
    device_token: str,
    chat_id: str,
    text: str = "",
    file: OutgoingFile | None = None,
    mark_read: bool = True,
    seen: int = 0,
) -> SandboxMessage:
    """`WPP.chat.sendTextMessage` / `sendFileMessage`: stores the message for the contact with
    ack 1 (the server has it); receipts follow at the configured delays.

    A recipient that is not a plausible phone (`<digits>@c.us`) fails with
    `invalid_recipient`, which the page reports as a failed `sendMsgResult`. With
    `mark_read` (wa-js's default) the chat is read first, up to the page's cursor `seen`.
    """
    phone = chat_phone(chat_id)
    if phone is None:
        raise InvalidInput(
            f"{chat_id!r} is not a WhatsApp user.", code="invalid_recipient", details={"chatId": chat_id}
        )
    if file is None and not text:
        raise InvalidInput("The message has no text.", code="empty_message")
    mimetype, filename, kind = _file_fields(file)
    now = timezone.now()
    read_delay = settings.SANDBOX_READ_DELAY_MS
    with transaction.atomic():
        device = _locked_device(session)
        if not _token_ok(device, device_token):
            raise Conflict("The page is not logged in.", code="not_logged_in")
        contact = _contact(session, phone)
        if mark_read:
            _mark_read(contact, now, seen=seen)
        message = _new_message(
            contact,
            Direction.OUTBOUND,
            type=kind,
            text=text,
            mimetype=mimetype,
            filename=filename,
            delivered_due_at=now + timedelta(milliseconds=settings.SANDBOX_DELIVERY_DELAY_MS),
            read_due_at=now + timedelta(milliseconds=read_delay) if read_delay >= 0 else None,
        )
        _save_message(message, file.data if file else None)
    return message


def _file_fields(file) -> tuple[str, str, str]:
    """(mimetype, filename, wa-js type) of an attached file, or of a text message."""
    if file is None:
        return "", "", "chat"
    _check_size(len(file.data))
    mimetype, filename = _describe_file(file.data, mimetype=file.mimetype, filename=file.filename)
    return mimetype, filename, media_type_for(requested=file.type, mimetype=mimetype, is_ptt=file.is_ptt)


def _new_message(contact: SandboxContact, direction: str, **fields) -> SandboxMessage:
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
        device = _locked_device(session)
        if not _token_ok(device, device_token):
            raise Conflict("The page is not logged in.", code="not_logged_in")
        return _mark_read(contact, timezone.now(), seen=seen)


def sandbox_page_logged_in_device(*, session: Session, device_token: str) -> SandboxDevice:
    """The device of a page that presents the valid token (reads of chats need a login)."""
    device = sandbox_device(session=session)
    if not _token_ok(device, device_token):
        raise Conflict("The page is not logged in.", code="not_logged_in")
    return device


def sandbox_page_media(*, session: Session, device_token: str, wa_id: str) -> SandboxMessage:
    """`WPP.chat.downloadMedia`: a message with a file, either direction, with wa-js's errors."""
    if not _token_ok(sandbox_device(session=session), device_token):
        raise Conflict("The page is not logged in.", code="not_logged_in")
    message = SandboxMessage.objects.filter(session=session, wa_id=wa_id).first()
    if message is None:
        raise NotFound(f"Message {wa_id} not found", code="msg_not_found", details={"id": wa_id})
    if not message.is_media:
        raise NotFound(
            f"Message {wa_id} not contains media", code="message_not_contains_media", details={"id": wa_id}
        )
    return message


# --- The API: the "phone" side ----------------------------------------------------------------------


def sandbox_session(*, session: Session) -> Session:
    """The session for a sandbox API call; 400 when it is not a sandbox session."""
    if not session.sandbox:
        raise InvalidInput(
            "This session runs on WhatsApp Web, not on the sandbox.",
            code="not_a_sandbox_session",
            details={"sessionId": str(session.id)},
        )
    return session


def sandbox_link(
    *, session: Session, phone: str, name: str = "", qr: str = "", code: str = ""
) -> SandboxDevice:
    """The "scan": the simulated phone links the page that shows a QR now (or, with `code`,
    the page that asked for that pairing code). 409 with the current state otherwise."""
    e164 = normalize_phone(phone)
    now = timezone.now()
    with transaction.atomic():
        device = _locked_device(session)
        if code:
            fresh = (
                device.pairing_issued_at
                and now - device.pairing_issued_at <= timedelta(seconds=PAIRING_CODE_SECONDS)
                and _page_alive(device, now)
            )
            if not (
                device.pairing_code and fresh and constant_time_compare(code.upper(), device.pairing_code)
            ):
                raise Conflict(
                    "No page is waiting for this pairing code.",
                    code="pairing_code_unknown",
                    details=sandbox_state(device=device),
                )
            if device.pairing_phone != e164:
                raise Conflict(
                    "The pairing code was made for another number.",
                    code="pairing_code_phone",
                    details=sandbox_state(device=device),
                )
            link_ref = "code:" + device.pairing_code
        else:
            if not (_page_alive(device, now) and _qr_fresh(device, now)):
                raise Conflict(
                    "The sandbox page is not showing a QR to scan.",
                    code="not_showing_qr",
                    details=sandbox_state(device=device),
                )
            if qr and not constant_time_compare(qr, device.qr_code):
                raise Conflict(
                    "This QR is no longer the one on the page (it refreshes).",
                    code="qr_stale",
                    details=sandbox_state(device=device),
                )
            link_ref = device.qr_ref
        device.device_token = secrets.token_hex(32)
        device.link_ref = link_ref
        device.phone, device.push_name, device.linked_at = e164, name or "Sandbox", now
        device.qr_ref = device.qr_code = device.pairing_code = device.pairing_phone = ""
        device.qr_issued_at = device.pairing_issued_at = device.offline_until = None
        device.qr_idle = False
        # A newly linked device gets what arrives from now on, not older events.
        device.delivered_cursor = device.last_cursor
        device.save()
    return device


def sandbox_disconnect(*, session: Session, mode: str, seconds: int = 10) -> SandboxDevice:
    """`unlink`: the phone removes the linked device (the page logs out and shows a new QR).
    `offline`: the connection drops for `seconds` (stream mode OFFLINE, then MAIN again)."""
    with transaction.atomic():
        device = _locked_device(session)
        if not device.is_linked:
            raise Conflict(
                "The sandbox phone is not linked.", code="not_linked", details=sandbox_state(device=device)
            )
        if mode == "unlink":
            _unlink(device)
        elif mode == "offline":
            device.offline_until = timezone.now() + timedelta(seconds=seconds)
            device.save(update_fields=["offline_until", "updated_at"])
        else:
            raise InvalidInput("mode must be unlink or offline.", details={"mode": mode})
    return device


def decode_base64(data: str) -> bytes:
    """Bytes from base64 or a `data:...;base64,` URL; InvalidInput for anything else."""
    text = (data or "").strip()
    if text.startswith("data:"):
        text = text.partition(",")[2]
    # A size check before decoding keeps a huge string from costing memory twice.
    if len(text) * 3 // 4 > settings.MEDIA_MAX_BYTES + 3:
        raise MediaTooLarge(
            f"The file is larger than the limit of {settings.MEDIA_MAX_BYTES} bytes.",
            details={"limit": settings.MEDIA_MAX_BYTES},
        )
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput("media.data is not valid base64.", details={"field": "media.data"}) from exc


def sandbox_inbound(
    *, session: Session, from_phone: str, text: str = "", name: str = "", file: OutgoingFile | None = None
) -> SandboxMessage:
    """A contact sends the session a message (text, or media with `text` as caption). The
    contact is made on first use; the page gets it as `chat.new_message`."""
    e164 = normalize_phone(from_phone)
    if file is None and not text:
        raise InvalidInput("Send text, media, or both.", details={"text": ""})
    mimetype, filename, kind = _file_fields(file)
    with transaction.atomic():
        device = _require_linked(session)
        if e164 == device.phone:
            raise InvalidInput("The sender is the session's own number.", details={"from": from_phone})
        contact = _contact(session, e164, name)
        message = _new_message(
            contact, Direction.INBOUND, type=kind, text=text, mimetype=mimetype, filename=filename
        )
        _save_message(message, file.data if file else None)
        message.cursor = _append_event(device, kind=EventKind.MESSAGE, message=message)
        message.save(update_fields=["cursor"])
    return message


def _require_linked(session: Session) -> SandboxDevice:
    device = _locked_device(session)
    if not device.is_linked:
        raise Conflict(
            "The sandbox phone is not linked; link it first (POST .../link).",
            code="not_linked",
            details=sandbox_state(device=device),
        )
    return device


def sandbox_page_event(*, session: Session, name: str, data, kind: str = EventKind.RAW) -> int:
    """Makes the linked page emit the wa-js event `name` with `data` exactly as given, as if
    WhatsApp Web had: for testing how YesApp (and your integration) take odd payloads.
    Returns the event's cursor. (`kind` ACTION: a contact's action, see sandbox/actions.py.)"""
    with transaction.atomic():
        device = _require_linked(session)
        return _append_event(device, kind=kind, raw_name=name, raw_data=data)


def sandbox_media_removed(*, message: SandboxMessage) -> None:
    """Deletes a message's file once its row is gone (a deleted session cascades here)."""
    if message.media:
        message.media.delete(save=False)
