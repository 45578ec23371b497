"""The engine side of messaging: what a session actor calls from its thread.

The actor owns the browser; these functions turn page events into rows and queued rows
into sends. They are the only messaging code that receives an `Engine`.
"""

from uuid import UUID

from sessions_app.engine.base import Engine


def handle_new_message(*, session_id: UUID, data: dict, engine: Engine) -> None:
    """A `chat.new_message` payload from the bridge (not yet implemented)."""


def handle_ack(*, session_id: UUID, data: dict) -> None:
    """A `chat.msg_ack_change` payload from the bridge (not yet implemented)."""


def send_due(*, session_id: UUID, engine: Engine) -> int:
    """Sends what is due within the rate limit; returns how many were sent (not yet implemented)."""
    return 0


def recover_interrupted(*, session_id: UUID) -> None:
    """Called when an actor (re)starts: settles messages caught mid-send (not yet implemented)."""
