"""When a session's next message may go, and why not sooner: its sending policy's rules.

Everything is computed from the database (what was handed to the engine: `dispatched_at`), so
it survives restarts and node takeovers, like the rate limit it grew from. Each rule gives the
earliest time it allows; the latest of them is the message's `notBefore`, and the rule that
gave it is its `waitingFor`:
- `rate_limit`: RATE_LIMIT_PER_MINUTE (or the policy's tighter `perMinute`) in any rolling
  minute, and a burst of RATE_LIMIT_BURST (messaging.outbound's docstring);
- `hourly_cap`: `perHour` in any rolling hour;
- `daily_cap`, `warmup`, `new_chats_cap`: per calendar day in the policy's time zone, so a
  message over them waits for the next midnight ("tomorrow");
- `quiet_hours`: the end of the window;
- `jitter`: a random gap after the session's previous send.
`typing` is not a rule but a step (messaging.paced_send): it runs inside the gap the rules
leave, so it adds time only when the gap is shorter than the typing.

Time comes from `clock`, which tests replace; nothing here sleeps.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db.models import Count, Max, Q
from django.utils import timezone

from messaging.models import Direction, Message
from messaging.sending_policy import Policy, policy_for
from sessions_app.models import Session
from sessions_app.selectors import session_first_connected_at
from yesapp.errors import TooManyRequests


class Clock:
    """The time the send path reads, and its only sleep (a wait of milliseconds, see
    messaging.paced_send.BRIEF_WAIT). Tests swap in one they move by hand."""

    def now(self) -> datetime:
        return timezone.now()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


clock = Clock()
rng = random.Random()

WAIT_REASONS = (
    "rate_limit",
    "hourly_cap",
    "daily_cap",
    "new_chats_cap",
    "warmup",
    "quiet_hours",
    "jitter",
    "typing",
)

# With `queue: false`, a message the policy would hold longer than this is refused (429).
NO_QUEUE_WAIT_MAX = 60
# Messages a number may send on its n-th day after it was first linked, while `warmup` is on:
# from 20 on the first day, about one and a half times more each day, for two weeks. Day 15 on,
# only the other caps apply. docs/ANTI_BAN.md tells where the shape comes from.
WARMUP_CURVE = (20, 30, 45, 70, 100, 150, 220, 330, 500, 750, 1000, 1000, 1000, 1000)


@dataclass(frozen=True)
class Wait:
    until: datetime
    reason: str


def per_minute_limit(policy: Policy) -> int:
    """The operator's RATE_LIMIT_PER_MINUTE is a ceiling a policy can lower, never raise; 0 = none."""
    limits = [n for n in (settings.RATE_LIMIT_PER_MINUTE, policy.per_minute or 0) if n > 0]
    return min(limits) if limits else 0


def day_start(policy: Policy, now: datetime) -> datetime:
    local = now.astimezone(policy.zone)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


def next_midnight(policy: Policy, now: datetime) -> datetime:
    local = now.astimezone(policy.zone).date() + timedelta(days=1)
    return datetime(local.year, local.month, local.day, tzinfo=policy.zone).astimezone(UTC)


def warmup_day(session_id, policy: Policy, now: datetime) -> int | None:
    """1 on the calendar day the number was first linked, 2 the next, ...; None if never linked."""
    first = session_first_connected_at(session_id=session_id)
    if first is None:
        return None
    days = (now.astimezone(policy.zone).date() - first.astimezone(policy.zone).date()).days
    return max(1, days + 1)


def warmup_limit(session_id, policy: Policy, now: datetime) -> int | None:
    if not policy.warmup:
        return None
    day = warmup_day(session_id, policy, now)
    if day is None:
        return WARMUP_CURVE[0]  # not linked yet: its first day is still to come
    return WARMUP_CURVE[day - 1] if day <= len(WARMUP_CURVE) else None


def quiet_until(policy: Policy, now: datetime) -> datetime | None:
    """The end of the quiet window `now` is in, or None outside it."""
    quiet = policy.quiet_hours
    if quiet is None or quiet.start == quiet.end:
        return None
    local = now.astimezone(quiet.zone)
    at = local.time().replace(tzinfo=None)
    overnight = quiet.start > quiet.end
    inside = (at >= quiet.start or at < quiet.end) if overnight else quiet.start <= at < quiet.end
    if not inside:
        return None
    end_day = local.date() + timedelta(days=1) if overnight and at >= quiet.start else local.date()
    end = datetime.combine(end_day, quiet.end, tzinfo=quiet.zone)
    return end.astimezone(UTC)


def _sent(session_id):
    return Message.objects.filter(
        session_id=session_id, direction=Direction.OUTBOUND, dispatched_at__isnull=False
    )


def counts(session_id, policy: Policy, now: datetime) -> dict:
    """How much the session sent in each window, and its last send: one query."""
    per_minute = per_minute_limit(policy)
    burst_seconds = 60 * max(1, min(settings.RATE_LIMIT_BURST, per_minute)) / per_minute if per_minute else 0
    today = day_start(policy, now)
    since = min(today, now - timedelta(hours=1))
    return (
        _sent(session_id)
        .filter(dispatched_at__gt=since)
        .aggregate(
            minute=Count("pk", filter=Q(dispatched_at__gt=now - timedelta(seconds=60))),
            burst=Count("pk", filter=Q(dispatched_at__gt=now - timedelta(seconds=burst_seconds))),
            hour=Count("pk", filter=Q(dispatched_at__gt=now - timedelta(hours=1))),
            day=Count("pk", filter=Q(dispatched_at__gte=today)),
            new_chats=Count("pk", filter=Q(dispatched_at__gte=today, new_chat=True)),
            last=Max("dispatched_at"),
        )
    )


def _rolling_free_at(session_id, now: datetime, window: timedelta, used: int, limit: int) -> datetime:
    """When a rolling window holding `used` ≥ `limit` sends has room for one more: once the
    (used - limit + 1)-th oldest of them leaves it."""
    oldest = (
        _sent(session_id)
        .filter(dispatched_at__gt=now - window)
        .order_by("dispatched_at")
        .values_list("dispatched_at", flat=True)[used - limit : used - limit + 1]
    )
    first = next(iter(oldest), now)
    return first + window


def rate_waits(session_id, policy: Policy, now: datetime, used: dict) -> list[Wait]:
    """The rolling windows that are full: the minute (and its burst) and the hour."""
    waits = []
    per_minute = per_minute_limit(policy)
    if per_minute:
        burst = max(1, min(settings.RATE_LIMIT_BURST, per_minute))
        windows = [(timedelta(seconds=60), used["minute"], per_minute)]
        windows.append((timedelta(seconds=60 * burst / per_minute), used["burst"], burst))
        for window, count, limit in windows:
            if count >= limit:
                waits.append(Wait(_rolling_free_at(session_id, now, window, count, limit), "rate_limit"))
    if policy.per_hour and used["hour"] >= policy.per_hour:
        free = _rolling_free_at(session_id, now, timedelta(hours=1), used["hour"], policy.per_hour)
        waits.append(Wait(free, "hourly_cap"))
    return waits


def wait_for(
    *, session_id, policy: Policy, now: datetime, new_chat: bool, jitter: float = 0.0
) -> Wait | None:
    """The wait a message has before it may go now, or None. The longest rule decides."""
    used = counts(session_id, policy, now)
    waits = rate_waits(session_id, policy, now, used)
    midnight = None
    if policy.per_day and used["day"] >= policy.per_day:
        midnight = next_midnight(policy, now)
        waits.append(Wait(midnight, "daily_cap"))
    warm = warmup_limit(session_id, policy, now)
    if warm is not None and used["day"] >= warm:
        waits.append(Wait(midnight or next_midnight(policy, now), "warmup"))
    if new_chat and policy.new_chats_per_day is not None and used["new_chats"] >= policy.new_chats_per_day:
        waits.append(Wait(midnight or next_midnight(policy, now), "new_chats_cap"))
    quiet = quiet_until(policy, now)
    if quiet is not None:
        waits.append(Wait(quiet, "quiet_hours"))
    if jitter and used["last"] is not None and used["last"] + timedelta(seconds=jitter) > now:
        waits.append(Wait(used["last"] + timedelta(seconds=jitter), "jitter"))
    waits = [wait for wait in waits if wait.until > now]
    return max(waits, key=lambda wait: wait.until) if waits else None


def draw_jitter(policy: Policy) -> float:
    return round(rng.uniform(*policy.jitter), 3) if policy.jitter else 0.0


def typing_seconds(*, kind: str, text: str, media_size: int | None) -> float:
    """How long "typing…" (or "recording…" for a voice note) shows before a message: its length
    at SENDING_TYPING_CHARS_PER_SECOND, randomised ±25 %, within the min and max settings. A
    voice note's length is guessed from its size (voice notes are Opus at about 32 kbit/s)."""
    if kind == "voice":
        base = (media_size or 0) / 4000
    else:
        base = len(text) / max(settings.SENDING_TYPING_CHARS_PER_SECOND, 0.1)
    low, high = settings.SENDING_TYPING_MIN_SECONDS, settings.SENDING_TYPING_MAX_SECONDS
    return round(min(high, max(low, base * rng.uniform(0.8, 1.25))), 3)


def chat_history(session_id, chat_id: str) -> tuple[datetime | None, datetime | None]:
    """(newest message received in this chat, our newest send to it): one query. Both None:
    a new chat, one this session never talked with."""
    row = Message.objects.filter(session_id=session_id, chat_id=chat_id).aggregate(
        last_in=Max("created_at", filter=Q(direction=Direction.INBOUND)),
        last_out=Max("dispatched_at", filter=Q(direction=Direction.OUTBOUND)),
    )
    return row["last_in"], row["last_out"]


class SendingPolicyHolds(TooManyRequests):
    """`queue: false`, and the session's sending policy would hold the message for long (429)."""

    code = "sending_policy_wait"


def may_hold_long(policy: Policy) -> bool:
    """Whether `policy` has a rule that can hold a message longer than NO_QUEUE_WAIT_MAX. The
    rolling minute (and its burst) frees a place within 60 s, so only the hourly and daily caps,
    the warm-up, the new-chats cap and quiet hours can; without them a send asks no query."""
    rules = (policy.per_hour, policy.per_day, policy.warmup, policy.quiet_hours)
    return any(rules) or policy.new_chats_per_day is not None


def pacing_refuse_if_held(*, session: Session, chat_id: str) -> None:
    """With `queue: false`: 429 naming the rule (`waitingFor`) when the sending policy would hold
    the message longer than NO_QUEUE_WAIT_MAX seconds, as such a caller expects it to go soon."""
    policy = policy_for(session.pk)
    if not may_hold_long(policy):
        return
    now = clock.now()
    # Only the new-chats cap asks whether the chat is new (an aggregate over the chat's messages).
    new_chat = policy.new_chats_per_day is not None and chat_history(session.pk, chat_id) == (None, None)
    wait = wait_for(session_id=session.pk, policy=policy, now=now, new_chat=new_chat)
    if wait is None or (wait.until - now).total_seconds() <= NO_QUEUE_WAIT_MAX:
        return
    raise SendingPolicyHolds(
        f"Session {session.name!r} may not send this message before {wait.until:%Y-%m-%d %H:%M:%S} UTC "
        f'({wait.reason}, its sending policy). Send it with "queue": true to have it wait, or change '
        "the policy (PATCH .../sending-policy).",
        retry_after=math.ceil((wait.until - now).total_seconds()),
        details={"waitingFor": wait.reason, "notBefore": wait.until.isoformat()},
    )


def policy_usage(session_id, policy: Policy) -> dict:
    """Today's use of each cap, for GET .../sending-policy: `{used, limit}` (limit null = none)."""
    now = clock.now()
    used = counts(session_id, policy, now)
    warm = warmup_limit(session_id, policy, now)
    quiet = quiet_until(policy, now)
    return {
        "minute": {"used": used["minute"], "limit": per_minute_limit(policy) or None},
        "hour": {"used": used["hour"], "limit": policy.per_hour},
        "day": {"used": used["day"], "limit": policy.per_day},
        "newChats": {"used": used["new_chats"], "limit": policy.new_chats_per_day},
        "warmup": {"day": warmup_day(session_id, policy, now), "limit": warm} if policy.warmup else None,
        "quietUntil": quiet,
        "dayStartedAt": day_start(policy, now),
    }
