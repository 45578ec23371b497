"""Groups of a session, read and changed through its WhatsApp Web page (WPP.group.*).

Every call is a command to the session's browser with a bounded wait (session_page_query: 409
when the session is not connected, 504 when the page is slow). The list of groups is cached
briefly (groups/cache.py) and dropped on every change; the subjects it shows are kept in the
database (groups/subjects.py) for the dashboard's Chats. wa-js's refusals become clear errors:
404 `group_not_found`, 403 `not_group_admin`, 404 `invalid_invite_code`.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.db import transaction

from groups import cache
from groups.people import group_json, person_of
from groups.subjects import remember_subjects
from messaging.people import lid_pairs_for, person_json
from sessions_app.models import Session
from sessions_app.page_query import session_page_query
from yesapp import events
from yesapp.errors import Forbidden, InvalidInput, NotFound, ServiceError
from yesapp.validators import phone_from_chat_id, phone_to_chat_id

COMMAND = "group_op"
INVITE_LINK = "https://chat.whatsapp.com/"
_INVITE_CODE = re.compile(r"^(?:https?://chat\.whatsapp\.com/)?([A-Za-z0-9]{10,40})$")
_NOT_FOUND = ("group_not_exist", "not_a_group", "group_not_found")
_NOT_ADMIN = (
    "group_you_are_not_admin",
    "you_not_group_admin",
    "group_you_are_restricted_member",
    "you_are_not_allowed_set_group_subject",
    "you_are_not_allowed_set_group_description",
    "you_are_not_allowed_set_group_property",
)
ADD_STATUS = {
    200: "added",
    403: "invited",
    404: "not_on_whatsapp",
    408: "recently_left",
    409: "already_member",
}
CHANGE_STATUS = {
    "group_participant_is_already_a_group_admin": "already_admin",
    "group_participant_is_already_not_a_group_admin": "not_admin",
    "group_participant_is_not_a_group_member": "not_member",
    "group_participant_not_found": "not_member",
}
DONE = {"remove": "removed", "promote": "promoted", "demote": "demoted"}


class WhatsAppRefused(ServiceError):
    """WhatsApp refused a group operation for a reason without a more precise answer."""

    status_code = 422
    code = "whatsapp_refused"


def _ask(session: Session, function: str, *args, group_id: str = ""):
    """Runs a page/groups.js function; its wa-js failure becomes the matching API error."""
    answer = session_page_query(
        session=session,
        command=COMMAND,
        args={"function": function, "args": list(args)},
        wait=settings.GROUPS_QUERY_TIMEOUT,
    )
    failure = answer.get("failure")
    if not failure:
        return answer.get("value")
    code, message = str(failure.get("code") or ""), str(failure.get("message") or "")
    details = {"groupId": group_id, "whatsappCode": code} if group_id else {"whatsappCode": code}
    if code in _NOT_FOUND:
        raise NotFound(f"The session is not in a group {group_id}.", code="group_not_found", details=details)
    if code in _NOT_ADMIN:
        raise Forbidden(
            "Only the group's admins may do this, and the session is not one.",
            code="not_group_admin",
            details=details,
        )
    if code == "invalid_invite_code":
        raise NotFound(
            "The invite code is invalid or was revoked.", code="invalid_invite_code", details=details
        )
    raise WhatsAppRefused(f"WhatsApp refused {function}: {message or code}", details=details)


# --- reads ---------------------------------------------------------------------------------------


def _raw_groups(session: Session, *, fresh: bool = False) -> list[dict]:
    groups = None if fresh else cache.cached_groups(session.id)
    if groups is None:
        groups = [g for g in _ask(session, "listGroups") or [] if isinstance(g, dict)]
        cache.cache_groups(session.id, groups)
        remember_subjects(session_id=session.id, groups=groups)
    return groups


def _raw_group(session: Session, group_id: str, *, fresh: bool = False) -> dict:
    for group in _raw_groups(session, fresh=fresh):
        if group.get("id") == group_id:
            return group
    raise NotFound(
        f"The session is not in a group {group_id}.", code="group_not_found", details={"groupId": group_id}
    )


def group_list(*, session: Session) -> list[dict]:
    """The groups the session is in (cached for GROUPS_CACHE_SECONDS)."""
    return [group_json(session_id=session.id, raw=raw) for raw in _raw_groups(session)]


def group_get(*, session: Session, group_id: str) -> dict:
    return group_json(session_id=session.id, raw=_raw_group(session, group_id))


# --- changes -------------------------------------------------------------------------------------


def _chat_ids_to_add(session: Session, people: list[str]) -> list[str]:
    """Phone chat ids for E.164 numbers and lids whose number is known; 404 for a lid without
    (a state of what the session has seen, not a malformed request)."""
    pairs = lid_pairs_for(session_id=session.id, ids=[p for p in people if p.endswith("@lid")])
    ids = []
    for person in people:
        phone = pairs.get(person) if person.endswith("@lid") else person
        if not phone:
            raise NotFound(
                f"The number behind {person} is unknown; add people by phone number.",
                code="lid_number_unknown",
                details={"participant": person},
            )
        ids.append(phone_to_chat_id(phone))
    return list(dict.fromkeys(ids))


def group_create(*, session: Session, subject: str, participants: list[str]) -> tuple[dict, list[dict]]:
    """WPP.group.create: the new group as `group_get` shows it, and each participant's outcome.
    Emits `group.joined` (the session is its owner)."""
    created = _ask(session, "createGroup", subject, _chat_ids_to_add(session, participants)) or {}
    group_id = str(created.get("id") or "")
    cache.forget_groups(session.id)
    results = _add_results(session, created.get("participants") or {})
    group = group_get(session=session, group_id=group_id)
    with transaction.atomic():
        me = person_of(session_id=session.id, wa_id=session.wid)
        events.emit(
            events.GROUP_JOINED,
            session_id=session.id,
            payload={"groupId": group_id, "by": me, "created": True},
        )
    return group, results


def _add_results(session: Session, answers: dict) -> list[dict]:
    pairs = lid_pairs_for(session_id=session.id, ids=list(answers))
    results = []
    for wid, answer in answers.items():
        person = person_json(wid, pairs) or {"phone": None, "lid": None}
        answer = answer if isinstance(answer, dict) else {}
        code = answer.get("code")
        result = {"participant": person, "status": ADD_STATUS.get(code, "failed"), "inviteCode": None}
        if code == 403:
            result["inviteCode"] = answer.get("invite_code") or None
        if result["status"] == "failed":
            result["error"] = str(answer.get("message") or code or "unknown")
        results.append(result)
    return results


def group_participants_change(
    *, session: Session, group_id: str, action: str, people: list[str]
) -> list[dict]:
    """Adds, removes, promotes or demotes people (E.164 numbers or lids): one outcome each.
    People not in the group are answered `not_member` without asking WhatsApp."""
    if action == "add":
        answers = _ask(
            session,
            "changeParticipants",
            group_id,
            "add",
            _chat_ids_to_add(session, people),
            group_id=group_id,
        )
        cache.forget_groups(session.id)
        return _add_results(session, answers or {})
    group = _raw_group(session, group_id, fresh=True)
    members = _member_ids(session, group, people)
    present = [member for member in members.values() if member]
    answers = (
        _ask(session, "changeParticipants", group_id, action, present, group_id=group_id) if present else {}
    )
    cache.forget_groups(session.id)
    results = []
    for person, member in members.items():
        outcome = (answers or {}).get(member) if member else None
        status = _change_status(action, outcome) if member else "not_member"
        result = {"participant": _person_given(session, person), "status": status, "inviteCode": None}
        if status == "failed":
            result["error"] = str((outcome or {}).get("message") or "unknown")
        results.append(result)
    return results


def _member_ids(session: Session, group: dict, people: list[str]) -> dict[str, str]:
    """Each person given → the id the group shows them by ("" when not a member)."""
    shown = [m.get("id") for m in group.get("participants") or [] if isinstance(m, dict)]
    pairs = lid_pairs_for(session_id=session.id, ids=[*shown, *people])
    found = {}
    for person in dict.fromkeys(people):
        candidates = {person, pairs.get(person) or person}
        if not person.endswith("@lid"):
            candidates.add(phone_to_chat_id(person))
        found[person] = next(
            (
                i
                for i in shown
                if i in candidates or phone_from_chat_id(i) in candidates or pairs.get(i) in candidates
            ),
            "",
        )
    return found


def _change_status(action: str, outcome) -> str:
    if not isinstance(outcome, dict):
        return "failed"
    if outcome.get("code") == 200:
        return DONE[action]
    return CHANGE_STATUS.get(str(outcome.get("code")), "failed")


def _person_given(session: Session, person: str) -> dict:
    wa_id = person if person.endswith("@lid") else phone_to_chat_id(person)
    return person_of(session_id=session.id, wa_id=wa_id) or {"phone": None, "lid": None}


def group_update(*, session: Session, group_id: str, changes: dict) -> dict:
    """Subject, description, who may send (`whoCanSend`: all | admins, WPP.group.setProperty
    `announcement`) and who may edit the group's info (`whoCanEdit`, `restrict`). Emits
    `group.updated` with what changed."""
    page_changes = {}
    for field, page_field in (("subject", "subject"), ("description", "description")):
        if field in changes:
            page_changes[page_field] = changes[field]
    for field, page_field in (("whoCanSend", "announcement"), ("whoCanEdit", "restrict")):
        if field in changes:
            page_changes[page_field] = changes[field] == "admins"
    _raw_group(session, group_id)  # 404 before asking to change a group the session is not in
    _ask(session, "updateGroup", group_id, page_changes, group_id=group_id)
    cache.forget_groups(session.id)
    group = group_get(session=session, group_id=group_id)
    if "subject" in changes:  # WhatsApp took it, even if the page's list still lags behind
        remember_subjects(session_id=session.id, groups=[{"id": group_id, "subject": changes["subject"]}])
    group_emit_updated(session=session, group_id=group_id, changes=changes)
    return group


def group_emit_updated(*, session: Session, group_id: str, changes: dict) -> None:
    """`group.updated`: what the session changed (by: the session itself)."""
    by = person_of(session_id=session.id, wa_id=session.wid)
    with transaction.atomic():
        events.emit(
            events.GROUP_UPDATED,
            session_id=session.id,
            payload={"groupId": group_id, "changes": changes, "by": by},
        )


def group_invite(*, session: Session, group_id: str, revoke: bool = False) -> dict:
    """The group's invite code and link (WPP.group.getInviteCode), or a new one
    (revokeInviteCode: the old link stops working). Admins only."""
    code = _ask(session, "inviteCode", group_id, revoke, group_id=group_id)
    return {"groupId": group_id, "code": code, "link": f"{INVITE_LINK}{code}"}


def group_join(*, session: Session, code: str) -> dict:
    """Joins by an invite code or link (WPP.group.join): `{groupId, pendingApproval}`. The page's
    `group.participant_changed` brings `group.joined`."""
    match = _INVITE_CODE.match(str(code or "").strip())
    if not match:
        raise InvalidInput(
            "An invite code is 10 to 40 letters and digits, or a https://chat.whatsapp.com/ link.",
            code="invalid_invite_code",
            details={"code": code},
        )
    joined = _ask(session, "joinGroup", match.group(1)) or {}
    cache.forget_groups(session.id)
    return {"groupId": joined.get("id"), "pendingApproval": bool(joined.get("pendingApproval"))}


def group_leave(*, session: Session, group_id: str) -> None:
    """WPP.group.leave; the page's `group.participant_changed` brings `group.left`."""
    _raw_group(session, group_id)
    _ask(session, "leaveGroup", group_id, group_id=group_id)
    cache.forget_groups(session.id)
