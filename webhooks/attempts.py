"""Attempts: claim deliveries, send them, log every attempt, and move their lane on.

A lane is one session's deliveries to one endpoint. In an ordered lane (the default) only the
oldest open delivery may be sent. The worker that claims a lane's head also claims the due
deliveries right behind it (up to LANE_BATCH), sends them one after another over a kept-alive
connection and logs them in one transaction; it goes on with the lane for up to LANE_TURN
seconds, then hands the rest back to the queue. A burst so costs two database writes per
batch instead of several per delivery; a slow receiver still holds one worker slot at a time,
many lanes to one slow receiver hold at most WEBHOOK_SLOW_RECEIVER_SLOTS (receiver_slots.py),
and a lane with much to send lets the others have their turn. Unordered lanes send one
delivery per claim, at most WEBHOOK_UNORDERED_CONCURRENCY at once.

Claims are conditional UPDATEs, so only one worker sends a given delivery. A worker that dies
leaves claims that lapse, and the sweep sends those deliveries again: at least once, never lost.
"""

import math
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from itertools import takewhile
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from webhooks import receiver_slots
from webhooks.attempt_log import Sent, record_attempts
from webhooks.models import (
    OPEN_STATUSES,
    AttemptOutcome,
    DeliveryStatus,
    WebhookConfig,
    WebhookDelivery,
)
from webhooks.nudge import HANDED_ON_PRIORITY, lane_mark_clear, nudge_delivery
from webhooks.payloads import request_headers
from webhooks.policy import AttemptResult, is_retryable, next_delay, parse_delays
from webhooks.receiver_slots import receiver_slot
from webhooks.transport import post_webhook
from yesapp.db_retry import retry_transient_db

# A claimed delivery whose worker died is handed out again after its claim plus this.
CLAIM_MARGIN = timedelta(seconds=30)
# Deliveries claimed together in an ordered lane: few writes per burst, and little sent
# twice when a worker is killed mid-batch.
LANE_BATCH = 20
# Seconds one task keeps a lane before it hands the rest back to the queue (a claimed batch is
# sent whole unless sending it alone takes this long): short, so a lane that just got an event
# (a new message) waits little behind busy ones.
LANE_TURN = 0.5


def retry_delays() -> list[float]:
    return parse_delays(settings.WEBHOOK_RETRY_DELAYS)


def lane_blocked() -> Exists:
    """An older open delivery in the same lane (session × endpoint) exists."""
    return Exists(
        WebhookDelivery.objects.filter(
            config_id=OuterRef("config_id"),
            session_id=OuterRef("session_id"),
            id__lt=OuterRef("id"),
            status__in=OPEN_STATUSES,
        )
    )


@dataclass(frozen=True)
class Lane:
    """One session's deliveries to one endpoint."""

    config_id: int
    session_id: Any
    ordered: bool
    url: str = ""


@dataclass
class Claim:
    """Deliveries of one lane that this worker may send until `claimed_until`, oldest first."""

    lane: Lane
    deliveries: list[WebhookDelivery]
    claimed_until: datetime


# --- Claiming ---------------------------------------------------------------------------------


def _lane_of(delivery_id: int) -> tuple[Lane | None, bool]:
    """The delivery's lane, and whether the delivery may go now: due, and in an ordered lane
    the oldest open one. One read, so a nudge that finds nothing to do writes nothing."""
    row = (
        WebhookDelivery.objects.filter(pk=delivery_id)
        .annotate(blocked=lane_blocked())
        .values(
            "config_id",
            "session_id",
            "config__ordered",
            "config__url",
            "status",
            "next_attempt_at",
            "blocked",
        )
        .first()
    )
    if row is None:
        return None, False
    lane = Lane(row["config_id"], row["session_id"], row["config__ordered"], row["config__url"])
    due = row["status"] == DeliveryStatus.PENDING and row["next_attempt_at"] <= timezone.now()
    return lane, due and not (lane.ordered and row["blocked"])


def _claim(lane: Lane, delivery_id: int, *, batch: int) -> Claim | None:
    """Claims the delivery if it is due and its lane lets it go now: in an ordered lane with up
    to `batch - 1` due deliveries right behind it. None when another worker was first."""
    now = timezone.now()
    due = WebhookDelivery.objects.filter(
        pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
    )
    # A batch is sent for up to LANE_TURN, its last attempt for up to WEBHOOK_TIMEOUT more.
    held = settings.WEBHOOK_TIMEOUT + (LANE_TURN if lane.ordered and batch > 1 else 0)
    claimed_until = now + timedelta(seconds=held) + CLAIM_MARGIN
    claim = {
        "status": DeliveryStatus.SENDING,
        "claimed_until": claimed_until,
        "attempts": F("attempts") + 1,
        "round_attempts": F("round_attempts") + 1,
    }
    if lane.ordered:
        ids = _claim_ordered(lane, due, claim, head_id=delivery_id, batch=batch, now=now)
    else:
        ids = _claim_unordered(lane, due, claim, delivery_id=delivery_id)
    deliveries = list(
        WebhookDelivery.objects.select_related("config")
        .filter(pk__in=ids, status=DeliveryStatus.SENDING, claimed_until=claimed_until)
        .order_by("id")
    )
    for delivery in deliveries[1:]:
        delivery.config = deliveries[0].config  # one endpoint: one secret to look up
    return Claim(lane, deliveries, claimed_until) if deliveries else None


def _claim_ordered(lane: Lane, due, claim: dict, *, head_id: int, batch: int, now: datetime) -> list[int]:
    """The head, then the due deliveries right behind it, in one write transaction (nobody
    else can claim those while the head is open)."""
    with transaction.atomic():
        if not due.filter(~lane_blocked()).update(**claim):
            return []
        if batch <= 1:
            return [head_id]
        behind = (
            WebhookDelivery.objects.filter(
                config_id=lane.config_id,
                session_id=lane.session_id,
                id__gt=head_id,
                status__in=OPEN_STATUSES,
            )
            .order_by("id")
            .values_list("id", "status", "next_attempt_at")[: batch - 1]
        )
        ready = takewhile(lambda row: row[1] == DeliveryStatus.PENDING and row[2] <= now, behind)
        followers = [row[0] for row in ready]
        if followers:
            WebhookDelivery.objects.filter(pk__in=followers, status=DeliveryStatus.PENDING).update(**claim)
    return [head_id, *followers]


def _claim_unordered(lane: Lane, due, claim: dict, *, delivery_id: int) -> list[int]:
    """At most WEBHOOK_UNORDERED_CONCURRENCY of the lane at once, so a slow receiver never
    holds every worker."""
    with transaction.atomic():
        # Count and claim under the endpoint's row lock (SQLite: the write lock its
        # IMMEDIATE transactions take), so a burst cannot overshoot the cap.
        list(WebhookConfig.objects.select_for_update().filter(pk=lane.config_id).values_list("pk"))
        in_flight = WebhookDelivery.objects.filter(
            config_id=lane.config_id, session_id=lane.session_id, status=DeliveryStatus.SENDING
        ).count()
        if in_flight >= settings.WEBHOOK_UNORDERED_CONCURRENCY:
            return []
        return [delivery_id] if due.update(**claim) else []


# --- Sending ----------------------------------------------------------------------


def _send(claim: Claim, *, budget: float) -> list[Sent]:
    """Sends the claimed deliveries in order, until one must wait for its retry (the lane
    waits with it) or sending has taken `budget` seconds (a slow receiver). Never raises for
    a receiver's failure.

    The budget counts from the first request, not from the turn's start: on a loaded machine
    claiming can take most of a turn, and a batch cut after one request made every delivery
    pay for a claim and a log of its own."""
    sent: list[Sent] = []
    stop_at = time.monotonic() + budget
    for delivery in claim.deliveries:
        if sent and (sent[-1].status == DeliveryStatus.PENDING or time.monotonic() >= stop_at):
            break
        started_at = timezone.now()
        result = post_webhook(
            url=delivery.config.url,
            body=delivery.body.encode(),
            headers=request_headers(delivery, delivery.config),
            timeout=settings.WEBHOOK_TIMEOUT,
        )
        verdict = _attempt_verdict(delivery, result)
        sent.append(Sent(delivery, result, started_at, timezone.now(), *verdict))
    return sent


def _attempt_verdict(
    delivery: WebhookDelivery, result: AttemptResult
) -> tuple[DeliveryStatus, AttemptOutcome, float | None]:
    """The delivery's next status, the attempt's outcome, and the seconds until the retry if any."""
    retry_in = None
    if is_retryable(result):
        retry_in = next_delay(attempts_made=delivery.round_attempts, delays=retry_delays())
    if result.succeeded:
        return DeliveryStatus.SUCCEEDED, AttemptOutcome.SUCCESS, retry_in
    if retry_in is not None:
        return DeliveryStatus.PENDING, AttemptOutcome.RETRY, retry_in
    return DeliveryStatus.FAILED, AttemptOutcome.FAILED, retry_in


def _send_and_record(claim: Claim, *, budget: float) -> list[Sent]:
    sent = _send(claim, budget=budget)
    receiver_slots.note_speed(claim.lane.url, (item.result for item in sent))
    # Recording is retried for as long as the claim holds after the last attempt.
    retry_transient_db(
        partial(record_attempts, claim.deliveries, claim.claimed_until, sent),
        what="recording webhook attempts",
        deadline=settings.WEBHOOK_TIMEOUT + CLAIM_MARGIN.total_seconds(),
    )
    return sent


# --- Entry points ---------------------------------------------------------------------------------


def _claim_retried(lane: Lane, delivery_id: int, *, batch: int) -> Claim | None:
    return retry_transient_db(
        partial(_claim, lane, delivery_id, batch=batch), what="claiming a webhook delivery", deadline=30
    )


def webhook_delivery_attempt(*, delivery_id: int) -> WebhookDelivery | None:
    """Makes the delivery's next attempt if it is due and its turn; None when it is not.

    Idempotent and safe to run concurrently: only the caller whose conditional UPDATE
    claims the row sends. Never raises for a receiver's failure; the attempt is logged.
    """
    lane, ready = _lane_of(delivery_id)
    claim = _claim_retried(lane, delivery_id, batch=1) if ready else None
    if claim is None:
        return None
    _send_and_record(claim, budget=math.inf)
    _hand_lane_on(lane)
    return claim.deliveries[0]


def webhook_lane_drain(*, delivery_id: int) -> int:
    """Sends the delivery if it is its lane's turn, then what waits behind it in an ordered
    lane, for up to LANE_TURN seconds; returns the number of attempts made (0 when it was not
    due, not its turn, or taken). What is left goes back to the queue.

    Clears the lane's mark (`webhooks.nudge.nudge_lane`) and then looks at the lane once more,
    so a delivery stored while the mark held back its nudge is queued now. A task that claims
    nothing touches neither: the worker holding the lane's head does that when it is done.
    """
    lane, ready = _lane_of(delivery_id)
    if not ready:
        # Not its turn, or taken: whoever holds the lane's head hands the lane on. Handing it
        # on from here too queued a task per stray nudge, and each of those queued another.
        return 0
    hold = settings.WEBHOOK_TIMEOUT + LANE_TURN + CLAIM_MARGIN.total_seconds()
    with receiver_slot(lane.url, hold=hold) as allowed:
        if not allowed:
            # A slow receiver has all the workers it may have: the lane waits its turn (the
            # lane's mark, if any, stays: this task still has the lane).
            nudge_delivery(delivery_id, countdown=receiver_slots.RETRY_AFTER, priority=HANDED_ON_PRIORITY)
            return 0
        return _drain(lane, delivery_id)


def _drain(lane: Lane, delivery_id: int) -> int:
    turn_ends = time.monotonic() + LANE_TURN
    claim = _claim_retried(lane, delivery_id, batch=LANE_BATCH)
    if claim is None:
        return 0  # taken meanwhile
    made = 0
    try:
        while claim is not None:
            sent = _send_and_record(claim, budget=LANE_TURN)
            made += len(sent)
            head_id = _next_head(lane, sent[-1]) if time.monotonic() < turn_ends else None
            claim = _claim_retried(lane, head_id, batch=LANE_BATCH) if head_id is not None else None
    finally:
        lane_mark_clear(config_id=lane.config_id, session_id=lane.session_id)
    _hand_lane_on(lane)
    return made


def _next_head(lane: Lane, last: Sent) -> int | None:
    """The ordered lane's next delivery when it can go at once."""
    if not lane.ordered or last.status == DeliveryStatus.PENDING:
        return None  # in order, the lane waits for this delivery's retry
    head = _lane_head(lane)
    ready = head and head["status"] == DeliveryStatus.PENDING and head["next_attempt_at"] <= timezone.now()
    return head["id"] if ready else None


def _hand_lane_on(lane: Lane) -> None:
    """Queues the lane's next delivery, if it is pending and nothing else will queue it: a
    retry was queued with its countdown when its attempt was logged."""
    head = _lane_head(lane)
    if head is None or head["status"] != DeliveryStatus.PENDING:
        return
    wait = (head["next_attempt_at"] - timezone.now()).total_seconds()
    if wait <= 0 or head["round_attempts"] == 0:
        nudge_delivery(head["id"], countdown=max(0.0, wait), priority=HANDED_ON_PRIORITY)


def _lane_head(lane: Lane) -> dict | None:
    """An ordered lane's oldest open delivery; an unordered lane's oldest due one."""
    rows = WebhookDelivery.objects.filter(config_id=lane.config_id, session_id=lane.session_id)
    if lane.ordered:
        rows = rows.filter(status__in=OPEN_STATUSES)
    else:
        rows = rows.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=timezone.now())
    return rows.order_by("id").values("id", "status", "next_attempt_at", "round_attempts").first()
