"""The engine call for a queued action (messaging.actions), made by the send queue
(messaging.outbound) in the actor's thread, and what it changes on the target once WhatsApp
took it. The action row's own status is recorded by the send queue like a message's."""

from __future__ import annotations

from django.utils import timezone

from messaging.changes import (
    message_record_edit,
    message_record_local_delete,
    message_record_reaction,
    message_record_revoke,
    my_id,
)
from messaging.models import Message, MessageAction, MessageStatus
from messaging.services import message_transition
from sessions_app.engine.base import Engine, SendResult


def hand_action_to_engine(action: Message, engine: Engine) -> SendResult | None:
    """Calls WhatsApp for `action`; None when its target has no WhatsApp id (recorded failed).
    The answer carries no id of its own: an action is known by its target."""
    if action.action in CHAT_ACTIONS:
        return _chat_call(action, engine)
    target = action.target
    if target is None or not target.wa_id:
        message_transition(
            message=action,
            status=MessageStatus.FAILED,
            error_code="message_not_sent",
            error="The message acted on was never sent (it has no WhatsApp id), so nothing was done.",
        )
        return None
    result = _call(action, target, engine)
    if not result.error:
        _apply(action, target)
    return SendResult(wa_id="", ack=result.ack or 1, error=result.error)


CHAT_ACTIONS = (MessageAction.READ, MessageAction.PRESENCE)


def _chat_call(action: Message, engine: Engine) -> SendResult:
    if action.action == MessageAction.READ:
        result = engine.mark_read(action.chat_id)
    else:
        result = engine.set_presence(action.chat_id, action.text)
    return SendResult(wa_id="", ack=1, error=result.error)


def _call(action: Message, target: Message, engine: Engine) -> SendResult:
    if action.action == MessageAction.REACTION:
        return engine.react(target.wa_id, action.text)
    if action.action == MessageAction.EDIT:
        return engine.edit_message(target.wa_id, action.text)
    revoke = action.action == MessageAction.REVOKE
    return engine.delete_message(target.chat_id, target.wa_id, revoke=revoke)


def _apply(action: Message, target: Message) -> None:
    now = timezone.now()
    if action.action == MessageAction.REACTION:
        message_record_reaction(message=target, sender=my_id(target), emoji=action.text, at=now)
    elif action.action == MessageAction.EDIT:
        message_record_edit(message=target, text=action.text, at=now, by_me=True)
    elif action.action == MessageAction.REVOKE:
        message_record_revoke(message=target, at=now, revoked_by="me")
    else:
        message_record_local_delete(message=target, at=now)
