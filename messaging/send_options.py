"""Mentions, link previews and forwarded flags: what a message carries besides its content, both
ways. Sent: resolved here from the client's `mentions` and `linkPreview` into `Message.content`
(keys `mentions`, `mentionsAll`, `linkPreview`), and from there into wa-js's send options.
Received: read from a wa-js MsgModel (`mentionedJidList`, `isForwarded`) into the same keys.
"""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

from messaging.models import LidMapping, Message
from yesapp.errors import InvalidInput
from yesapp.validators import normalize_chat_id, phone_from_chat_id

MENTIONS_MAX = 256
MENTION_ALL = "all"
# wa-js 4.6 mentions everyone in a group when the text holds this token (and `detectMentioned`,
# its default, is on): its own pattern, so what we add is what it finds.
_ALL_TOKEN = re.compile(r"(?<![\w@.+-])@all\b")


def _mention_id(session_id: UUID, chat_id: str, item: str) -> str:
    """One person to mention as WhatsApp expects it: a user id; in a group, the person's lid
    when the session learned it (groups address their members by lid now)."""
    try:
        person = normalize_chat_id(item)
    except InvalidInput as exc:
        raise InvalidInput(
            f"{item!r} in mentions is not a phone number (E.164), a user id or 'all'.",
            details={"field": "mentions", "value": item},
        ) from exc
    if not person.endswith(("@c.us", "@lid")):
        raise InvalidInput(
            f"{item!r} in mentions is not a person (a group or broadcast id).",
            details={"field": "mentions", "value": item},
        )
    if chat_id.endswith("@g.us") and person.endswith("@c.us"):
        lid = (
            LidMapping.objects.filter(session_id=session_id, phone=phone_from_chat_id(person))
            .order_by("-learned_at")
            .values_list("lid", flat=True)
            .first()
        )
        return lid or person
    return person


def send_extras(
    *, session_id: UUID, chat_id: str, text: str, mentions: list[str] | None, link_preview: bool | None
) -> tuple[str, dict[str, Any]]:
    """(text, content keys) of a send's mentions and link preview. `all` mentions everyone in a
    group: the `@all` token WhatsApp reads is added to the text when it is not there yet."""
    extras: dict[str, Any] = {}
    if mentions:
        wants_all = MENTION_ALL in mentions
        if wants_all and not chat_id.endswith("@g.us"):
            raise InvalidInput(
                "mentions 'all' is for a group chat (`to` ending in @g.us).", details={"field": "mentions"}
            )
        people = [_mention_id(session_id, chat_id, item) for item in mentions if item != MENTION_ALL]
        extras["mentions"] = list(dict.fromkeys(people))
        if wants_all:
            extras["mentionsAll"] = True
            if not _ALL_TOKEN.search(text):
                text = f"{text} @all" if text else "@all"
    if link_preview is not None:
        extras["linkPreview"] = link_preview
    return text, extras


def engine_options(message: Message) -> dict[str, Any]:
    """wa-js SendMessageOptions for what `send_extras` stored on the message."""
    content = message.content or {}
    options: dict[str, Any] = {}
    if content.get("mentions"):
        options["mentionedList"] = list(content["mentions"])
    if content.get("mentionsAll"):
        options["detectMentioned"] = True
    if "linkPreview" in content:
        options["linkPreview"] = bool(content["linkPreview"])
    return options


def extras_from_event(data: dict) -> dict[str, Any]:
    """The content keys of a received message's mentions and forwarded flag (bridge.js)."""
    extras: dict[str, Any] = {}
    listed = data.get("mentionedJidList")
    if isinstance(listed, list):
        people = [item for item in listed[:MENTIONS_MAX] if isinstance(item, str) and len(item) <= 100]
        if people:
            extras["mentions"] = list(dict.fromkeys(people))
    if data.get("mentionsAll") is True:
        extras["mentionsAll"] = True
    if data.get("isForwarded") is True:
        extras["forwarded"] = True
    return extras
