"""The sandbox's directory of simulated people: who is on WhatsApp, and their lids.

Rules (documented in sandbox/README.md, so tests and users can reach every case):
- every valid phone number is on WhatsApp, except those whose last four digits are `0000`;
- each number on WhatsApp has one lid, derived from the number (`sandbox_lid_of`), 15 digits;
- WhatsApp Web tells the lid of any number on WhatsApp, but the number behind a lid only for
  people in the session's chats (a `SandboxContact`: they messaged it or it messaged them).
  Every other well-formed lid is a contact known only by lid, with its number hidden.
"""

from __future__ import annotations

import hashlib
import re

from sandbox.models import SandboxContact
from sessions_app.models import Session
from yesapp.errors import InvalidInput
from yesapp.validators import normalize_phone

NOT_ON_WHATSAPP_SUFFIX = "0000"
_USER_ID = re.compile(r"^(\d{5,20})@c\.us$")
_LID = re.compile(r"^(\d{5,20})@lid$")
_LID_DIGITS = 15


def sandbox_phone_of(chat_id: str) -> str | None:
    """The E.164 number of a `<digits>@c.us` id that is a valid phone number, else None."""
    match = _USER_ID.match(chat_id or "")
    if not match:
        return None
    try:
        return normalize_phone("+" + match.group(1))
    except InvalidInput:
        return None


def sandbox_number_exists(phone: str) -> bool:
    """Whether an E.164 number is on the sandbox's WhatsApp (all but `...0000`)."""
    return not phone.endswith(NOT_ON_WHATSAPP_SUFFIX)


def sandbox_lid_of(phone: str) -> str:
    """The lid of a number on WhatsApp: 15 digits derived from it, stable across restarts."""
    digest = int(hashlib.sha256(f"yesapp-sandbox-lid:{phone}".encode()).hexdigest(), 16)
    return f"{10 ** (_LID_DIGITS - 1) + digest % (9 * 10 ** (_LID_DIGITS - 1))}@lid"


def sandbox_query_exists(*, chat_id: str) -> dict:
    """`WPP.contact.queryWidExists`: `{wid, lid}` for someone on WhatsApp, `{wid: None}` else.
    A lid is someone on WhatsApp (their number may stay hidden)."""
    if _LID.match(chat_id or ""):
        return {"wid": chat_id, "lid": chat_id}
    phone = sandbox_phone_of(chat_id)
    if phone is None or not sandbox_number_exists(phone):
        return {"wid": None, "lid": None}
    return {"wid": chat_id, "lid": sandbox_lid_of(phone)}


def sandbox_pn_lid_entry(*, session: Session, contact_id: str) -> dict:
    """`WPP.contact.getPnLidEntry`: `{phone, lid}` as chat ids, None where unknown. Raises
    InvalidInput (`invalid_wid`) for something that is neither a phone id nor a lid."""
    if _LID.match(contact_id or ""):
        return {"phone": _phone_behind(session, contact_id), "lid": contact_id}
    phone = sandbox_phone_of(contact_id)
    if phone is None:
        raise InvalidInput(
            f"Invalid WID value for {contact_id}", code="invalid_wid", details={"id": contact_id}
        )
    if not sandbox_number_exists(phone):
        return {"phone": None, "lid": None}
    return {"phone": contact_id, "lid": sandbox_lid_of(phone)}


def _phone_behind(session: Session, lid: str) -> str | None:
    """The chat id of the session's contact whose lid this is, or None (a lid-only contact).
    A scan: a sandbox session has a handful of contacts, and lids cannot be reversed."""
    # Only a one-to-one chat reveals a number: a member of a lid-addressed group stays a lid.
    contacts = SandboxContact.objects.filter(session=session)
    one_to_one = contacts.filter(messages__chat_id__endswith="@c.us")
    group_only = contacts.filter(messages__chat_id__endswith="@g.us").exclude(pk__in=one_to_one)
    for phone in contacts.exclude(pk__in=group_only).values_list("phone", flat=True):
        if sandbox_number_exists(phone) and sandbox_lid_of(phone) == lid:
            return phone.lstrip("+") + "@c.us"
    return None
