"""Writes behind the WAHA endpoints: each one is a YesApp service (the same queue, rate limit,
storage, events and key scopes as /api/v1/), plus what WAHA's clients expect on top: sessions
made by name, and a send that answers once WhatsApp gave the message its id."""

from __future__ import annotations

import re
import time
from typing import Any

from django.conf import settings
from django.db import transaction

from messaging.content import MessageContent
from messaging.media import MediaSource
from messaging.models import Message, MessageStatus
from messaging.payloads import message_event_payload
from messaging.services import message_send
from sessions_app.models import DesiredState, Session, SessionStatus
from sessions_app.services import session_create, session_set_status
from waha.errors import SendFailed, SendNotConfirmed
from waha.shapes import wa_message
from yesapp.errors import InvalidInput

# First path segments under /api/ that are YesApp's or the facade's own: a session named so
# would make `/api/{session}/...` ambiguous with them.
RESERVED_NAMES = frozenset({"v1", "schema", "docs", "sessions", "contacts"})
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
_POLL_SECONDS = 0.1


def waha_session_name_check(name: str) -> None:
    """WAHA's session names sit in URL paths: letters, digits, `_ . -`, and none of the words
    YesApp's own paths start with."""
    if name.lower() in RESERVED_NAMES:
        raise InvalidInput(
            f"The session name '{name}' is reserved: /api/{name}/ is a YesApp path. "
            f"Choose another name (not one of {', '.join(sorted(RESERVED_NAMES))}).",
            details={"name": name},
        )
    if not NAME_PATTERN.match(name):
        raise InvalidInput(
            f"The session name '{name}' cannot be used in a URL: use letters, digits, '_', '.' "
            "and '-' (up to 100), starting with a letter or digit.",
            details={"name": name},
        )


def waha_session_create(*, name: str, start: bool, sandbox: bool) -> Session:
    """A YesApp session under WAHA's name; `start: false` leaves it STOPPED, as WAHA does."""
    waha_session_name_check(name)
    with transaction.atomic():
        session, _ = session_create(name=name, sandbox=sandbox)
        if not start:
            # Still inside the create's transaction: the engine's nudge, sent on commit, finds
            # nothing to start.
            session = session_set_status(
                session_id=session.pk,
                status=SessionStatus.STOPPED,
                reason="created without start (WAHA start: false)",
                desired_state=DesiredState.STOPPED,
            )
    return session


def waha_send(
    *,
    session: Session,
    chat_id: str,
    text: str = "",
    media: MediaSource | None = None,
    content: MessageContent | None = None,
    reply_to: str = "",
    mentions: list[str] | None = None,
    link_preview: bool | None = None,
) -> dict[str, Any]:
    """Queues the message like POST /api/v1/sessions/{id}/messages, waits (at most
    WAHA_SEND_WAIT) until WhatsApp has taken it, and answers WAHA's WAMessage."""
    message, _ = message_send(
        session=session,
        to=chat_id,
        text=text,
        media=media,
        content=content,
        reply_to=reply_to,
        mentions=mentions,
        link_preview=link_preview,
    )
    return wa_message(message_event_payload(waha_wait_sent(message)))


def waha_wait_sent(message: Message) -> Message:
    """The message once it is sent (it then has WhatsApp's id), failed, or the wait is over.

    WAHA's clients read the message id from the send's answer (to quote it, react to it), so
    the answer waits for it; bounded, because the queue may be long or the phone offline. A
    send not done in time stays queued: the error says which message to watch."""
    deadline = time.monotonic() + settings.WAHA_SEND_WAIT
    while True:
        message.refresh_from_db()
        if message.status == MessageStatus.FAILED:
            raise SendFailed(
                f"WhatsApp did not take the message: {message.error or message.error_code}.",
                details={"messageId": str(message.pk)},
            )
        if message.wa_id:
            return message
        if time.monotonic() >= deadline:
            raise SendNotConfirmed(
                f"The message is queued but was not sent within {settings.WAHA_SEND_WAIT:g}s "
                f"(YesApp message {message.pk}, status {message.status}); it will still be sent. "
                "Follow it with GET /api/v1/sessions/{sessionId}/messages/{messageId}.",
                details={"messageId": str(message.pk)},
            )
        time.sleep(_POLL_SECONDS)
