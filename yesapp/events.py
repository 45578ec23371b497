"""Domain events (`session.status`, `message.received`, `message.status`, what is done to a
message: `message.reaction`, `message.edited`, `message.revoked`; votes: `poll.vote`; a contact
typing or recording: `chat.presence`, sent to the webhooks that ask for it; groups:
`group.joined`, `group.left`, `group.participants`, `group.updated`; calls: `call.received`).

Services call `emit` inside their transaction; subscribers (the webhooks outbox) connect
to `domain_event` and write in that same transaction, so an event is stored exactly when
the change that caused it is.
"""

from typing import Any

from django.dispatch import Signal

# Sent with: event (str), session_id (UUID), payload (dict of JSON-ready values).
domain_event = Signal()

SESSION_STATUS = "session.status"
MESSAGE_RECEIVED = "message.received"
MESSAGE_STATUS = "message.status"
MESSAGE_REACTION = "message.reaction"
MESSAGE_EDITED = "message.edited"
MESSAGE_REVOKED = "message.revoked"
# Groups (groups app) and calls (calls app).
GROUP_JOINED = "group.joined"
GROUP_LEFT = "group.left"
GROUP_PARTICIPANTS = "group.participants"
GROUP_UPDATED = "group.updated"
CALL_RECEIVED = "call.received"
POLL_VOTE = "poll.vote"
CHAT_PRESENCE = "chat.presence"
ALL_EVENTS = (
    MESSAGE_RECEIVED,
    MESSAGE_STATUS,
    SESSION_STATUS,
    MESSAGE_REACTION,
    MESSAGE_EDITED,
    MESSAGE_REVOKED,
    GROUP_JOINED,
    GROUP_LEFT,
    GROUP_PARTICIPANTS,
    GROUP_UPDATED,
    CALL_RECEIVED,
    POLL_VOTE,
    CHAT_PRESENCE,
)
# Sent only to a webhook that names them: typing comes and goes many times a minute.
OPT_IN_EVENTS = (CHAT_PRESENCE,)
DEFAULT_EVENTS = tuple(event for event in ALL_EVENTS if event not in OPT_IN_EVENTS)


def emit(event: str, *, session_id, payload: dict[str, Any]) -> None:
    domain_event.send(sender=event, event=event, session_id=session_id, payload=payload)
