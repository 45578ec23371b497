"""Group subjects kept in the database (groups.models.GroupSubject): the groups cache in Redis
lives GROUPS_CACHE_SECONDS, a group's name should outlive it. Whenever the page lists the
session's groups (the groups API, creating or renaming a group), the subjects it shows are
stored; the dashboard's Chats read them (dashboard/chat_selectors.py)."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from groups.models import GroupSubject

MAX_SUBJECT = GroupSubject._meta.get_field("subject").max_length


def remember_subjects(*, session_id: UUID, groups: Iterable[dict]) -> int:
    """Stores each listed group's subject (`{"id": "...@g.us", "subject": "..."}` as the page
    lists them), in one upsert; groups without an id or a subject are skipped. Returns how
    many were stored."""
    found = {}
    for group in groups:
        group_id, subject = str(group.get("id") or ""), str(group.get("subject") or "").strip()
        if group_id.endswith("@g.us") and subject:
            found[group_id] = subject[:MAX_SUBJECT]
    if not found:
        return 0
    GroupSubject.objects.bulk_create(
        [GroupSubject(session_id=session_id, group_id=g, subject=s) for g, s in found.items()],
        update_conflicts=True,
        unique_fields=["session", "group_id"],
        update_fields=["subject", "updated_at"],
    )
    return len(found)


def subjects_of(*, session_id: UUID, group_ids: Iterable[str]) -> dict[str, str]:
    """Group id → its last known subject, for those of `group_ids` YesApp has learned."""
    ids = [g for g in group_ids if g.endswith("@g.us")]
    if not ids:
        return {}
    found = GroupSubject.objects.filter(session_id=session_id, group_id__in=ids)
    return dict(found.values_list("group_id", "subject"))
