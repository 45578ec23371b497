"""What a location, contact card or poll holds, in the API's words, both ways: built from a
client's request for a send, and read from a wa-js message that arrived.

`Message.content` stores exactly what the API shows under `location`, `contacts` or `poll`,
so the payload (messaging.payloads) needs no translation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from yesapp.errors import InvalidInput
from yesapp.validators import normalize_phone

# wa-js message types as the API names them; the rest keep their wa-js name.
API_TYPES = {
    "chat": "text",
    "ptt": "voice",
    "vcard": "contact",
    "multi_vcard": "contact",
    "poll_creation": "poll",
}
VCARD_MAX_CHARS = 10000
# WhatsApp's poll limits (`WPP.chat.sendCreatePollMessage`).
POLL_OPTIONS_MIN, POLL_OPTIONS_MAX = 2, 12
_TEL = re.compile(r"^(?:item\d+\.)?TEL[^:]*:(.*)$", re.IGNORECASE | re.MULTILINE)
_WAID = re.compile(r"waid=(\d{5,20})", re.IGNORECASE)
_FN = re.compile(r"^FN[^:]*:(.*)$", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class MessageContent:
    """A location, contact card or poll to send: its type and what `Message.content` stores."""

    type: str
    data: dict[str, Any]


def _vcard_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;").replace("\n", "\\n")


def vcard_for(*, name: str, phone: str) -> str:
    """A vCard as WhatsApp writes one: the number twice, as `waid` and in international form."""
    digits = phone.lstrip("+")
    return (
        "BEGIN:VCARD\nVERSION:3.0\n"
        f"N:;{_vcard_escape(name)};;;\nFN:{_vcard_escape(name)}\n"
        f"TEL;type=CELL;type=VOICE;waid={digits}:{phone}\nEND:VCARD"
    )


def _vcard_phone(vcard: str) -> str:
    """The card's first number in E.164 (its `waid` first), or empty when it has none usable."""
    for match in _TEL.finditer(vcard):
        waid = _WAID.search(match.group(0))
        raw = "+" + waid.group(1) if waid else re.sub(r"[^\d+]", "", match.group(1))
        try:
            return normalize_phone(raw if raw.startswith("+") else "+" + raw)
        except InvalidInput:
            continue
    return ""


def _vcard_name(vcard: str) -> str:
    match = _FN.search(vcard)
    return match.group(1).strip().replace("\\,", ",").replace("\\;", ";")[:200] if match else ""


def contact_card(*, name: str = "", phone: str = "", vcard: str = "") -> dict[str, str]:
    """One card as the API shows it: {name, phone, vcard}. From a raw vCard, its FN and first
    number; from a name and number, the vCard WhatsApp would build."""
    if vcard:
        return {
            "name": name or _vcard_name(vcard),
            "phone": phone or _vcard_phone(vcard),
            "vcard": vcard[:VCARD_MAX_CHARS],
        }
    return {"name": name, "phone": phone, "vcard": vcard_for(name=name, phone=phone)}


def contacts_from_vcard(vcard: str) -> list[dict[str, str]]:
    """A client's raw vCard: WhatsApp sends a card built from a name and a number
    (`WPP.chat.sendVCardContactMessage` takes contact ids), so the card needs both."""
    if "BEGIN:VCARD" not in vcard.upper():
        raise InvalidInput("vcard must be a vCard (BEGIN:VCARD ... END:VCARD).", details={"field": "vcard"})
    card = contact_card(vcard=vcard)
    if not card["phone"]:
        raise InvalidInput(
            "The vCard has no usable phone number (a TEL line with an international number or waid).",
            details={"field": "vcard"},
        )
    if not card["name"]:
        raise InvalidInput("The vCard has no name (an FN line).", details={"field": "vcard"})
    return [card]


def poll(*, question: str, options: list[str], multiple_answers: bool) -> dict[str, Any]:
    if len(set(options)) != len(options):
        raise InvalidInput(
            "Poll options must be different from each other.", details={"field": "poll.options"}
        )
    return {"question": question, "options": list(options), "multipleAnswers": multiple_answers}


def content_to_send(kind: str, body: dict) -> MessageContent | None:
    """The content of a validated send body (messaging.api.serializers) of type `kind`."""
    if kind == "location":
        place = body["location"]
        location = {
            "latitude": place["latitude"],
            "longitude": place["longitude"],
            "name": place.get("name", ""),
            "address": place.get("address", ""),
        }
        return MessageContent("location", {"location": location})
    if kind == "contact":
        cards = [contact_card(name=c["name"], phone=c["phone"]) for c in body.get("contacts", [])]
        return MessageContent("contact", {"contacts": cards or contacts_from_vcard(body["vcard"])})
    if kind == "poll":
        spec = body["poll"]
        return MessageContent(
            "poll",
            {
                "poll": poll(
                    question=spec["question"],
                    options=spec["options"],
                    multiple_answers=spec["multipleAnswers"],
                )
            },
        )
    return None


# --- What arrived (a wa-js MsgModel as the bridge hands it over) -------------------------------


def _text(value) -> str:
    return value if isinstance(value, str) else ""


def _number(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if number == number and abs(number) != float("inf") else None


def _location(data: dict) -> dict[str, Any]:
    # wa-js puts the place's name and address in `loc`, one per line.
    name, _, address = _text(data.get("loc")).partition("\n")
    return {
        "latitude": _number(data.get("lat")),
        "longitude": _number(data.get("lng")),
        "name": name.strip()[:200],
        "address": address.strip()[:500],
    }


def _contacts(data: dict, wa_type: str) -> list[dict[str, str]]:
    if wa_type == "vcard":
        return [contact_card(name=_text(data.get("vcardFormattedName")), vcard=_text(data.get("body")))]
    cards = data.get("vcardList") if isinstance(data.get("vcardList"), list) else []
    return [
        contact_card(name=_text(card.get("displayName")), vcard=_text(card.get("vcard")))
        for card in cards[:50]
        if isinstance(card, dict)
    ]


def _poll(data: dict) -> dict[str, Any]:
    options = data.get("pollOptions") if isinstance(data.get("pollOptions"), list) else []
    names = [_text(option.get("name"))[:200] for option in options[:12] if isinstance(option, dict)]
    try:
        selectable = int(data.get("pollSelectableOptionsCount") or 0)
    except (TypeError, ValueError, OverflowError):
        selectable = 0
    return {
        "question": _text(data.get("pollName"))[:500],
        "options": names,
        "multipleAnswers": selectable != 1,
    }


def content_from_event(data: dict, wa_type: str) -> dict[str, Any]:
    """`Message.content` of a received location, contact card or poll; {} for other types."""
    if wa_type == "location":
        return {"location": _location(data)}
    if wa_type in ("vcard", "multi_vcard"):
        return {"contacts": _contacts(data, wa_type)}
    if wa_type == "poll_creation":
        return {"poll": _poll(data)}
    return {}
