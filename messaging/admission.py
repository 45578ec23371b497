"""Whether a session takes one more outbound message: connected (or queueing), and fewer than
QUEUE_MAX waiting. messaging.services checks it under the session's row lock, so the count and
the insert are one step per session, also for concurrent requests (tests in test_send_api.py).
"""

from __future__ import annotations

import math

from django.conf import settings

from messaging.models import BACKLOG_STATUSES, Direction, Message
from sessions_app.models import Session
from yesapp.errors import Conflict, TooManyRequests


class SessionNotConnected(Conflict):
    code = "session_not_connected"


class QueueFull(TooManyRequests):
    code = "queue_full"


def queue_depth(session_id, *, up_to: int | None = None) -> int:
    """Outbound messages waiting; counting stops at `up_to` (the index msg_outbound_backlog
    holds only these rows, so the count reads the index alone)."""
    backlog = Message.objects.filter(
        session_id=session_id, direction=Direction.OUTBOUND, status__in=BACKLOG_STATUSES
    )
    if up_to is None:
        return backlog.count()
    # No ordering and only an indexed column: the subquery reads the index alone.
    return backlog.order_by().values("status")[:up_to].count()


def _retry_after_seconds() -> int:
    """Roughly how long until the rate limit lets one more message out."""
    per_minute = settings.RATE_LIMIT_PER_MINUTE
    return max(1, math.ceil(60 / per_minute)) if per_minute > 0 else 1


def check_can_accept(session: Session, *, queue: bool, count: bool = True) -> None:
    """409 unless the session is connected (or `queue`), 429 once QUEUE_MAX messages wait
    (not counted with `count=False`: the check under the session's lock will)."""
    if not session.can_send() and not queue:
        raise SessionNotConnected(
            f"Session {session.name!r} is {session.status}, not connected. Send with "
            '"queue": true to keep the message queued until it connects.',
            details={"sessionStatus": session.status},
        )
    if not count:
        return
    depth = queue_depth(session.pk, up_to=settings.QUEUE_MAX)
    if depth >= settings.QUEUE_MAX:
        raise QueueFull(
            f"Session {session.name!r} already has {depth} messages waiting "
            f"(QUEUE_MAX={settings.QUEUE_MAX}); retry later.",
            retry_after=_retry_after_seconds(),
            details={"queued": depth, "queueMax": settings.QUEUE_MAX},
        )
