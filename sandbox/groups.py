"""Groups on the sandbox's WhatsApp: what WhatsApp's servers and the members' phones do.

Two sides, like the rest of the sandbox:
- the page's `WPP.group.*` (sandbox/group_views.py): what the linked session does, with wa-js's
  own error codes (`group_not_exist`, `group_you_are_not_admin`, ...);
- the simulated people (sandbox API, phone page): create a group, add the session to one,
  change its members and settings, write in it.
Every change to who is in a group reaches the page as wa-js's `group.participant_changed`.

Rules (sandbox/README.md): numbers ending `0000` are not on WhatsApp (add answers 404), numbers
ending `0403` keep their privacy (add answers 403 and sends them an invitation), and a group
made with `lidAddressing` shows its members by lid (the session itself by its number).
"""

from __future__ import annotations

import secrets
import string

from django.db import transaction

from sandbox.contacts import sandbox_lid_of, sandbox_number_exists
from sandbox.models import EventKind, GroupRole, SandboxDevice, SandboxGroup
from sandbox.services.device import append_event, require_linked
from sessions_app.models import Session
from yesapp.errors import InvalidInput, NotFound, ServiceError
from yesapp.validators import normalize_phone

PRIVATE_SUFFIX = "0403"
_CODE_ALPHABET = string.ascii_letters + string.digits
ADMIN_ROLES = (GroupRole.ADMIN, GroupRole.SUPERADMIN)


class GroupError(ServiceError):
    """A wa-js group error (its `code`), as the page's WPP throws it."""

    status_code = 409
    code = "group_error"


def new_gid() -> str:
    return f"120363{secrets.randbelow(10**12):012d}@g.us"


def new_invite_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(22))


def member_id(group: SandboxGroup, phone: str, device: SandboxDevice) -> str:
    """How the group shows a member: the session by its number; others by lid in a group that
    addresses members by lid, else by number."""
    if group.lid_addressing and phone != device.phone:
        return sandbox_lid_of(phone)
    return phone.lstrip("+") + "@c.us"


def find_member(group: SandboxGroup, member: str) -> dict | None:
    """A participant by id (`@c.us` or `@lid`) or E.164 number."""
    for participant in group.participants:
        if member in (participant["id"], participant["phone"]):
            return participant
    if member.endswith("@c.us"):
        return find_member(group, "+" + member.split("@")[0])
    return None


def role_of(group: SandboxGroup, phone: str) -> str | None:
    found = find_member(group, phone)
    return found["role"] if found else None


def locked_group(session: Session, gid: str) -> SandboxGroup:
    group = SandboxGroup.objects.select_for_update().filter(session=session, gid=gid).first()
    if group is None:
        raise NotFound(f"Group {gid} does not exist.", code="group_not_exist", details={"groupId": gid})
    return group


def announce_change(
    device: SandboxDevice, group: SandboxGroup, *, action: str, ids: list[str], by: str = ""
) -> None:
    """wa-js `group.participant_changed` for the page (only while the session is a member, or
    the change concerns it: being removed is news too)."""
    me = device.wid
    if find_member(group, device.phone) is None and me not in ids:
        return
    operation = {"join": "add", "leaver": "remove"}.get(action, action)
    data = {"groupId": group.gid, "action": action, "operation": operation, "participants": ids}
    if by:
        data["author"] = by
    append_event(device, kind=EventKind.ACTION, raw_name="group.participant_changed", raw_data=data)


def add_outcome(group: SandboxGroup, phone: str, device: SandboxDevice) -> dict:
    """What WhatsApp answers for one person added: code 200 added, 403 invited (their privacy
    setting), 404 not on WhatsApp, 409 already in the group."""
    wid = phone.lstrip("+") + "@c.us"
    if not sandbox_number_exists(phone):
        return {
            "wid": wid,
            "code": 404,
            "message": "not on WhatsApp",
            "invite_code": None,
            "invite_code_exp": None,
        }
    if find_member(group, phone) is not None:
        return {
            "wid": wid,
            "code": 409,
            "message": "already a participant",
            "invite_code": None,
            "invite_code_exp": None,
        }
    if phone.endswith(PRIVATE_SUFFIX) and phone != device.phone:
        code = group.invite_code or new_invite_code()
        return {"wid": wid, "code": 403, "message": "invited", "invite_code": code, "invite_code_exp": 0}
    group.participants.append(
        {"id": member_id(group, phone, device), "phone": phone, "role": GroupRole.MEMBER}
    )
    return {"wid": wid, "code": 200, "message": "added", "invite_code": None, "invite_code_exp": None}


def phones_of(values: list[str], *, field: str) -> list[str]:
    """E.164 numbers from numbers or `<digits>@c.us` ids; 400 for anything else."""
    phones = []
    for value in values:
        text = str(value or "").strip()
        if text.endswith("@c.us"):
            text = "+" + text.split("@")[0]
        try:
            phones.append(normalize_phone(text))
        except InvalidInput as exc:
            raise InvalidInput(
                f"{value!r} in {field} is not a phone number.", details={field: value}
            ) from exc
    return list(dict.fromkeys(phones))


# --- the simulated people ------------------------------------------------------------------------


def sandbox_group_create(
    *,
    session: Session,
    owner: str,
    subject: str,
    members: list[str],
    with_session: bool = True,
    lid_addressing: bool = False,
) -> SandboxGroup:
    """A simulated person (`owner`) creates a group with `members`, and the session too unless
    `with_session` is false (add it later). The page hears of it as `group.participant_changed`
    (`add`, the session among the participants)."""
    owner_phone, *_ = phones_of([owner], field="owner")
    subject = _subject(subject)
    with transaction.atomic():
        device = require_linked(session)
        if owner_phone == device.phone:
            raise InvalidInput("The owner is the session's own number; use POST .../groups of the API.")
        group = SandboxGroup(session=session, gid=new_gid(), subject=subject, lid_addressing=lid_addressing)
        group.owner = member_id(group, owner_phone, device)
        group.participants = [{"id": group.owner, "phone": owner_phone, "role": GroupRole.SUPERADMIN}]
        wanted = phones_of(members, field="participants") + ([device.phone] if with_session else [])
        for phone in wanted:
            if phone != owner_phone and sandbox_number_exists(phone):
                group.participants.append(
                    {"id": member_id(group, phone, device), "phone": phone, "role": GroupRole.MEMBER}
                )
        group.save()
        if with_session:
            announce_change(device, group, action="add", ids=[device.wid], by=group.owner)
    return group


def _subject(value: str) -> str:
    subject = str(value or "").strip()
    if not subject or len(subject) > 100:
        raise InvalidInput("A group's subject is 1 to 100 characters.", details={"subject": value})
    return subject


def sandbox_group_change_members(
    *, session: Session, gid: str, by: str, action: str, members: list[str]
) -> dict:
    """A member (`by`, an admin) adds, removes, promotes or demotes people, the session
    included; the page hears `group.participant_changed`. Returns each person's outcome."""
    (by_phone,) = phones_of([by], field="by")
    phones = phones_of(members, field="participants")
    with transaction.atomic():
        device = require_linked(session)
        group = locked_group(session, gid)
        if role_of(group, by_phone) not in ADMIN_ROLES:
            raise GroupError(f"{by} is not an admin of {gid}.", code="group_you_are_not_admin")
        results, changed = {}, []
        for phone in phones:
            outcome = apply_member_change(group, phone, action, device)
            results[phone] = outcome
            if outcome["code"] == 200:
                changed.append(member_id(group, phone, device))
        group.save()
        if changed:
            announce_change(device, group, action=action, ids=changed, by=member_id(group, by_phone, device))
    return results


def apply_member_change(group: SandboxGroup, phone: str, action: str, device: SandboxDevice) -> dict:
    """One person's add / remove / promote / demote on `group` (not saved)."""
    if action == "add":
        return add_outcome(group, phone, device)
    member = find_member(group, phone)
    if member is None:
        return {"code": 404, "message": "group_participant_is_not_a_group_member"}
    if action == "remove":
        group.participants = [p for p in group.participants if p is not member]
        return {"code": 200, "message": "removed"}
    admin = member["role"] in ADMIN_ROLES
    if action == "promote" and admin:
        return {"code": 409, "message": "group_participant_is_already_a_group_admin"}
    if action == "demote" and not admin:
        return {"code": 409, "message": "group_participant_is_already_not_a_group_admin"}
    member["role"] = GroupRole.ADMIN if action == "promote" else GroupRole.MEMBER
    return {"code": 200, "message": f"{action}d"}


def sandbox_group_update(*, session: Session, gid: str, by: str, changes: dict) -> SandboxGroup:
    """A member changes the subject, description, or who may send (`announce`) or edit
    (`restrict`); in a restricted group only admins may."""
    (by_phone,) = phones_of([by], field="by")
    with transaction.atomic():
        require_linked(session)
        group = locked_group(session, gid)
        role = role_of(group, by_phone)
        if role is None or (
            role not in ADMIN_ROLES and (group.restrict or {"announce", "restrict"} & set(changes))
        ):
            raise GroupError(f"{by} may not change {gid}.", code="group_you_are_not_admin")
        apply_update(group, changes)
        group.save()
    return group


def apply_update(group: SandboxGroup, changes: dict) -> None:
    if "subject" in changes:
        group.subject = _subject(changes["subject"])
    if "description" in changes:
        group.description = str(changes["description"] or "")[:2048]
    for field in ("announce", "restrict"):
        if field in changes:
            setattr(group, field, bool(changes[field]))


def sandbox_groups_state(*, session: Session) -> list[SandboxGroup]:
    return list(SandboxGroup.objects.filter(session=session))
