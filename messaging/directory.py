"""A session's WhatsApp contacts, asked of its page: the contact list, one contact's profile
(about text and profile picture), and blocking (wa-js `WPP.contact.*`, `WPP.blocklist.*`).

What changes rarely is kept: the list is read again from the page after
CONTACTS_LIST_CACHE_SECONDS (a Redis marker says when it was read; the rows are the answer),
a profile after CONTACTS_PROFILE_CACHE_SECONDS. The picture is fetched by the page (only it can
reach WhatsApp's CDN) and stored with Django's storage, so YesApp serves it itself.
"""

from __future__ import annotations

import base64
import binascii
import logging
from datetime import timedelta

import redis
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Coalesce, Lower, NullIf
from django.utils import timezone

from messaging.models import Contact, LidMapping
from sessions_app.models import Session
from sessions_app.page_query import session_page_query
from yesapp.errors import InvalidInput, NotFound, ServiceUnavailable
from yesapp.redis import get_redis
from yesapp.validators import normalize_chat_id, phone_from_chat_id

LIST_COMMAND = "contacts_list"
PROFILE_COMMAND = "contacts_profile"
BLOCK_COMMAND = "contacts_block"
NOT_FOUND_CODE = "contact_not_found"
PICTURE_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
PICTURE_MAX_BYTES = 2 * 1024 * 1024

logger = logging.getLogger(__name__)


def contact_id_from(value: str) -> str:
    """The WhatsApp id of a person from a path's `contactId`: `<digits>@c.us`, `<digits>@lid`
    or an E.164 number; 400 for a group or anything else."""
    chat_id = normalize_chat_id(value)
    if chat_id.endswith("@g.us"):
        raise InvalidInput(
            f"{value!r} is a group, not a contact; see the groups endpoints.", details={"contactId": value}
        )
    return chat_id


# --- the list --------------------------------------------------------------------------------------


def _listed_key(session: Session) -> str:
    return f"yesapp:contacts:listed:{session.pk}"


def _list_is_fresh(session: Session) -> bool:
    if settings.CONTACTS_LIST_CACHE_SECONDS <= 0:
        return False
    try:
        return bool(get_redis().exists(_listed_key(session)))
    except (redis.RedisError, OSError):
        return False  # without the marker, ask the page: slower, never wrong


def contact_list(*, session: Session, search: str = "", refresh: bool = False) -> QuerySet[Contact]:
    """The session's contacts (people, not groups), by the name shown; `search` matches names, the
    number and the lid. Read from the page unless read within CONTACTS_LIST_CACHE_SECONDS
    (409 when the session is not connected and the list must be read, 504 when it is slow)."""
    if refresh or not _list_is_fresh(session):
        contacts_refresh(session=session)
    return contact_search(Contact.objects.filter(session=session, listed_at__isnull=False), search)


def contact_search(rows: QuerySet[Contact], search: str) -> QuerySet[Contact]:
    """`rows` whose names, number or lid contain `search`, by the name shown."""
    if search := search.strip():
        digits = search.lstrip("+")
        rows = rows.filter(
            Q(name__icontains=search)
            | Q(push_name__icontains=search)
            | Q(phone__contains=digits)
            | Q(lid__contains=digits)
        )
    shown = Coalesce(
        NullIf("name", Value("")), NullIf("push_name", Value("")), NullIf("phone", Value("")), "wa_id"
    )
    return rows.order_by(Lower(shown), "wa_id")


def contacts_refresh(*, session: Session) -> int:
    """Reads the contact list from the page (WPP.contact.list) into Contact rows; people no
    longer listed keep their row (and profile) but leave the list. Returns how many are listed."""
    answer = session_page_query(
        session=session, command=LIST_COMMAND, args={}, wait=settings.CONTACTS_QUERY_TIMEOUT
    )
    now = timezone.now()
    listed = [item for item in answer.get("contacts") or [] if isinstance(item, dict) and item.get("id")]
    with transaction.atomic():
        ids = [_store_listed(session, item, now) for item in listed]
        Contact.objects.filter(session=session).exclude(wa_id__in=ids).update(listed_at=None)
    try:
        get_redis().set(_listed_key(session), "1", ex=max(1, settings.CONTACTS_LIST_CACHE_SECONDS))
    except (redis.RedisError, OSError) as exc:
        logger.info("Could not mark the contact list fresh: %s", exc)
    return len(ids)


def _store_listed(session: Session, item: dict, now) -> str:
    wa_id = str(item["id"])[:100]
    phone, lid = _pair(session, wa_id, item)
    Contact.objects.update_or_create(
        session=session,
        wa_id=wa_id,
        defaults={
            "phone": phone,
            "lid": lid,
            "name": str(item.get("name") or "")[:200],
            "push_name": str(item.get("pushName") or "")[:200],
            "business": bool(item.get("business")),
            "my_contact": bool(item.get("myContact")),
            "blocked": bool(item.get("blocked")),
            "listed_at": now,
        },
    )
    return wa_id


def contact_remember_pair(*, session: Session, wa_id: str, answer: dict) -> tuple[str, str]:
    """The E.164 phone and lid of a person as the page paired them (`phone`, `lid` chat ids in
    `answer`; remembered for later payloads), completed from pairs learnt before; "" where
    unknown. Nothing for a group."""
    if wa_id.endswith("@g.us"):
        return "", ""
    return _pair(session, wa_id, answer)


def _pair(session: Session, wa_id: str, item: dict) -> tuple[str, str]:
    phone = phone_from_chat_id(item.get("phone") or "") or phone_from_chat_id(wa_id)
    lid = str(item.get("lid") or "") or (wa_id if wa_id.endswith("@lid") else "")
    if phone and lid:
        LidMapping.objects.update_or_create(session=session, lid=lid, defaults={"phone": phone})
    elif lid:
        phone = (
            LidMapping.objects.filter(session=session, lid=lid).values_list("phone", flat=True).first() or ""
        )
    elif phone:
        lid = (
            LidMapping.objects.filter(session=session, phone=phone).values_list("lid", flat=True).first()
            or ""
        )
    return phone, lid


# --- one contact -----------------------------------------------------------------------------------


def _profile_fresh(contact: Contact | None) -> bool:
    if contact is None or contact.profile_at is None:
        return False
    return contact.profile_at >= timezone.now() - timedelta(seconds=settings.CONTACTS_PROFILE_CACHE_SECONDS)


def contact_get(*, session: Session, contact_id: str, refresh: bool = False) -> Contact:
    """One contact with its about text and profile picture (WPP.contact.get, getStatus,
    getProfilePictureUrl), from the store while fresh. 404 `contact_not_found` when WhatsApp
    Web knows no such contact."""
    known = Contact.objects.filter(session=session, wa_id=contact_id).first()
    if not refresh and _profile_fresh(known):
        return known
    answer = session_page_query(
        session=session,
        command=PROFILE_COMMAND,
        args={"id": contact_id},
        wait=settings.CONTACTS_QUERY_TIMEOUT,
    )
    if not answer.get("found"):
        raise NotFound(
            f"WhatsApp knows no contact {contact_id} on this session.",
            code=NOT_FOUND_CODE,
            details={"contactId": contact_id},
        )
    return _store_profile(session, contact_id, answer, known)


def _store_profile(session: Session, contact_id: str, answer: dict, known: Contact | None) -> Contact:
    phone, lid = _pair(session, contact_id, answer)
    picture = _picture_from(answer.get("picture"))
    if answer.get("pictureError"):
        logger.info(
            "The page could not fetch %s's profile picture: %s",
            contact_id,
            answer["pictureError"],
            extra={"session_id": str(session.pk)},
        )
    contact = known or Contact(session=session, wa_id=contact_id)
    contact.phone, contact.lid = phone, lid
    contact.name = str(answer.get("name") or "")[:200]
    contact.push_name = str(answer.get("pushName") or "")[:200]
    contact.business, contact.my_contact = bool(answer.get("business")), bool(answer.get("myContact"))
    contact.blocked = bool(answer.get("blocked"))
    contact.about = str(answer.get("about") or "")[:1000]
    old_picture = contact.picture_name
    contact.picture_name, contact.picture_mimetype, contact.picture_size = "", "", 0
    if picture is not None:
        data, mimetype = picture
        name = f"contacts/{session.pk}/{contact_id.split('@')[0]}.{PICTURE_TYPES[mimetype]}"
        if old_picture:
            default_storage.delete(old_picture)
        contact.picture_name = default_storage.save(name, ContentFile(data))
        contact.picture_mimetype, contact.picture_size = mimetype, len(data)
    elif old_picture:
        default_storage.delete(old_picture)
    contact.profile_at = timezone.now()
    contact.save()
    return contact


def _picture_from(data_url) -> tuple[bytes, str] | None:
    """The bytes and type of the page's data URL; None for no picture or one we will not keep
    (an unexpected type, too large, not base64)."""
    if not isinstance(data_url, str) or not data_url.startswith("data:"):
        return None
    header, _, payload = data_url.partition(",")
    mimetype = header[5:].split(";")[0].lower()
    if mimetype not in PICTURE_TYPES or len(payload) > PICTURE_MAX_BYTES * 4 // 3 + 4:
        return None
    try:
        return base64.b64decode(payload, validate=True), mimetype
    except (binascii.Error, ValueError):
        return None


def contact_set_blocked(*, session: Session, contact_id: str, blocked: bool) -> dict:
    """Blocks or unblocks a person (WPP.blocklist.blockContact / unblockContact): they can no
    longer message the session, nor it them. `{"contactId", "blocked"}` as WhatsApp answers."""
    try:
        answer = session_page_query(
            session=session,
            command=BLOCK_COMMAND,
            args={"id": contact_id, "block": blocked},
            wait=settings.CONTACTS_QUERY_TIMEOUT,
        )
    except ServiceUnavailable as exc:
        if exc.code == NOT_FOUND_CODE:
            raise NotFound(exc.message, code=NOT_FOUND_CODE, details={"contactId": contact_id}) from exc
        raise
    state = bool(answer.get("blocked"))
    Contact.objects.filter(session=session, wa_id=contact_id).update(blocked=state)
    return {"contactId": contact_id, "blocked": state}


def contact_picture(*, session: Session, contact_id: str) -> Contact:
    """The stored contact whose picture to serve; 404 when none is stored (ask
    GET .../contacts/{contactId} first: it fetches the picture)."""
    contact = Contact.objects.filter(session=session, wa_id=contact_id).exclude(picture_name="").first()
    if contact is None or not default_storage.exists(contact.picture_name):
        raise NotFound(
            f"No profile picture stored for {contact_id}; GET the contact first to fetch it.",
            code="picture_not_available",
            details={"contactId": contact_id},
        )
    return contact
