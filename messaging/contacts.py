"""Who is on WhatsApp, and which phone number hides behind a lid, asked of a session's page.

Both answers are kept in the database rather than Redis: the lid of a phone is a lasting fact
that later payloads join on (messages, group participants), and the send path, which refuses
numbers known not to exist, then needs nothing beyond the database it already writes to.
Number checks are trusted for CONTACTS_CHECK_CACHE_SECONDS; lid mappings do not expire.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from messaging.models import LidMapping, NumberCheck
from sessions_app.models import Session
from sessions_app.page_query import session_page_query
from yesapp.errors import ServiceError
from yesapp.validators import phone_from_chat_id, phone_to_chat_id

CHECK_COMMAND = "contacts_check"
PN_LID_COMMAND = "contacts_pn_lid"
CHECK_BATCH_MAX = 50


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
