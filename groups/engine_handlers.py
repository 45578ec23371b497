"""Groups' part in a session's browser, registered with the engine at startup: the page/groups.js
functions run as one command (`group_op`), and `group.participant_changed` events are stored
as group events; a group heard of for the first time (the session was added to it) has its
subject read from the page's list of groups, so the dashboard's Chats can name it."""

from __future__ import annotations

import logging
from uuid import UUID

from django.conf import settings

from groups import cache, inbound
from groups.services import COMMAND
from groups.subjects import remember_subjects, subjects_of
from sessions_app.engine import registry
from sessions_app.engine.base import Engine, EngineError, PageTimeout

logger = logging.getLogger(__name__)

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
    _learn_subject(session_id, engine, str(data["groupId"]))


def _learn_subject(session_id: UUID, engine: Engine, group_id: str) -> None:
    """The page's groups (and so their subjects) when `group_id`'s subject is not known yet.
    A page that cannot answer now only leaves the group unnamed until the next listing."""
    if subjects_of(session_id=session_id, group_ids=[group_id]):
        return
    try:
        answer = engine.group_op("listGroups", wait=settings.GROUPS_QUERY_TIMEOUT)
    except (PageTimeout, EngineError) as exc:
        logger.info("Group subjects not read for %s: %s", group_id, exc)
        return
    groups = answer.get("value") if isinstance(answer, dict) and not answer.get("failure") else None
    if isinstance(groups, list):
        groups = [g for g in groups if isinstance(g, dict)]
        cache.cache_groups(session_id, groups)
        remember_subjects(session_id=session_id, groups=groups)


def register() -> None:
    registry.on_command(COMMAND, _group_op)
    registry.on_event("group.participant_changed", _participant_changed)
