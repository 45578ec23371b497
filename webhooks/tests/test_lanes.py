"""A lane's turn in-process: batches sent in order, one attempt logged each, the turn handed
back to the queue, one queued task per busy lane, and nothing lost when a worker dies mid-batch."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from webhooks import attempts
from webhooks.attempts import webhook_lane_drain
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookDeliveryAttempt
from webhooks.outbox import webhook_deliveries_sweep
from webhooks.services import webhook_configure
from webhooks.tests.conftest import Answer, emit_message
from webhooks.tests.test_outbox import clear_queue, queued_delivery_ids


@pytest.fixture(autouse=True)
def private_targets_allowed(settings, monkeypatch):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    settings.WEBHOOK_URL = ""
    settings.WEBHOOK_RETRY_DELAYS = "0,0,0"
    # A turn long enough for a loaded test machine; the test of the turn's end sets its own.
    monkeypatch.setattr(attempts, "LANE_TURN", 60.0)


def lane_of(session) -> list[WebhookDelivery]:
    return list(WebhookDelivery.objects.filter(session=session).order_by("id"))


def test_one_task_sends_an_ordered_lanes_backlog_in_order_with_one_attempt_logged_each(
    make_session, receiver
):
    session = make_session()
    webhook_configure(session=session, url=receiver.url())
    for n in range(30):  # more than one batch
        emit_message(session, f"m{n}")
    first = lane_of(session)[0]
    assert webhook_lane_drain(delivery_id=first.pk) == 30
    assert [r.json["messageId"] for r in receiver.received()] == [f"m{n}" for n in range(30)]
    assert {d.status for d in lane_of(session)} == {DeliveryStatus.SUCCEEDED}
    assert all(d.attempts == 1 and d.finished_at for d in lane_of(session))
    logged = WebhookDeliveryAttempt.objects.filter(delivery__session=session)
    assert sorted(logged.values_list("number", "status_code", "outcome")) == [(1, 200, "success")] * 30
    # Each request carries its own delivery id and attempt number, signed as usual.
    headers = [r.headers for r in receiver.received()]
    assert [h["X-YesApp-Delivery"] for h in headers] == [str(d.uuid) for d in lane_of(session)]
    assert {h["X-YesApp-Attempt"] for h in headers} == {"1"}
    assert all(h["X-YesApp-Signature"].startswith("sha256=") for h in headers)


def test_a_retry_in_the_middle_of_a_batch_holds_the_rest_of_the_lane_back(make_session, receiver, settings):
    settings.WEBHOOK_RETRY_DELAYS = "0,60"
    session = make_session()
    webhook_configure(session=session, url=receiver.url())
    receiver.script("/hook", Answer(200), Answer(503))
    for n in range(5):
        emit_message(session, f"m{n}")
    m0, m1, *rest = lane_of(session)
    assert webhook_lane_drain(delivery_id=m0.pk) == 2
    assert [r.json["messageId"] for r in receiver.received()] == ["m0", "m1"]
    m1.refresh_from_db()
    assert m1.status == DeliveryStatus.PENDING and m1.attempts == 1 and m1.last_status_code == 503
    # Claimed with the batch but not sent: given back untouched.
    for delivery in rest:
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts, delivery.claimed_until) == (
            DeliveryStatus.PENDING,
            0,
            None,
        )
    assert webhook_lane_drain(delivery_id=rest[0].pk) == 0  # m1 goes first, after its retry


def test_a_lane_whose_turn_is_over_goes_back_to_the_queue(make_session, receiver, monkeypatch):
    monkeypatch.setattr(attempts, "LANE_TURN", 0.0)  # the turn is over after the first attempt
    session = make_session()
    webhook_configure(session=session, url=receiver.url())
    for n in range(3):
        emit_message(session, f"m{n}")
    m0, m1, m2 = lane_of(session)
    assert webhook_lane_drain(delivery_id=m0.pk) == 1
    assert queued_delivery_ids() == [m1.pk]
    m2.refresh_from_db()
    assert m2.status == DeliveryStatus.PENDING and m2.attempts == 0


def test_a_nudge_for_a_delivery_that_is_not_its_lanes_turn_writes_nothing(make_session, receiver):
    session = make_session()
    webhook_configure(session=session, url=receiver.url())
    emit_message(session, "m1")
    emit_message(session, "m2")
    m1, m2 = lane_of(session)
    WebhookDelivery.objects.filter(pk=m1.pk).update(
        status=DeliveryStatus.SENDING, claimed_until=timezone.now() + timedelta(minutes=1)
    )
    with CaptureQueriesContext(connection) as queries:
        assert webhook_lane_drain(delivery_id=m2.pk) == 0
    assert all(q["sql"].lstrip().upper().startswith("SELECT") for q in queries.captured_queries)
    assert receiver.received() == []


def test_a_busy_ordered_lane_has_one_queued_task_and_its_end_queues_what_came_meanwhile(
    make_session, receiver, django_capture_on_commit_callbacks
):
    session, other = make_session("a"), make_session("b")
    webhook_configure(session=session, url=receiver.url())
    webhook_configure(session=other, url=receiver.url(), ordered=False)
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(3):
            emit_message(session, f"a{n}")
            emit_message(other, f"b{n}")
    a0, a1, a2 = lane_of(session)
    # The first event of the lane is queued; the others wait for that task. Unordered: each.
    assert queued_delivery_ids() == sorted([a0.pk, *(d.pk for d in lane_of(other))])
    clear_queue()
    # The task sends a0 (and the rest of the lane): a0's nudge was the lane's only one.
    assert webhook_lane_drain(delivery_id=a0.pk) == 3
    with django_capture_on_commit_callbacks(execute=True):
        emit_message(session, "a3")  # the lane is free again: queued at once
    assert queued_delivery_ids() == [lane_of(session)[-1].pk]


def test_stray_nudges_of_a_busy_lane_queue_nothing_more(
    make_session, receiver, django_capture_on_commit_callbacks
):
    """Duplicate tasks (a retry's nudge, the sweep's, a hand-on racing the emitter) that find
    nothing to claim leave the lane to the task that holds its head: before, each queued one
    more task for the head, so a burst's queue filled with tasks that only read."""
    session = make_session()
    webhook_configure(session=session, url=receiver.url())
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(3):
            emit_message(session, f"m{n}")
    m0, m1, m2 = lane_of(session)
    assert queued_delivery_ids() == [m0.pk]
    clear_queue()
    for stray in (m1, m2):  # not their turn: m0 is the head
        assert webhook_lane_drain(delivery_id=stray.pk) == 0
    WebhookDelivery.objects.filter(pk=m0.pk).update(
        status=DeliveryStatus.SENDING, claimed_until=timezone.now() + timedelta(minutes=1)
    )
    assert webhook_lane_drain(delivery_id=m0.pk) == 0  # another worker is sending it
    assert queued_delivery_ids() == []
    # The lane's mark still holds: a new event is left to the task that has the lane.
    with django_capture_on_commit_callbacks(execute=True):
        emit_message(session, "m3")
    assert queued_delivery_ids() == []
    assert receiver.received() == []


def test_a_worker_killed_mid_batch_loses_nothing_and_the_lane_keeps_its_order(
    make_session, receiver, monkeypatch
):
    session = make_session()
    webhook_configure(session=session, url=receiver.url())
    for n in range(5):
        emit_message(session, f"m{n}")
    real_post, posted = attempts.post_webhook, []

    def post_then_die(**kwargs):
        if len(posted) == 2:
            raise SystemExit("worker killed")  # after two POSTs, before anything is logged
        posted.append(kwargs)
        return real_post(**kwargs)

    monkeypatch.setattr(attempts, "post_webhook", post_then_die)
    with pytest.raises(SystemExit):
        webhook_lane_drain(delivery_id=lane_of(session)[0].pk)
    monkeypatch.setattr(attempts, "post_webhook", real_post)
    assert {d.status for d in lane_of(session)} == {DeliveryStatus.SENDING}
    # The claims lapse; the sweep queues the lane's head only, and the lane is sent again in order.
    WebhookDelivery.objects.update(claimed_until=timezone.now() - timedelta(seconds=1))
    assert webhook_deliveries_sweep(grace=0) == 1
    assert webhook_lane_drain(delivery_id=lane_of(session)[0].pk) == 5
    got = [r.json["messageId"] for r in receiver.received()]
    assert got == ["m0", "m1", "m0", "m1", "m2", "m3", "m4"]  # at least once, in order
    assert {d.status for d in lane_of(session)} == {DeliveryStatus.SUCCEEDED}
