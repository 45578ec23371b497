"""YesApp's ids in the Cloud API's forms, both ways.

- A message id is a `wamid.` followed by the 16 bytes of YesApp's message UUID in URL-safe
  base64: opaque like Meta's, and reversible, so a `wamid` a client got back (in an answer or a
  webhook) names the same message when it replies, reacts or marks it read.
- A media id is the UUID as a decimal number: Cloud clients tell a media id from a URL, a path
  or base64 by its being all digits (pywa's `detect_media_source` does).
- A `wa_id` is the digits of a number: `+33612345678` and `33612345678@c.us` are `33612345678`.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid

WAMID_PREFIX = "wamid."
_WAMID = re.compile(r"^wamid\.([A-Za-z0-9_-]{22})$")
_MEDIA_ID = re.compile(r"^\d{1,39}$")


def wamid_for(message_id: uuid.UUID | str) -> str:
    raw = uuid.UUID(str(message_id)).bytes
    return WAMID_PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def message_id_from_wamid(wamid: str) -> uuid.UUID | None:
    """The YesApp message id a `wamid` stands for; None for anything that is not one of ours."""
    match = _WAMID.match((wamid or "").strip())
    if not match:
        return None
    try:
        return uuid.UUID(bytes=base64.urlsafe_b64decode(match.group(1) + "=="))
    except (binascii.Error, ValueError):
        return None


def media_id_for(pk: uuid.UUID | str) -> str:
    return str(uuid.UUID(str(pk)).int)


def uuid_from_media_id(media_id: str) -> uuid.UUID | None:
    if not _MEDIA_ID.match(media_id or ""):
        return None
    number = int(media_id)
    return uuid.UUID(int=number) if number < 2**128 else None


def wa_id_for(chat_id_or_phone: str) -> str:
    """Digits only, as the Cloud API writes a user's id; a group keeps its own id."""
    value = chat_id_or_phone or ""
    if value.endswith("@g.us"):
        return value
    return "".join(ch for ch in value.split("@", 1)[0] if ch.isdigit())
