"""Who is on WhatsApp, and which phone number hides behind a lid, asked of a session's page.

Both answers are kept in the database rather than Redis: the lid of a phone is a lasting fact
that later payloads join on (messages, group participants), and the send path, which refuses
numbers known not to exist, then needs nothing beyond the database it already writes to.
Number checks are trusted for CONTACTS_CHECK_CACHE_SECONDS; lid mappings do not expire.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from uuid import UUID

from django.conf import settings
from django.utils import timezone

from messaging.models import LidMapping, NumberCheck
from messaging.people import lid_pairs_for
from sessions_app.engine.base import Engine, EngineCrashed, EngineError
from sessions_app.models import Session
from sessions_app.page_query import session_page_query
from yesapp.errors import ServiceError
from yesapp.validators import phone_from_chat_id, phone_to_chat_id

CHECK_COMMAND = "contacts_check"
PN_LID_COMMAND = "contacts_pn_lid"
CHECK_BATCH_MAX = 50
# A new sender's phone–lid pair is asked of the page before its message is stored, so the
# message's payload can carry both; briefly, as the message waits for it.
LEARN_WAIT_SECONDS = 2.0
# A person WhatsApp Web could not pair is not asked about again for this long; after a page
# too slow to answer (a busy browser), much sooner: the pair is likely known, just late.
UNPAIRED_RETRY_SECONDS = 3600
UNANSWERED_RETRY_SECONDS = 30

logger = logging.getLogger(__name__)
_unpaired: dict[tuple[UUID, str], float] = {}  # (session, id) -> monotonic time to ask again


class NotOnWhatsApp(ServiceError):
    """A send to a number a recent check found absent (422): sent blind, such messages are
    what WhatsApp's spam detection looks for."""

    status_code = 422
    code = "not_on_whatsapp"


def _fresh_since():
    return timezone.now() - timedelta(seconds=settings.CONTACTS_CHECK_CACHE_SECONDS)


def _fresh_checks(session: Session, phones: list[str]) -> dict[str, NumberCheck]:
    if settings.CONTACTS_CHECK_CACHE_SECONDS <= 0:
        return {}
    rows = NumberCheck.objects.filter(session=session, phone__in=phones, checked_at__gte=_fresh_since())
    return {row.phone: row for row in rows}


def contacts_check(*, session: Session, phones: list[str]) -> list[dict]:
    """Whether each E.164 number is on WhatsApp (WPP.contact.queryWidExists), one answer per
    distinct number in the order given. Fresh cached answers are reused; the rest are asked of
    the page in one command (409 when the session is not connected, 504 when it is slow)."""
    phones = list(dict.fromkeys(phones))
    known = _fresh_checks(session, phones)
    missing = [phone for phone in phones if phone not in known]
    if missing:
        answer = session_page_query(
            session=session,
            command=CHECK_COMMAND,
            args={"chatIds": [phone_to_chat_id(phone) for phone in missing]},
            wait=settings.CONTACTS_QUERY_TIMEOUT,
        )
        known |= _store_checks(session, missing, answer.get("results") or [])
    return [number_check_json(known[phone]) for phone in phones]


def _store_checks(session: Session, phones: list[str], results: list[dict]) -> dict[str, NumberCheck]:
    by_chat_id = {result.get("id"): result for result in results if isinstance(result, dict)}
    now = timezone.now()
    stored = {}
    for phone in phones:
        result = by_chat_id.get(phone_to_chat_id(phone)) or {}
        exists = bool(result.get("exists"))
        stored[phone], _ = NumberCheck.objects.update_or_create(
            session=session,
            phone=phone,
            defaults={
                "exists": exists,
                "chat_id": (result.get("chatId") or "") if exists else "",
                "lid": (result.get("lid") or "") if exists else "",
                "checked_at": now,
            },
        )
        if stored[phone].lid:
            _remember_lid(session, lid=stored[phone].lid, phone=phone)
    # Checks nobody can reuse any more go, so the table holds at most a cache period's worth.
    NumberCheck.objects.filter(session=session, checked_at__lt=_fresh_since()).delete()
    return stored


def number_check_json(check: NumberCheck) -> dict:
    return {
        "phone": check.phone,
        "exists": check.exists,
        "chatId": check.chat_id or None,
        "lid": check.lid or None,
        "checkedAt": check.checked_at,
    }


def contact_refuse_if_absent(*, session: Session, chat_id: str) -> None:
    """Raises NotOnWhatsApp when a fresh check found this `@c.us` chat's number absent."""
    phone = phone_from_chat_id(chat_id)
    if phone and settings.CONTACTS_CHECK_CACHE_SECONDS > 0:
        absent = NumberCheck.objects.filter(
            session=session, phone=phone, exists=False, checked_at__gte=_fresh_since()
        ).first()
        if absent is not None:
            raise NotOnWhatsApp(
                f"{phone} is not on WhatsApp (checked {absent.checked_at:%Y-%m-%d %H:%M} UTC); the "
                "message was not sent. Check again with GET .../contacts/check once the cached "
                "answer expires (CONTACTS_CHECK_CACHE_SECONDS).",
                details={"phone": phone, "checkedAt": absent.checked_at.isoformat()},
            )


def contact_absent_for_send(*, session: Session, chat_id: str, engine: Engine) -> bool:
    """Before a first message (the sending policy's `checkNumberFirst`, messaging.paced_send):
    whether the number behind an `@c.us` chat is not on WhatsApp. A fresh cached answer is
    reused; otherwise the page is asked (WPP.contact.queryWidExists) and the answer cached. A
    page that cannot answer counts as "on WhatsApp": the check guards against sending blind, and
    a message held for a failing check would never go."""
    phone = phone_from_chat_id(chat_id)
    if not phone:
        return False
    known = _fresh_checks(session, [phone]).get(phone)
    if known is None:
        try:
            results = engine.check_numbers([chat_id], wait=settings.CONTACTS_QUERY_TIMEOUT)
        except EngineCrashed:
            raise
        except EngineError as exc:
            logger.warning("Could not check %s before a first message: %s", phone, exc)
            return False
        known = _store_checks(session, [phone], results)[phone]
    return not known.exists


# --- lids --------------------------------------------------------------------------------------


def _remember_lid(session: Session, *, lid: str, phone: str) -> None:
    LidMapping.objects.update_or_create(session=session, lid=lid, defaults={"phone": phone})


def contact_lid_lookup(*, session: Session, lid: str) -> dict:
    """The phone number behind a `<digits>@lid`: `{"phone": E.164 | None, "lid"}`. None when
    WhatsApp Web does not know it (the person hides it): never a guess."""
    known = LidMapping.objects.filter(session=session, lid=lid).first()
    if known is not None:
        return {"phone": known.phone, "lid": lid}
    entry = _ask_pn_lid(session, lid)
    return {"phone": entry["phone"], "lid": lid}


def contact_phone_lid_lookup(*, session: Session, phone: str) -> dict:
    """The lid of an E.164 number: `{"phone", "lid": "<digits>@lid" | None}`."""
    known = LidMapping.objects.filter(session=session, phone=phone).order_by("-learned_at").first()
    if known is not None:
        return {"phone": phone, "lid": known.lid}
    checked = _fresh_checks(session, [phone]).get(phone)
    if checked is not None and (checked.lid or not checked.exists):
        return {"phone": phone, "lid": checked.lid or None}
    entry = _ask_pn_lid(session, phone_to_chat_id(phone))
    return {"phone": phone, "lid": entry["lid"]}


def _ask_pn_lid(session: Session, contact_id: str) -> dict:
    """WPP.contact.getPnLidEntry in the page; a complete answer is remembered."""
    answer = session_page_query(
        session=session,
        command=PN_LID_COMMAND,
        args={"id": contact_id},
        wait=settings.CONTACTS_QUERY_TIMEOUT,
    )
    phone = phone_from_chat_id(answer.get("phone") or "") or None
    lid = answer.get("lid") or None
    if phone and lid:
        _remember_lid(session, lid=lid, phone=phone)
    return {"phone": phone, "lid": lid}


def _sender_id(data: dict) -> str:
    """The WhatsApp id of whoever sent a wa-js `chat.new_message` (the member in a group); ""
    for our own messages, status stories and ids that are not people."""
    key = data.get("id") if isinstance(data.get("id"), dict) else {}
    if key.get("fromMe", data.get("fromMe")):
        return ""
    chat, author = (_serialized(data.get(name)) for name in ("from", "author"))
    if chat.endswith("@broadcast"):
        return ""  # status stories: not a conversation with their poster
    sender = author or chat
    return sender if sender.endswith(("@c.us", "@lid")) else ""


def _serialized(value) -> str:
    if isinstance(value, dict):
        value = value.get("_serialized")
    return value if isinstance(value, str) else ""


def contact_learn_sender(*, session_id: UUID, data, engine: Engine) -> None:
    """Pairs the sender of a received message with their phone or lid (WPP.contact.
    getPnLidEntry) before it is stored, once per person. Never fails the message: a page that
    cannot answer leaves the pair unknown (`null` in payloads), and a crash goes to the actor."""
    sender = _sender_id(data) if isinstance(data, dict) else ""
    if not sender or lid_pairs_for(session_id=session_id, ids=[sender]):
        return
    now = time.monotonic()
    if now < _unpaired.get((session_id, sender), now):
        return
    retry_in = UNPAIRED_RETRY_SECONDS
    try:
        entry = engine.pn_lid_entry(sender, wait=min(LEARN_WAIT_SECONDS, settings.CONTACTS_QUERY_TIMEOUT))
    except EngineCrashed:
        raise
    except EngineError as exc:
        logger.info("No phone-lid pair for %s: %s", sender, exc, extra={"session_id": str(session_id)})
        entry, retry_in = {}, UNANSWERED_RETRY_SECONDS
    phone, lid = phone_from_chat_id(entry.get("phone") or ""), entry.get("lid") or ""
    if phone and lid:
        LidMapping.objects.update_or_create(session_id=session_id, lid=lid, defaults={"phone": phone})
        _unpaired.pop((session_id, sender), None)
    else:
        if len(_unpaired) > 10_000:
            _unpaired.clear()  # bounded: forgetting only means asking again
        _unpaired[(session_id, sender)] = now + retry_in
