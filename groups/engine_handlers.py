"""Groups' part in a session's browser, registered with the engine at startup: the page/groups.js
functions run as one command (`group_op`), and `group.participant_changed` events are stored
as group events."""

from __future__ import annotations

from uuid import UUID

from groups import inbound
from groups.services import COMMAND
from sessions_app.engine import registry
from sessions_app.engine.base import Engine, PageTimeout

FUNCTIONS = frozenset(
    {
        "listGroups",
        "createGroup",
        "changeParticipants",
        "updateGroup",
        "inviteCode",
        "joinGroup",
        "leaveGroup",
    }
)


def _group_op(session_id: UUID, engine: Engine, args: dict) -> dict:
    function = str(args.get("function") or "")
    if function not in FUNCTIONS:
        return {"error": f"Unknown group function {function!r}", "code": "bad_command"}
    try:
        return engine.group_op(function, *list(args.get("args") or []), wait=float(args["wait"]))
    except PageTimeout as exc:
        return {"error": str(exc), "code": "page_timeout"}


def _participant_changed(session_id: UUID, data, engine: Engine) -> None:
    inbound.handle_participant_changed(session_id=session_id, data=data)


def register() -> None:
    registry.on_command(COMMAND, _group_op)
    registry.on_event("group.participant_changed", _participant_changed)
