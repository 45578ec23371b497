"""Locations, contact cards, polls and quotes in the sandbox: what the page sends (as
`WPP.chat.sendLocationMessage`, `sendVCardContactMessage`, `sendCreatePollMessage` and the
`quotedMsg` option take them), what the simulated phone sends back, and how both look in a
wa-js MsgModel and in the outbox.

`SandboxMessage.content` holds the MsgModel fields WhatsApp Web gives such a message (`lat`,
`lng`, `loc`; `body` + `vcardFormattedName` or `vcardList`; `pollName`, `pollOptions`,
`pollSelectableOptionsCount`), so the page hands them over as they are.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from sandbox.models import SandboxMessage
from sessions_app.models import Session
from yesapp.errors import InvalidInput, NotFound
from yesapp.validators import normalize_phone

_USER_WID = re.compile(r"^(\d{5,20})@c\.us$")
_WAID = re.compile(r"waid=(\d{5,20})", re.IGNORECASE)


@dataclass(frozen=True)
class RichContent:
    """A message that is not text or a file: its wa-js type and MsgModel fields."""

    type: str  # location | vcard | multi_vcard | poll_creation
    fields: dict[str, Any]


def _vcard(name: str, phone: str) -> str:
    """The vCard WhatsApp builds for a contact: its number as `waid` and in international form."""
    digits = phone.lstrip("+")
    return (
        f"BEGIN:VCARD\nVERSION:3.0\nN:;{name};;;\nFN:{name}\n"
        f"TEL;type=CELL;type=VOICE;waid={digits}:+{digits}\nEND:VCARD"
    )


def _number(value, *, limit: float, what: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"{what} is not a number.", details={what: value}) from exc
    if not math.isfinite(number) or abs(number) > limit:
        raise InvalidInput(f"{what} must be between -{limit:g} and {limit:g}.", details={what: value})
    return number


def location(*, lat, lng, name: str = "", address: str = "") -> RichContent:
    # WhatsApp Web keeps the place's name and address in `loc`, one per line.
    loc = "\n".join(part for part in (name, address) if part)
    return RichContent(
        "location",
        {"lat": _number(lat, limit=90, what="lat"), "lng": _number(lng, limit=180, what="lng"), "loc": loc},
    )


def contacts(cards: list[tuple[str, str]]) -> RichContent:
    """Cards of (name, E.164 phone): one is a `vcard` message, several a `multi_vcard`."""
    if not cards:
        raise InvalidInput("A contact message needs at least one contact.")
    vcards = [{"displayName": name, "vcard": _vcard(name, phone)} for name, phone in cards]
    if len(vcards) == 1:
        return RichContent(
            "vcard", {"body": vcards[0]["vcard"], "vcardFormattedName": vcards[0]["displayName"]}
        )
    return RichContent("multi_vcard", {"vcardList": vcards})


def poll(*, question: str, options: list[str], selectable: int) -> RichContent:
    if not question or not 2 <= len(options) <= 12:
        raise InvalidInput("A poll needs a question and 2 to 12 options.", details={"options": options})
    choices = [{"localId": index, "name": str(option)} for index, option in enumerate(options)]
    return RichContent(
        "poll_creation",
        {"pollName": question, "pollOptions": choices, "pollSelectableOptionsCount": selectable},
    )


def from_page(data: dict) -> RichContent | None:
    """What the page's WPP posts for a location, contact cards or a poll (its `type`)."""
    kind = data.get("type")
    if kind == "location":
        return location(
            lat=data.get("lat"),
            lng=data.get("lng"),
            name=_str(data.get("name")),
            address=_str(data.get("address")),
        )
    if kind == "vcard":
        cards = data.get("contacts") if isinstance(data.get("contacts"), list) else []
        return contacts([_page_card(card) for card in cards])
    if kind == "poll_creation":
        options = data.get("choices") if isinstance(data.get("choices"), list) else []
        return poll(
            question=_str(data.get("name")), options=options, selectable=int(data.get("selectableCount") or 0)
        )
    return None


def from_phone(params: dict) -> RichContent | None:
    """What the sandbox API's simulated contact sends besides text and files."""
    if place := params.get("location"):
        return location(
            lat=place["latitude"], lng=place["longitude"], name=place["name"], address=place["address"]
        )
    if cards := params.get("contacts"):
        return contacts([(card["name"], card["phone"]) for card in cards])
    if spec := params.get("poll"):
        return poll(
            question=spec["question"], options=spec["options"], selectable=0 if spec["multipleAnswers"] else 1
        )
    return None


def _str(value) -> str:
    return value if isinstance(value, str) else ""


def _page_card(card) -> tuple[str, str]:
    """wa-js takes a contact as a Wid (`<digits>@c.us`) or `{id, name}`."""
    card = card if isinstance(card, dict) else {"id": card}
    match = _USER_WID.match(_str(card.get("id")))
    if not match:
        raise InvalidInput(f"{card.get('id')!r} is not a WhatsApp user id.", code="invalid_wid")
    return _str(card.get("name")) or match.group(1), "+" + match.group(1)


_MENTIONABLE = re.compile(r"^\d{5,20}@(?:c\.us|lid)$")
_URL = re.compile(r"https?://[^\s<>\"]+", re.IGNORECASE)


def extras(
    *, mentioned, link_preview: bool = False, text: str = "", forwarded: bool = False
) -> dict[str, Any]:
    """MsgModel fields of what a message carries besides its content: `mentionedJidList` (user
    ids, as wa-js checks them: `mentioned_is_not_user`), a link preview of the text's first URL
    (`matchedText`, `canonicalUrl`, `title`; the sandbox fetches nothing), `isForwarded`."""
    if not isinstance(mentioned, list):
        raise InvalidInput("mentionedList is not an array.", code="mentioned_list_is_not_array")
    fields: dict[str, Any] = {}
    for item in mentioned:
        if not isinstance(item, str) or not _MENTIONABLE.match(item):
            raise InvalidInput("Mentioned is not an user", code="mentioned_is_not_user", details={"id": item})
    if mentioned:
        fields["mentionedJidList"] = list(dict.fromkeys(mentioned))
    url = _URL.search(text) if link_preview else None
    if url:
        host = url.group(0).split("/")[2]
        fields |= {"subtype": "url", "matchedText": url.group(0), "canonicalUrl": url.group(0), "title": host}
    if forwarded:
        fields |= {"isForwarded": True, "forwardingScore": 1}
    return fields


WAVEFORM_BARS = 64


def waveform(data: bytes) -> list[int]:
    """A voice note's 64 bars (0-100), as WhatsApp stores them with a push-to-talk message. wa-js
    measures the decoded audio; the sandbox, which decodes nothing, takes the bytes' spread in
    each slice: the same shape of value, different each file."""
    size = max(1, len(data) // WAVEFORM_BARS)
    bars = []
    for index in range(WAVEFORM_BARS):
        chunk = data[index * size : (index + 1) * size] or b"\x00"
        bars.append(round((max(chunk) - min(chunk)) * 100 / 255))
    return bars


def phone_mentions(phones: list[str]) -> list[str]:
    """The user ids of the numbers a simulated contact mentions."""
    return [normalize_phone(phone).lstrip("+") + "@c.us" for phone in phones]


def outbox_extras(message: SandboxMessage) -> dict[str, Any]:
    """What the contact's phone shows besides the content: who is mentioned, the link preview."""
    return {
        "mentions": list(message.content.get("mentionedJidList", [])),
        "linkPreview": message.content.get("matchedText") or None,
        "isForwarded": bool(message.content.get("isForwarded")),
        "waveform": message.content.get("waveform"),
    }


def quoted(*, session: Session, wa_id: str) -> str:
    """`quotedMsg`: the message must be in the session's chats, as wa-js finds it, or the send
    fails with wa-js's `msg_not_found`."""
    if wa_id and not SandboxMessage.objects.filter(session=session, wa_id=wa_id).exists():
        raise NotFound(f"Message {wa_id} not found", code="msg_not_found", details={"id": wa_id})
    return wa_id


def model_fields(message: SandboxMessage, *, me: str) -> dict[str, Any]:
    """The MsgModel fields of its content and quote (wa-js `quotedStanzaID`: the id part of the
    quoted key; `quotedParticipant`: who wrote it)."""
    fields = dict(message.content)
    if message.quoted_wa_id:
        from_me, _, rest = message.quoted_wa_id.partition("_")
        remote, _, stanza = rest.partition("_")
        fields |= {
            "quotedStanzaID": stanza,
            "quotedRemoteJid": remote,
            "quotedParticipant": me if from_me == "true" else remote,
        }
    return fields


# --- In the outbox: what the contact's phone shows ---------------------------------------------


def outbox_location(message: SandboxMessage) -> dict | None:
    if message.type != "location":
        return None
    name, _, address = message.content.get("loc", "").partition("\n")
    return {
        "latitude": message.content.get("lat"),
        "longitude": message.content.get("lng"),
        "name": name,
        "address": address,
    }


def outbox_contacts(message: SandboxMessage) -> list[dict] | None:
    if message.type == "vcard":
        cards = [
            {
                "displayName": message.content.get("vcardFormattedName", ""),
                "vcard": message.content.get("body", ""),
            }
        ]
    elif message.type == "multi_vcard":
        cards = message.content.get("vcardList", [])
    else:
        return None
    return [
        {"name": card["displayName"], "phone": _card_phone(card["vcard"]), "vcard": card["vcard"]}
        for card in cards
    ]


def _card_phone(vcard: str) -> str:
    match = _WAID.search(vcard)
    return normalize_phone("+" + match.group(1)) if match else ""


def outbox_poll(message: SandboxMessage) -> dict | None:
    if message.type != "poll_creation":
        return None
    return {
        "question": message.content.get("pollName", ""),
        "options": [option["name"] for option in message.content.get("pollOptions", [])],
        "multipleAnswers": message.content.get("pollSelectableOptionsCount", 0) != 1,
    }
