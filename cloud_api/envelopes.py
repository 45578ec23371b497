"""YesApp's events as the Cloud API's webhook envelope (developers.facebook.com, "Webhooks"
reference: the `messages` field):

    {"object": "whatsapp_business_account", "entry": [{"id", "changes": [{"field": "messages",
     "value": {"messaging_product", "metadata", "contacts", "messages" | "statuses"}}]}]}

Made from the event's JSON (events/body.py, the same picture every reader gets) and the
session; ids in Cloud form (cloud_api.ids), numbers as digits, times as Unix seconds, media as
ids that `GET /v{version}/{media-id}` serves. What the Cloud API has no word for (edits,
deletes, our own sends from the phone, session changes) is not sent in this format.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import phonenumbers

from cloud_api.ids import media_id_for, wa_id_for, wamid_for
from cloud_api.messages import MEDIA_TYPES
from messaging.models import Message
from sessions_app.models import Session
from yesapp.file_storage import file_sha256

# The Cloud event names a `cloud` webhook can subscribe to: what arrives, and what happened
# to what was sent.
MESSAGES, STATUSES = "messages", "statuses"
EVENT_NAMES = (MESSAGES, STATUSES)
_STATUSES = ("sent", "delivered", "read", "failed")
# YesApp's types → the Cloud's; anything else arrives as `unsupported`, as on Meta's API.
_TYPES = {"text": "text", "location": "location", "contact": "contacts", "voice": "audio"}
_REACTION_IDS = uuid.UUID("0b6bf0a4-7d1e-4b7e-9d7a-2f1c0e7b5a11")


def _seconds(iso: str | None, fallback: datetime) -> str:
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00")) if iso else fallback
    return str(int(moment.timestamp()))


def user_id_for(phone: str, wa_id: str) -> str:
    """A business-scoped user id (Cloud's `user_id`: an ISO country code, a dot, an id) that
    stays the same for a number: YesApp has one business, so the number's digits are the id."""
    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(phone)) if phone else None
    except phonenumbers.NumberParseException:
        region = None
    return f"{region or 'ZZ'}.{wa_id}"


def _contact(payload: dict[str, Any], *, name: str = "") -> dict[str, Any]:
    person = payload.get("contact") or {}
    phone = person.get("phone") or payload.get("phone") or ""
    wa_id = wa_id_for(phone or payload.get("author") or payload.get("chatId", ""))
    contact: dict[str, Any] = {"wa_id": wa_id, "user_id": user_id_for(phone, wa_id)}
    if name:
        contact["profile"] = {"name": name}
    return contact


def envelope(session: Session, value: dict[str, Any]) -> dict[str, Any]:
    metadata = {
        "display_phone_number": wa_id_for(session.phone or session.wid),
        "phone_number_id": str(session.pk),
    }
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": str(session.pk),
                "changes": [
                    {
                        "field": "messages",
                        "value": {"messaging_product": "whatsapp", "metadata": metadata, **value},
                    }
                ],
            }
        ],
    }


def render_event(
    name: str, payload: dict[str, Any], *, session: Session, at: datetime
) -> list[tuple[str, dict]]:
    """(Cloud event name, envelope) for one YesApp event; [] when the Cloud API has no word for it."""
    if name == "message.received" and payload.get("direction") == "inbound" and not payload.get("action"):
        return [(MESSAGES, envelope(session, _received(payload, at=at)))]
    if name == "message.status" and payload.get("direction") == "outbound":
        status = _status(payload, at=at)
        return [(STATUSES, envelope(session, status))] if status else []
    if name == "message.reaction":
        reaction = payload.get("reaction") or {}
        if not reaction.get("fromMe"):
            return [(MESSAGES, envelope(session, _reaction(payload, reaction, at=at)))]
    return []


def _received(payload: dict[str, Any], *, at: datetime) -> dict[str, Any]:
    contact = _contact(payload, name=payload.get("contactName", ""))
    message: dict[str, Any] = {
        "from": contact["wa_id"],
        "id": wamid_for(payload["messageId"]),
        "timestamp": _seconds(payload.get("timestamp"), at),
    }
    if payload.get("chatId", "").endswith("@g.us"):
        message["group_id"] = payload["chatId"]
    if reply := payload.get("replyTo"):
        quoted = reply.get("messageId")
        message["context"] = {
            "from": contact["wa_id"],
            "id": wamid_for(quoted) if quoted else reply["waMessageId"],
        }
    message |= _content(payload)
    return {"contacts": [contact], "messages": [message]}


def _content(payload: dict[str, Any]) -> dict[str, Any]:
    kind, text = payload.get("type", ""), payload.get("text", "")
    media = payload.get("media")
    if kind == "text":
        return {"type": "text", "text": {"body": text}}
    if kind == "location" and payload.get("location"):
        return {"type": "location", "location": payload["location"]}
    if kind == "contact" and payload.get("contacts"):
        cards = [_card(card) for card in payload["contacts"]]
        return {"type": "contacts", "contacts": cards}
    if media:  # not downloaded (yet): the id answers 404 until it is, as an expired Cloud media id does
        cloud_kind = "audio" if kind == "voice" else kind if kind in MEDIA_TYPES else "document"
        return {"type": cloud_kind, cloud_kind: _media(payload, cloud_kind, voice=kind == "voice")}
    return {
        "type": "unsupported",
        "errors": [
            {
                "code": 131051,
                "title": "Message type unknown",
                "message": "Message type unknown",
                "error_data": {"details": f"YesApp type {kind!r} has no Cloud API form"},
            }
        ],
    }


def _card(card: dict[str, str]) -> dict[str, Any]:
    phone = card.get("phone", "")
    phones = [{"phone": phone, "wa_id": wa_id_for(phone), "type": "CELL"}] if phone else []
    return {
        "name": {"formatted_name": card.get("name", ""), "first_name": card.get("name", "")},
        "phones": phones,
    }


def _media(payload: dict[str, Any], kind: str, *, voice: bool) -> dict[str, Any]:
    media = payload["media"]
    found = {
        "id": media_id_for(payload["messageId"]),
        "mime_type": media.get("mimetype", ""),
        "sha256": _file_sha256(payload["messageId"]),
    }
    if kind in ("image", "video", "document") and payload.get("text"):
        found["caption"] = payload["text"]
    if kind == "document":
        found["filename"] = media.get("filename", "")
    if kind == "audio":
        found["voice"] = voice
    if kind == "sticker":
        found["animated"] = False
    return found


def _file_sha256(message_id: str) -> str:
    message = Message.objects.filter(pk=message_id).only("media_name").first()
    return file_sha256(message.media_name) if message else ""


def _status(payload: dict[str, Any], *, at: datetime) -> dict[str, Any] | None:
    status = payload.get("status")
    # Marking read and showing typing are actions of ours, not messages the Cloud API tracks.
    if status not in _STATUSES or payload.get("action") not in (None, "reaction"):
        return None
    contact = _contact(payload)
    moment = {"sent": "sentAt", "delivered": "deliveredAt", "read": "readAt", "failed": "failedAt"}[status]
    entry: dict[str, Any] = {
        "id": wamid_for(payload["messageId"]),
        "status": status,
        "timestamp": _seconds(payload.get(moment), at),
        "recipient_id": contact["wa_id"],
    }
    if payload.get("chatId", "").endswith("@g.us"):
        entry |= {"recipient_id": payload["chatId"], "recipient_type": "group"}
    if status == "failed":
        error = payload.get("error") or {}
        entry["errors"] = [
            {
                "code": 131000,
                "title": "Something went wrong",
                "message": error.get("message") or "The message could not be sent.",
                "error_data": {"details": f"{error.get('code', 'send_failed')}: {error.get('message', '')}"},
            }
        ]
    return {"contacts": [contact], "statuses": [entry]}


def _reaction(payload: dict[str, Any], reaction: dict[str, Any], *, at: datetime) -> dict[str, Any]:
    person = {"phone": reaction.get("phone", ""), "lid": None}
    contact = _contact({"contact": person, "chatId": reaction.get("from", "")})
    # A contact's reaction is no message of YesApp's: its id is derived, so a repeat is the same id.
    seed = (
        f"{payload['messageId']}:{reaction.get('from')}:{reaction.get('timestamp')}:{reaction.get('emoji')}"
    )
    message = {
        "from": contact["wa_id"],
        "id": wamid_for(uuid.uuid5(_REACTION_IDS, seed)),
        "timestamp": _seconds(reaction.get("timestamp"), at),
        "type": "reaction",
        "reaction": {"message_id": wamid_for(payload["messageId"]), "emoji": reaction.get("emoji", "")},
    }
    return {"contacts": [contact], "messages": [message]}
