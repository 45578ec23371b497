"""What the page tells of groups: wa-js `group.participant_changed` becomes `group.participants`
(who was added, removed, promoted or demoted, and by whom), and `group.joined` / `group.left`
when the session itself is among them."""

from __future__ import annotations

from uuid import UUID

from django.db import transaction

from groups import cache
from groups.people import people_json, person_of
from messaging.inbound import MalformedEvent
from messaging.people import lid_pairs_for
from sessions_app.models import Session
from yesapp import events
from yesapp.validators import phone_from_chat_id

ACTIONS = {
    "add": "add",
    "join": "join",
    "remove": "remove",
    "leaver": "leave",
    "promote": "promote",
    "demote": "demote",
}
JOINED, LEFT = ("add", "join"), ("remove", "leave")


def _ids(value) -> list[str]:
    items = value if isinstance(value, list) else []
    return [str(i.get("_serialized") if isinstance(i, dict) else i) for i in items if i]


def _is_me(session: Session, ids: list[str]) -> bool:
    """Whether the session's own number (or its lid, when known) is among `ids`."""
    mine = {session.wid} if session.wid else set()
    if session.wid:
        lid = lid_pairs_for(session_id=session.id, ids=[session.wid]).get(phone_from_chat_id(session.wid))
        mine |= {lid} if lid else set()
    return bool(mine & set(ids))


def handle_participant_changed(*, session_id: UUID, data) -> None:
    """wa-js `group.participant_changed` {groupId, action, operation, participants, author}."""
    if not isinstance(data, dict) or not str(data.get("groupId") or "").endswith("@g.us"):
        raise MalformedEvent("group.participant_changed without a group id")
    action = ACTIONS.get(str(data.get("action") or data.get("operation") or ""))
    if action is None:
        raise MalformedEvent(f"group.participant_changed with an unknown action {data.get('action')!r}")
    group_id, ids = str(data["groupId"]), _ids(data.get("participants"))
    author = data.get("author")
    author = str(author.get("_serialized") if isinstance(author, dict) else author or "")
    cache.forget_groups(session_id)
    session = Session.objects.get(pk=session_id)
    by = person_of(session_id=session_id, wa_id=author)
    payload = {
        "groupId": group_id,
        "action": action,
        "participants": people_json(session_id=session_id, ids=ids),
        "by": by,
    }
    with transaction.atomic():
        events.emit(events.GROUP_PARTICIPANTS, session_id=session_id, payload=payload)
        if _is_me(session, ids) and action in JOINED:
            events.emit(
                events.GROUP_JOINED,
                session_id=session_id,
                payload={"groupId": group_id, "by": by, "created": False},
            )
        elif _is_me(session, ids) and action in LEFT:
            events.emit(
                events.GROUP_LEFT,
                session_id=session_id,
                payload={"groupId": group_id, "by": by, "removed": action == "remove"},
            )
