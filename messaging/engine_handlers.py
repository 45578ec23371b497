"""Messaging's part in a session's browser, registered with the engine at startup.

The engine's actor calls these in the thread that owns the session's browser (see
sessions_app/engine/registry.py): received messages, receipts, reactions, edits and deletes
are stored, due messages and actions are sent, sends a crash interrupted are settled, and a
reconnected session catches up from the newest message stored. Contact questions
(messaging.contacts) run here as commands.
"""

from __future__ import annotations

from uuid import UUID

from messaging import contacts, inbound, inbound_actions, outbound
from sessions_app.engine import registry
from sessions_app.engine.base import Engine, PageTimeout
from sessions_app.services import session_touch


def _new_message(session_id: UUID, data, engine: Engine) -> None:
    contacts.contact_learn_sender(session_id=session_id, data=data, engine=engine)
    inbound.handle_new_message(session_id=session_id, data=data, engine=engine)
    session_touch(session_id=session_id)


def _ack(session_id: UUID, data, engine: Engine) -> None:
    inbound.handle_ack(session_id=session_id, data=data)


def _reaction(session_id: UUID, data, engine: Engine) -> None:
    inbound_actions.handle_reaction(session_id=session_id, data=data)


def _revoke(session_id: UUID, data, engine: Engine) -> None:
    inbound_actions.handle_revoke(session_id=session_id, data=data)


def _edit(session_id: UUID, data, engine: Engine) -> None:
    inbound_actions.handle_edit(session_id=session_id, data=data)


def _send_due(session_id: UUID, engine: Engine) -> int:
    # A wait about to end (typing, jitter) counts as work: the actor then looks again at once.
    sent = outbound.send_due(session_id=session_id, engine=engine)
    return sent or int(outbound.wait_ends_soon(session_id=session_id))


def _recover(session_id: UUID) -> None:
    outbound.recover_interrupted(session_id=session_id)


def _catch_up_since(session_id: UUID) -> float | None:
    return inbound.catch_up_since(session_id=session_id)


def _check_numbers(session_id: UUID, engine: Engine, args: dict) -> dict:
    try:
        return {"results": engine.check_numbers(list(args["chatIds"]), wait=float(args["wait"]))}
    except PageTimeout as exc:
        return {"error": str(exc), "code": "page_timeout"}


def _pn_lid_entry(session_id: UUID, engine: Engine, args: dict) -> dict:
    try:
        return engine.pn_lid_entry(str(args["id"]), wait=float(args["wait"]))
    except PageTimeout as exc:
        return {"error": str(exc), "code": "page_timeout"}


def register() -> None:
    registry.on_event("chat.new_message", _new_message)
    registry.on_event("chat.msg_ack_change", _ack)
    registry.on_event("chat.new_reaction", _reaction)
    registry.on_event("chat.msg_revoke", _revoke)
    registry.on_event("chat.msg_edited", _edit)
    registry.add_send_step(_send_due)
    registry.add_start_step(_recover)
    registry.add_catch_up_since(_catch_up_since)
    registry.on_command(contacts.CHECK_COMMAND, _check_numbers)
    registry.on_command(contacts.PN_LID_COMMAND, _pn_lid_entry)
