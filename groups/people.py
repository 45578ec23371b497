"""Group members as YesApp shows every person: `{"phone": "+33..." | null, "lid": "...@lid" |
null}`, from the ids a group shows (`@c.us` or, in most groups now, `@lid`) and the session's
known phone–lid pairs (messaging.people); unknown halves stay null."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from uuid import UUID

from messaging.people import lid_pairs_for, person_json

ROLES = {(True, True): "superadmin", (True, False): "admin"}
# GroupMetadata.memberAddMode: who may add people (and so share the group by invite).
ADD_MODES = {"admin_add": "admins", "all_member_add": "all"}


def people_json(*, session_id: UUID, ids: Iterable[str]) -> list[dict]:
    ids = [i for i in ids if isinstance(i, str)]
    pairs = lid_pairs_for(session_id=session_id, ids=ids)
    return [p for p in (person_json(i, pairs) for i in ids) if p is not None]


def person_of(*, session_id: UUID, wa_id: str | None) -> dict | None:
    if not wa_id:
        return None
    found = people_json(session_id=session_id, ids=[wa_id])
    return found[0] if found else None


def group_json(*, session_id: UUID, raw: dict) -> dict:
    """A group from the page (groups.js `listGroups`) as the API shows it."""
    members = [m for m in raw.get("participants") or [] if isinstance(m, dict) and m.get("id")]
    ids = [m["id"] for m in members] + ([raw["owner"]] if raw.get("owner") else [])
    pairs = lid_pairs_for(session_id=session_id, ids=ids)
    participants = []
    for member in members:
        person = person_json(member["id"], pairs)
        if person is not None:
            role = ROLES.get(
                (bool(member.get("isAdmin") or member.get("isSuperAdmin")), bool(member.get("isSuperAdmin")))
            )
            participants.append({**person, "role": role or "member"})
    return {
        "id": raw.get("id"),
        "subject": raw.get("subject") or "",
        "description": raw.get("description") or "",
        "owner": person_json(raw["owner"], pairs) if raw.get("owner") else None,
        "participants": participants,
        "settings": {
            "whoCanSend": "admins" if raw.get("announce") else "all",
            "whoCanEdit": "admins" if raw.get("restrict") else "all",
            "whoCanAdd": ADD_MODES.get(raw.get("memberAddMode")),
            "approvalRequired": raw.get("approval") if isinstance(raw.get("approval"), bool) else None,
        },
        "createdAt": _time(raw.get("creation")),
    }


def _time(value) -> datetime | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return datetime.fromtimestamp(value, tz=UTC)
    return None
