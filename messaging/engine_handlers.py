"""Messaging's part in a session's browser, registered with the engine at startup.

The engine's actor calls these in the thread that owns the session's browser (see
sessions_app/engine/registry.py): received messages, receipts, reactions, edits, deletes and
poll votes are stored, a contact's typing is reported, due messages and actions are sent,
sends a crash interrupted are settled, and a reconnected session catches up from the newest
message stored. Contact questions (messaging.contacts, messaging.directory) and chat reads
(messaging.chats) run here as commands.
"""

from __future__ import annotations

from uuid import UUID

from messaging import chats, contacts, directory, inbound, inbound_actions, outbound, polls, presence
from sessions_app.engine import registry
from sessions_app.engine.base import Engine, EngineCrashed, EngineError, PageTimeout
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


def _poll_response(session_id: UUID, data, engine: Engine) -> None:
    polls.handle_poll_response(session_id=session_id, data=data)


def _presence(session_id: UUID, data, engine: Engine) -> None:
    presence.handle_presence_change(session_id=session_id, data=data)


def _send_due(session_id: UUID, engine: Engine) -> int:
    return outbound.send_due(session_id=session_id, engine=engine)


def _send_wait(session_id: UUID) -> float | None:
    # When the next queued message's wait (rate limit, jitter, typing) ends: the actor wakes then.
    return outbound.next_send_in(session_id=session_id)


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


# wa-js errors that mean "no such person or chat" (their code, or the words of their message,
# which is what reaches Python) and the answer's code for them.
_NOT_FOUND = (
    (("invalid_wid", "invalid wid"), directory.NOT_FOUND_CODE),
    (("chat_not_found", "chat not found"), chats.CHAT_NOT_FOUND_CODE),
)


def _ask_page(engine: Engine, step: str, function: str, *args, wait: float) -> dict:
    """A page/contacts.js read as a command's answer: a slow page is `page_timeout`, an id
    WhatsApp rejects (wa-js `invalid_wid`) `contact_not_found`, an unknown chat `chat_not_found`."""
    try:
        return engine.ask_page(step, function, *args, wait=wait)
    except PageTimeout as exc:
        return {"error": str(exc), "code": "page_timeout"}
    except EngineCrashed:
        raise
    except EngineError as exc:
        text = str(exc).lower()
        for words, code in _NOT_FOUND:
            if any(word in text for word in words):
                return {"error": str(exc), "code": code}
        raise


def _list_contacts(session_id: UUID, engine: Engine, args: dict) -> dict:
    return _ask_page(engine, "list contacts", "listContacts", wait=float(args["wait"]))


def _contact_profile(session_id: UUID, engine: Engine, args: dict) -> dict:
    return _ask_page(engine, "read contact", "contactProfile", str(args["id"]), wait=float(args["wait"]))


def _block(session_id: UUID, engine: Engine, args: dict) -> dict:
    block = bool(args["block"])
    return _ask_page(engine, "block contact", "setBlocked", str(args["id"]), block, wait=float(args["wait"]))


def _list_chats(session_id: UUID, engine: Engine, args: dict) -> dict:
    offset, limit = int(args["offset"]), int(args["limit"])
    return _ask_page(engine, "list chats", "listChats", offset, limit, wait=float(args["wait"]))


def _chat_history(session_id: UUID, engine: Engine, args: dict) -> dict:
    chat_id, limit = str(args["chatId"]), int(args["limit"])
    return _ask_page(engine, "read chat history", "chatHistory", chat_id, limit, wait=float(args["wait"]))


def register() -> None:
    registry.on_event("chat.new_message", _new_message)
    registry.on_event("chat.msg_ack_change", _ack)
    registry.on_event("chat.new_reaction", _reaction)
    registry.on_event("chat.msg_revoke", _revoke)
    registry.on_event("chat.msg_edited", _edit)
    registry.on_event("chat.poll_response", _poll_response)
    registry.on_event("chat.presence_change", _presence)
    registry.add_send_step(_send_due)
    registry.add_send_wait(_send_wait)
    registry.add_start_step(_recover)
    registry.add_catch_up_since(_catch_up_since)
    registry.on_command(contacts.CHECK_COMMAND, _check_numbers)
    registry.on_command(contacts.PN_LID_COMMAND, _pn_lid_entry)
    registry.on_command(directory.LIST_COMMAND, _list_contacts)
    registry.on_command(directory.PROFILE_COMMAND, _contact_profile)
    registry.on_command(directory.BLOCK_COMMAND, _block)
    registry.on_command(chats.LIST_COMMAND, _list_chats)
    registry.on_command(chats.HISTORY_COMMAND, _chat_history)
