"""Fencing tokens: ownership of a session that cannot split between two nodes.

The Redis lease says which node should run a session; a node cut off from Redis may not know
yet that it lost it. So every takeover also raises the session's `lease_token` in the database,
the owner carries its token with what it writes, and a write carrying a lower token is refused:
a node that lost the session learns it at its next write or check, and closes its browser.
"""

from django.db.models import F

from sessions_app.models import Session


class StaleOwner(Exception):
    """Another node took the session over (its token is higher than ours)."""


def session_fence_take(*, session_id) -> int | None:
    """Raises the session's token for a new owner and returns it; None when it is gone."""
    if not Session.objects.filter(pk=session_id).update(lease_token=F("lease_token") + 1):
        return None
    return Session.objects.filter(pk=session_id).values_list("lease_token", flat=True).first()


def session_fence_check(session: Session, lease_token: int | None) -> None:
    """Raises StaleOwner when `lease_token` (None: not a node's write) is no longer the owner's."""
    if lease_token is not None and session.lease_token > lease_token:
        raise StaleOwner(
            f"session {session.pk} is owned by a newer holder (token {session.lease_token} > {lease_token})"
        )
