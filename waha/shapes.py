"""YesApp's objects in WAHA's shapes, as WAHA's OpenAPI description names them (WAMessage,
SessionInfo, MeInfo). Pure functions of YesApp's own JSON pictures, so the API answers and the
`waha` webhook format say the same thing (one home for each mapping)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sessions_app.models import Session, SessionStatus

ENGINE = "WPP"  # WAHA's name for an engine built on wa-js, which YesApp is

# YesApp's session status -> WAHA's. A `disconnected` session is reconnecting by itself, which
# WAHA shows as STARTING.
SESSION_STATUS = {
    SessionStatus.STARTING: "STARTING",
    SessionStatus.DISCONNECTED: "STARTING",
    SessionStatus.QR: "SCAN_QR_CODE",
    SessionStatus.CONNECTED: "WORKING",
    SessionStatus.STOPPED: "STOPPED",
    SessionStatus.FAILED: "FAILED",
}
WAHA_STATUSES = ("STOPPED", "STARTING", "SCAN_QR_CODE", "WORKING", "FAILED")

# A message's YesApp status -> WAHA's ack (wa-js ACK numbers) and its name.
ACK = {
    "failed": -1,
    "pending": 0,
    "queued": 0,
    "sending": 0,
    "sent": 1,
    "received": 1,
    "delivered": 2,
    "read": 3,
}
ACK_NAMES = {-1: "ERROR", 0: "PENDING", 1: "SERVER", 2: "DEVICE", 3: "READ", 4: "PLAYED"}


def me_info(session: Session) -> dict[str, str] | None:
    """WAHA's MeInfo once a number is linked: `{"id": "<digits>@c.us", "pushName"}`."""
    if not session.phone:
        return None
    return {"id": f"{session.phone.lstrip('+')}@c.us", "pushName": session.push_name or ""}


def session_dto(session: Session, *, config: dict[str, Any]) -> dict[str, Any]:
    return {"name": session.name, "status": SESSION_STATUS[session.status], "config": config}


def session_info(session: Session, *, config: dict[str, Any]) -> dict[str, Any]:
    return {**session_dto(session, config=config), "me": me_info(session), "engine": {"engine": ENGINE}}


def _seconds(iso: str | None) -> int:
    if not iso:
        return 0
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())


def ack_of(status: str) -> int:
    return ACK.get(status, 0)


def wa_message(payload: dict[str, Any]) -> dict[str, Any]:
    """WAHA's WAMessage from YesApp's message payload (messaging.payloads): WhatsApp's own
    serialized id (`true_<chat>_<id>`), integer seconds, and the ack as a number and a name."""
    ack = ack_of(payload.get("status", ""))
    media = payload.get("media")
    media_url = payload.get("mediaUrl")
    reply = payload.get("replyTo")
    answer: dict[str, Any] = {
        "id": payload.get("waMessageId") or "",
        "timestamp": _seconds(payload.get("timestamp")),
        "from": payload.get("from") or "",
        "fromMe": payload.get("direction") == "outbound",
        "source": "api" if payload.get("direction") == "outbound" else "app",
        "to": payload.get("to") or "",
        "participant": payload.get("author") or None,
        "body": payload.get("text") or "",
        "hasMedia": media is not None,
        "media": _media(media, media_url),
        "mediaUrl": media_url,
        "ack": ack,
        "ackName": ACK_NAMES[ack],
        "author": payload.get("author") or None,
        "location": _location(payload.get("location")),
        "vCards": [card.get("vcard", "") for card in payload.get("contacts") or []],
        "replyTo": {"id": reply["waMessageId"]} if reply else None,
    }
    if payload.get("poll"):
        answer["poll"] = payload["poll"]
    return answer


def _media(media: dict | None, url: str | None) -> dict[str, Any] | None:
    if media is None:
        return None
    return {"url": url, "mimetype": media.get("mimetype") or None, "filename": media.get("filename") or None}


def _location(place: dict | None) -> dict[str, Any] | None:
    if not place:
        return None
    return {
        "latitude": str(place.get("latitude")),
        "longitude": str(place.get("longitude")),
        "live": False,
        "name": place.get("name") or None,
        "address": place.get("address") or None,
    }


def _person_id(person: dict | None) -> str | None:
    """A person (YesApp's `{phone, lid}`) as WAHA names them: `<number>@c.us`, else the lid."""
    if not person:
        return None
    return f"{person['phone'].lstrip('+')}@c.us" if person.get("phone") else person.get("lid")


def wa_group(group: dict[str, Any]) -> dict[str, Any]:
    """A group (groups.people.group_json) with WAHA's WPP/WEBJS field names."""
    created = group.get("createdAt")
    return {
        "id": group["id"],
        "subject": group["subject"],
        "description": group["description"],
        "owner": _person_id(group.get("owner")),
        "participants": [
            {
                "id": _person_id(member),
                "isAdmin": member["role"] in ("admin", "superadmin"),
                "isSuperAdmin": member["role"] == "superadmin",
            }
            for member in group["participants"]
        ],
        "announce": group["settings"]["whoCanSend"] == "admins",
        "restrict": group["settings"]["whoCanEdit"] == "admins",
        "creation": int(created.timestamp()) if isinstance(created, datetime) else None,
    }
