"""`POST /{phone-number-id}/messages`: a Cloud API message body, sent through YesApp's own
queue (messaging.services.message_send, messaging.actions).

The body arrives validated by api/serializers.py; this module decides what YesApp call each
type is, and refuses plainly what a linked phone cannot send (templates, interactive buttons,
lists and flows exist only on Meta's Business Platform).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cloud_api.errors import INVALID_PARAMETER, NO_SUCH_OBJECT, UNSUPPORTED_TYPE, GraphError
from cloud_api.ids import message_id_from_wamid, wa_id_for, wamid_for
from cloud_api.media import media_file_for_key, media_source_for
from messaging import actions, selectors, services
from messaging.content import content_to_send
from messaging.media import MediaSource
from messaging.models import Message
from sessions_app.models import Session
from yesapp.errors import NotFound
from yesapp.models import ApiKey
from yesapp.validators import normalize_phone

MEDIA_TYPES = ("image", "video", "audio", "document", "sticker")
SENDABLE = ("text", *MEDIA_TYPES, "location", "contacts", "reaction")
# What the Cloud API sends that only Meta's Business Platform can: the reason, said plainly.
PLATFORM_ONLY = {
    "template": "Message templates are a feature of Meta's WhatsApp Business Platform; a phone linked "
    "to YesApp sends its messages as the person it is, so there is no template to send. Send the text "
    "itself (type text) instead.",
    "interactive": "Interactive messages (reply buttons, lists, flows, product messages, call-to-action "
    "URLs) exist only on Meta's WhatsApp Business Platform; WhatsApp on a linked phone cannot send "
    "them. Send a text that lists the choices instead.",
}


@dataclass(frozen=True)
class Sent:
    """The answer's parts: who it went to (as given, and as a wa_id) and the message's wamid."""

    to: str
    wa_id: str
    message: Message

    def body(self) -> dict[str, Any]:
        return {
            "messaging_product": "whatsapp",
            "contacts": [{"input": self.to, "wa_id": self.wa_id}],
            "messages": [{"id": wamid_for(self.message.pk)}],
        }


def _unsupported(kind: str) -> GraphError:
    reason = PLATFORM_ONLY.get(kind) or (
        f"Message type {kind!r} is not supported by YesApp's Cloud API facade; it sends "
        f"{', '.join(SENDABLE)}, and read receipts."
    )
    return GraphError(reason, status=400, graph_code=UNSUPPORTED_TYPE, code="unsupported_message_type")


def _recipient(to: str) -> str:
    """YesApp's `to` for a Cloud `to`: digits (with or without +) are a number; a chat id stays."""
    text = to.strip()
    return text if "@" in text else "+" + text.lstrip("+")


def target_message(*, key: ApiKey, session: Session, wamid: str, field: str) -> Message:
    """The message a `wamid` (ours, from an answer or a webhook) names, in this session."""
    pk = message_id_from_wamid(wamid)
    if pk is None:
        raise GraphError(
            f"{field}: {wamid!r} is not a message id of this phone number (a wamid from a send "
            "answer or a webhook).",
            status=400,
            graph_code=INVALID_PARAMETER,
            code="invalid_message_id",
        )
    try:
        return selectors.message_for_key(key=key, message_id=pk, session=session)
    except NotFound as exc:  # said in Graph's words for an object id
        raise GraphError(
            f"{field}: message {wamid!r} does not exist on this phone number.",
            status=404,
            graph_code=INVALID_PARAMETER,
            subcode=NO_SUCH_OBJECT,
            code="message_not_found",
        ) from exc


def cloud_message_send(*, key: ApiKey, session: Session, body: dict[str, Any]) -> Sent:
    """Sends one Cloud API message (validated body); returns what the answer names."""
    kind = body["type"]
    if kind not in SENDABLE:
        raise _unsupported(kind)
    to = body["to"]
    if kind == "reaction":
        reaction = body["reaction"]
        target = target_message(
            key=key, session=session, wamid=reaction["message_id"], field="reaction.message_id"
        )
        action = actions.message_react(target=target, emoji=reaction["emoji"])
        return Sent(to, wa_id_for(target.chat_id), action)
    reply_to = ""
    if context := body.get("context"):
        reply_to = str(
            target_message(
                key=key, session=session, wamid=context["message_id"], field="context.message_id"
            ).pk
        )
    text, media, content = _what_to_send(key=key, session=session, kind=kind, body=body)
    message, _ = services.message_send(
        session=session, to=_recipient(to), text=text, media=media, content=content, reply_to=reply_to
    )
    return Sent(to, wa_id_for(message.chat_id), message)


def _what_to_send(
    *, key: ApiKey, session: Session, kind: str, body: dict
) -> tuple[str, MediaSource | None, Any]:
    if kind == "text":
        return body["text"]["body"], None, None
    if kind == "location":
        return "", None, content_to_send("location", {"location": body["location"]})
    if kind == "contacts":
        return "", None, content_to_send("contact", {"contacts": _contact_cards(body["contacts"])})
    spec = body[kind]
    # A sticker goes out as the image it is (a linked phone sends WebP stickers as images).
    as_kind = "voice" if kind == "audio" and spec.get("voice") else ("image" if kind == "sticker" else kind)
    caption = spec.get("caption", "") if kind in ("image", "video", "document") else ""
    filename = spec.get("filename", "")
    if "link" in spec:
        return caption, MediaSource(kind=as_kind, url=spec["link"], filename=filename), None
    media = media_file_for_key(key=key, media_id=spec["id"], session=session)
    return caption, media_source_for(media, kind=as_kind, filename=filename), None


def _contact_cards(contacts: list[dict]) -> list[dict[str, str]]:
    """YesApp's cards (a name and a number each) from Cloud contacts: the formatted name and the
    first phone, its wa_id when given."""
    cards = []
    for index, contact in enumerate(contacts):
        phones = contact.get("phones") or []
        if not phones:
            raise GraphError(
                f"contacts[{index}] has no phones; a contact card on WhatsApp needs a number.",
                status=400,
                graph_code=INVALID_PARAMETER,
                code="validation_error",
            )
        first = phones[0]
        raw = first.get("wa_id") or first.get("phone", "")
        digits = "".join(ch for ch in raw if ch.isdigit())
        cards.append({"name": contact["name"]["formatted_name"], "phone": normalize_phone("+" + digits)})
    return cards


def cloud_mark_read(*, key: ApiKey, session: Session, message_id: str, typing: bool) -> None:
    """`{"status": "read"}`: marks the message's chat read (WhatsApp Web reads a chat, not one
    message) and, with a typing indicator, shows typing there, as Cloud's indicator does."""
    target = target_message(key=key, session=session, wamid=message_id, field="message_id")
    actions.chat_mark_read(session=session, chat=target.chat_id)
    if typing:
        actions.chat_set_presence(session=session, chat=target.chat_id, state="typing")
