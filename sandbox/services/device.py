"""The linked device: what the simulated phone linked (device token, number, name), what the
page shows (QR, pairing code, its last poll) and the session's event cursor.

The page logs in here (hello, QR, pairing code, logout), and the phone links and unlinks it
(the sandbox API). Every event cursor is taken under a lock on the device row, so cursors
are committed in order and a poll never skips one.
"""

from __future__ import annotations

import base64
import secrets
from datetime import timedelta

import segno
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from sandbox.models import SandboxDevice, SandboxEvent, SandboxMessage
from sandbox.page_wakeup import page_wake_on_commit
from sessions_app.models import Session
from yesapp.errors import Conflict, InvalidInput
from yesapp.validators import normalize_phone

# A page that has not polled for this long is gone (closed browser, crashed engine).
PAGE_ALIVE_SECONDS = 5
# A pairing code may be typed on the "phone" for this long, like WhatsApp's.
PAIRING_CODE_SECONDS = 180
# WhatsApp's pairing codes use digits and capitals without look-alikes (0/O, 1/I, U).
_PAIRING_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTVWXYZ"


# --- The device row and its events ------------------------------------------------------------


def sandbox_device(*, session: Session) -> SandboxDevice:
    device, _ = SandboxDevice.objects.get_or_create(session=session)
    return device


def locked_device(session: Session) -> SandboxDevice:
    """The device row, locked until the transaction ends: every cursor is taken under it."""
    sandbox_device(session=session)
    return SandboxDevice.objects.select_for_update().get(session=session)


def require_linked(session: Session) -> SandboxDevice:
    """The locked device of a linked phone; 409 with the current state otherwise."""
    device = locked_device(session)
    if not device.is_linked:
        raise Conflict(
            "The sandbox phone is not linked; link it first (POST .../link).",
            code="not_linked",
            details=sandbox_state(device=device),
        )
    return device


def append_event(
    device: SandboxDevice, *, kind: str, message: SandboxMessage | None = None, ack: int | None = None, **raw
) -> int:
    """Records what the page must be told next; `device` must be locked. Returns its cursor."""
    device.last_cursor += 1
    SandboxEvent.objects.create(
        session_id=device.session_id, cursor=device.last_cursor, kind=kind, message=message, ack=ack, **raw
    )
    SandboxDevice.objects.filter(pk=device.pk).update(last_cursor=device.last_cursor)
    page_wake_on_commit(device.session_id)
    return device.last_cursor


def device_token_valid(device: SandboxDevice, device_token: str) -> bool:
    """Whether a page presents the token of the device linked now (a page is logged in)."""
    return (
        bool(device_token) and device.is_linked and constant_time_compare(device_token, device.device_token)
    )


def device_offline(device: SandboxDevice, now) -> bool:
    return bool(device.offline_until and device.offline_until > now)


def device_me(device: SandboxDevice) -> dict:
    return {"wid": device.wid, "phone": device.phone, "pushName": device.push_name}


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
        return "offline" if device_offline(device, now) else "connected"
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
    offline = device.offline_until if device_offline(device, now) else None
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


def _unlink(device: SandboxDevice) -> None:
    device.device_token = device.link_ref = ""
    device.phone = device.push_name = ""
    device.linked_at = device.offline_until = None
    device.page_logged_in = False
    page_wake_on_commit(device.session_id)  # the page learns it is logged out
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


# --- The page logs in -------------------------------------------------------------------------


def sandbox_page_hello(*, session: Session, device_token: str) -> dict:
    """A page (re)loaded: it is logged in when its stored device token is the current one,
    and then resumes after the last event it acknowledged, like WhatsApp delivering what
    arrived while the browser was closed."""
    now = timezone.now()
    with transaction.atomic():
        device = locked_device(session)
        logged_in = device_token_valid(device, device_token)
        device.page_seen_at, device.page_logged_in = now, logged_in
        device.save(update_fields=["page_seen_at", "page_logged_in", "updated_at"])
    return {
        "loggedIn": logged_in,
        "me": device_me(device) if logged_in else None,
        "cursor": device.delivered_cursor if logged_in else device.last_cursor,
        "offline": logged_in and device_offline(device, now),
    }


def _new_auth_code() -> dict:
    """A wa-js AuthCode (multi-device shape, `fullCode` = "ref,staticKey,identityKey,secret"
    as in `WPP.conn.getAuthCode`)."""

    def key() -> str:
        return base64.b64encode(secrets.token_bytes(32)).decode()

    ref = "2@" + secrets.token_urlsafe(48)
    keys = {"staticKeyPair": key(), "identityKeyPair": key(), "secretKey": key()}
    return {"type": "multidevice", "ref": ref, **keys, "fullCode": ",".join((ref, *keys.values()))}


def sandbox_page_issue_qr(*, session: Session, device_token: str) -> dict:
    """A new QR for a page that is not logged in: the wa-js AuthCode and a PNG of it."""
    now = timezone.now()
    auth_code = _new_auth_code()
    with transaction.atomic():
        device = locked_device(session)
        if device_token_valid(device, device_token):
            raise Conflict("This page is logged in; it has no QR.", code="already_authenticated")
        device.qr_ref, device.qr_code = auth_code["ref"], auth_code["fullCode"]
        device.qr_issued_at, device.qr_idle = now, False
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
        device = locked_device(session)
        if device_token_valid(device, device_token):
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
        device = locked_device(session)
        if not device_token_valid(device, device_token):
            return False
        _unlink(device)
    return True


# --- The phone links and unlinks (the sandbox API) ---------------------------------------------


def sandbox_session(*, session: Session) -> Session:
    """The session for a sandbox API call; 400 when it is not a sandbox session."""
    if not session.sandbox:
        raise InvalidInput(
            "This session runs on WhatsApp Web, not on the sandbox.",
            code="not_a_sandbox_session",
            details={"sessionId": str(session.id)},
        )
    return session


def _pairing_link_ref(device: SandboxDevice, *, code: str, e164: str, now) -> str:
    """The link ref of the page that asked for pairing `code`; 409 when none waits for it."""
    fresh = (
        device.pairing_issued_at
        and now - device.pairing_issued_at <= timedelta(seconds=PAIRING_CODE_SECONDS)
        and _page_alive(device, now)
    )
    if not (device.pairing_code and fresh and constant_time_compare(code.upper(), device.pairing_code)):
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
    return "code:" + device.pairing_code


def _qr_link_ref(device: SandboxDevice, *, qr: str, now) -> str:
    """The ref of the QR the page shows now (and matches `qr` when given); 409 otherwise."""
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
    return device.qr_ref


def sandbox_link(
    *, session: Session, phone: str, name: str = "", qr: str = "", code: str = ""
) -> SandboxDevice:
    """The "scan": the simulated phone links the page that shows a QR now (or, with `code`,
    the page that asked for that pairing code). 409 with the current state otherwise."""
    e164 = normalize_phone(phone)
    now = timezone.now()
    with transaction.atomic():
        device = locked_device(session)
        if code:
            link_ref = _pairing_link_ref(device, code=code, e164=e164, now=now)
        else:
            link_ref = _qr_link_ref(device, qr=qr, now=now)
        device.device_token = secrets.token_hex(32)
        device.link_ref = link_ref
        device.phone, device.push_name, device.linked_at = e164, name or "Sandbox", now
        device.qr_ref = device.qr_code = device.pairing_code = device.pairing_phone = ""
        device.qr_issued_at = device.pairing_issued_at = device.offline_until = None
        device.qr_idle = False
        # A newly linked device gets what arrives from now on, not older events.
        device.delivered_cursor = device.last_cursor
        device.save()
        page_wake_on_commit(device.session_id)  # the page showing that QR logs in
    return device


def sandbox_disconnect(*, session: Session, mode: str, seconds: int = 10) -> SandboxDevice:
    """`unlink`: the phone removes the linked device (the page logs out and shows a new QR).
    `offline`: the connection drops for `seconds` (stream mode OFFLINE, then MAIN again)."""
    with transaction.atomic():
        device = locked_device(session)
        if not device.is_linked:
            raise Conflict(
                "The sandbox phone is not linked.", code="not_linked", details=sandbox_state(device=device)
            )
        if mode == "unlink":
            _unlink(device)
        elif mode == "offline":
            device.offline_until = timezone.now() + timedelta(seconds=seconds)
            device.save(update_fields=["offline_until", "updated_at"])
            page_wake_on_commit(device.session_id)
        else:
            raise InvalidInput("mode must be unlink or offline.", details={"mode": mode})
    return device
