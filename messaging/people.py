"""A person in YesApp's payloads: `{"phone": "+33..." | null, "lid": "...@lid" | null}`, beside
the WhatsApp ids (`from`, `chatId`) that stay as they are. The half an id does not carry comes
from the session's known phone–lid pairs (LidMapping, learned by messaging.contacts); unknown
stays null, never a guess."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from django.db.models import Q

from messaging.models import Direction, LidMapping, Message
from yesapp.validators import phone_from_chat_id


def message_person_id(message: Message) -> str:
    """The WhatsApp id of the person a message is with: the sender of an inbound one (the member
    in a group), the recipient of an outbound one; "" when that is a group or a broadcast."""
    person = (
        (message.author or message.chat_id) if message.direction == Direction.INBOUND else message.chat_id
    )
    return person if person.endswith(("@c.us", "@lid")) else ""


def lid_pairs_for(*, session_id: UUID, ids: Iterable[str]) -> dict[str, str]:
    """The other half of each id's known pair, in one query: E.164 phone → lid, lid → phone."""
    phones = {phone_from_chat_id(value) for value in ids if value.endswith("@c.us")}
    lids = {value for value in ids if value.endswith("@lid")}
    if not phones and not lids:
        return {}
    pairs: dict[str, str] = {}
    rows = LidMapping.objects.filter(Q(phone__in=phones) | Q(lid__in=lids), session_id=session_id)
    for lid, phone in rows.order_by("learned_at").values_list("lid", "phone"):
        pairs[lid], pairs[phone] = phone, lid
    return pairs


def person_json(person_id: str, pairs: dict[str, str]) -> dict | None:
    if person_id.endswith("@c.us"):
        phone = phone_from_chat_id(person_id)
        return {"phone": phone, "lid": pairs.get(phone)}
    if person_id.endswith("@lid"):
        return {"phone": pairs.get(person_id), "lid": person_id}
    return None


def message_person(message: Message, pairs: dict[str, str] | None = None) -> dict | None:
    """The person of one message; `pairs` from lid_pairs_for when many are shown at once."""
    person_id = message_person_id(message)
    if not person_id:
        return None
    if pairs is None:
        pairs = lid_pairs_for(session_id=message.session_id, ids=[person_id])
    return person_json(person_id, pairs)


def messages_lid_pairs(messages: Iterable[Message]) -> dict[str, str]:
    """lid_pairs_for every person of a page of messages (all of one session)."""
    messages = list(messages)
    if not messages:
        return {}
    ids = {message_person_id(message) for message in messages} - {""}
    for message in messages:  # the people they mention too (payloads._mentions)
        ids.update(message.content.get("mentions") or [])
    return lid_pairs_for(session_id=messages[0].session_id, ids=ids)
