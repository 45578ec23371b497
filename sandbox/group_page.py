"""The page's `WPP.group.*` against the sandbox's groups (sandbox/groups.py): what the linked
session itself does, with wa-js's answers and error codes."""

from __future__ import annotations

from django.db import transaction

from sandbox.groups import (
    ADMIN_ROLES,
    GroupError,
    add_outcome,
    announce_change,
    apply_member_change,
    apply_update,
    find_member,
    locked_group,
    member_id,
    new_gid,
    new_invite_code,
)
from sandbox.models import GroupRole, SandboxDevice, SandboxGroup
from sandbox.services.device import device_token_valid, locked_device
from sessions_app.models import Session
from yesapp.errors import Conflict, InvalidInput, NotFound

PROPERTIES = {"announcement": "announce", "restrict": "restrict"}
SETTERS = {"subject": "subject", "description": "description"}


def _device(session: Session, device_token: str) -> SandboxDevice:
    device = locked_device(session)
    if not device_token_valid(device, device_token):
        raise Conflict("The page is not logged in.", code="not_logged_in")
    return device


def _my_group(session: Session, gid: str, device: SandboxDevice, *, admin: bool = False) -> SandboxGroup:
    group = locked_group(session, gid)
    me = find_member(group, device.phone)
    if me is None:
        raise NotFound(f"Group {gid} does not exist.", code="group_not_exist", details={"groupId": gid})
    if admin and me["role"] not in ADMIN_ROLES:
        raise GroupError(f"You are not an admin of {gid}.", code="group_you_are_not_admin")
    return group


def group_json(group: SandboxGroup) -> dict:
    """A group as the page's ChatModel + GroupMetadata give it (ids as strings)."""
    return {
        "id": group.gid,
        "subject": group.subject,
        "description": group.description,
        "owner": group.owner,
        "announce": group.announce,
        "restrict": group.restrict,
        "creation": int(group.created_at.timestamp()),
        # The sandbox lets only admins add people, and asks no approval to join by link.
        "memberAddMode": "admin_add",
        "membershipApprovalMode": False,
        "participants": [
            {
                "id": p["id"],
                "isAdmin": p["role"] in ADMIN_ROLES,
                "isSuperAdmin": p["role"] == GroupRole.SUPERADMIN,
            }
            for p in group.participants
        ],
    }


def page_groups(*, session: Session, device_token: str) -> list[dict]:
    """`WPP.group.getAllGroups`: the groups the session is in."""
    with transaction.atomic():
        device = _device(session, device_token)
        groups = SandboxGroup.objects.filter(session=session)
        return [group_json(g) for g in groups if find_member(g, device.phone) is not None]


def page_group_create(*, session: Session, device_token: str, subject: str, ids: list[str]) -> dict:
    """`WPP.group.create(name, participants)`: `{gid, participants: {wid: {code, ...}}}`."""
    subject = str(subject or "").strip()
    if not subject or len(subject) > 100:
        raise InvalidInput("A group's subject is 1 to 100 characters.", code="invalid_subject")
    with transaction.atomic():
        device = _device(session, device_token)
        group = SandboxGroup(session=session, gid=new_gid(), subject=subject, owner=device.wid)
        group.participants = [{"id": device.wid, "phone": device.phone, "role": GroupRole.SUPERADMIN}]
        results = {}
        for chat_id in ids:
            phone = _user_phone(chat_id)
            results[chat_id] = add_outcome(group, phone, device)
        group.save()
    return {"gid": group.gid, "participants": results}


def _user_phone(chat_id: str) -> str:
    if not str(chat_id).endswith("@c.us") or not str(chat_id).split("@")[0].isdigit():
        raise InvalidInput(f"{chat_id!r} is not a participant id.", code="not_valid_group_participants")
    return "+" + str(chat_id).split("@")[0]


def page_group_members(*, session: Session, device_token: str, gid: str, action: str, ids: list[str]) -> dict:
    """`WPP.group.addParticipants` (answers per person) / `removeParticipants` /
    `promoteParticipants` / `demoteParticipants` (wa-js throws on the first that fails)."""
    with transaction.atomic():
        device = _device(session, device_token)
        group = _my_group(session, gid, device, admin=True)
        results, changed = {}, []
        for member in ids:
            phone = _user_phone(member) if action == "add" else _member_phone(group, member)
            outcome = apply_member_change(group, phone, action, device)
            if action != "add" and outcome["code"] != 200:
                raise GroupError(f"{member}: {outcome['message']}", code=outcome["message"])
            results[member] = outcome
            if outcome["code"] == 200:
                changed.append(member_id(group, phone, device))
        group.save()
        if changed:
            announce_change(device, group, action=action, ids=changed, by=device.wid)
    return results


def _member_phone(group: SandboxGroup, member: str) -> str:
    found = find_member(group, str(member))
    if found is None:
        raise GroupError(f"{member} is not a member.", code="group_participant_is_not_a_group_member")
    return found["phone"]


def page_group_set(*, session: Session, device_token: str, gid: str, field: str, value) -> bool:
    """`WPP.group.setSubject` / `setDescription` / `setProperty(announcement|restrict)`."""
    with transaction.atomic():
        device = _device(session, device_token)
        group = _my_group(session, gid, device)
        admin = find_member(group, device.phone)["role"] in ADMIN_ROLES
        if field in PROPERTIES:
            if not admin:
                raise GroupError(
                    "Only admins set group properties.", code="you_are_not_allowed_set_group_property"
                )
            apply_update(group, {PROPERTIES[field]: value})
        elif field in SETTERS:
            if group.restrict and not admin:
                raise GroupError(
                    f"Only admins set the {field}.", code=f"you_are_not_allowed_set_group_{field}"
                )
            apply_update(group, {SETTERS[field]: value})
        else:
            raise InvalidInput(f"Unknown group field {field!r}.")
        group.save()
    return True


def page_group_invite(*, session: Session, device_token: str, gid: str, revoke: bool = False) -> str:
    """`WPP.group.getInviteCode` / `revokeInviteCode` (admins only): the code after."""
    with transaction.atomic():
        device = _device(session, device_token)
        group = _my_group(session, gid, device, admin=True)
        if revoke or not group.invite_code:
            group.invite_code = new_invite_code()
            group.save(update_fields=["invite_code"])
    return group.invite_code


def page_group_join(*, session: Session, device_token: str, code: str) -> dict:
    """`WPP.group.join(inviteCode)`: `{id, pendingApproval}`; `invalid_invite_code` otherwise."""
    code = str(code or "").strip().rsplit("/", 1)[-1]
    with transaction.atomic():
        device = _device(session, device_token)
        group = (
            SandboxGroup.objects.select_for_update().filter(session=session, invite_code=code).first()
            if code
            else None
        )
        if group is None:
            raise NotFound("The invite code is invalid or was revoked.", code="invalid_invite_code")
        if find_member(group, device.phone) is None:
            group.participants.append({"id": device.wid, "phone": device.phone, "role": GroupRole.MEMBER})
            group.save(update_fields=["participants"])
            announce_change(device, group, action="join", ids=[device.wid], by=device.wid)
    return {"id": group.gid, "pendingApproval": False}


def page_group_leave(*, session: Session, device_token: str, gid: str) -> None:
    """`WPP.group.leave(groupId)`."""
    with transaction.atomic():
        device = _device(session, device_token)
        group = _my_group(session, gid, device)
        group.participants = [p for p in group.participants if p["phone"] != device.phone]
        group.save(update_fields=["participants"])
        announce_change(device, group, action="leaver", ids=[device.wid], by=device.wid)


def page_group_call(*, session: Session, device_token: str, op: str, args: dict):
    """One `WPP.group.*` call from the page, by name (group_views.py)."""
    gid = str(args.get("groupId") or "")
    if op == "getAllGroups":
        return page_groups(session=session, device_token=device_token)
    if op == "create":
        return page_group_create(
            session=session,
            device_token=device_token,
            subject=args.get("subject"),
            ids=list(args.get("ids") or []),
        )
    if op in ("add", "remove", "promote", "demote"):
        return page_group_members(
            session=session, device_token=device_token, gid=gid, action=op, ids=list(args.get("ids") or [])
        )
    if op == "set":
        return page_group_set(
            session=session,
            device_token=device_token,
            gid=gid,
            field=str(args.get("field")),
            value=args.get("value"),
        )
    if op in ("getInviteCode", "revokeInviteCode"):
        return page_group_invite(
            session=session, device_token=device_token, gid=gid, revoke=op == "revokeInviteCode"
        )
    if op == "join":
        return page_group_join(session=session, device_token=device_token, code=str(args.get("code") or ""))
    if op == "leave":
        return page_group_leave(session=session, device_token=device_token, gid=gid)
    raise InvalidInput(f"Unknown group operation {op!r}.")
