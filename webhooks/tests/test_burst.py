"""Bursts: kept-alive connections to each receiver (still checked at every new connect), and a
slow receiver that cannot take every worker from the others."""

import socket

import pytest

from webhooks import attempts, transport
from webhooks.attempts import webhook_delivery_attempt, webhook_lane_drain
from webhooks.models import DeliveryStatus, WebhookDelivery
from webhooks.receiver_slots import receiver_slot
from webhooks.services import webhook_configure
from webhooks.tests.conftest import Answer, Receiver, emit_message
from webhooks.tests.test_outbox import clear_queue, queued_by_priority, queued_delivery_ids
from yesapp.outbound_address import is_public_address


@pytest.fixture(autouse=True)
def private_targets_allowed(settings, monkeypatch):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    settings.WEBHOOK_URL = ""
    settings.WEBHOOK_RETRY_DELAYS = "0,0,0"
    monkeypatch.setattr(attempts, "LANE_TURN", 60.0)  # room for a loaded test machine


def lane_of(session) -> list[WebhookDelivery]:
    return list(WebhookDelivery.objects.filter(session=session).order_by("id"))


def test_a_lanes_backlog_and_other_lanes_go_over_one_kept_alive_connection(make_session, receiver):
    first, second = make_session("a"), make_session("b")
    for session in (first, second):
        webhook_configure(session=session, url=receiver.url())
        for n in range(8):
            emit_message(session, f"{session.name}{n}")
    assert webhook_lane_drain(delivery_id=lane_of(first)[0].pk) == 8
    assert webhook_lane_drain(delivery_id=lane_of(second)[0].pk) == 8
    assert len(receiver.received()) == 16
    assert receiver.connections() == 1  # the worker's pooled connection to the receiver


def test_every_new_connection_is_checked_again_after_a_dns_change(
    settings, make_session, receiver, monkeypatch
):
    """A kept-alive connection was checked when it opened; once the receiver closes it, the
    next one resolves the host again and the new address is checked before connecting."""
    settings.WEBHOOK_ALLOW_PRIVATE = False
    # For this test 127.0.0.1 counts as public, and 127.0.0.2 stays private.
    monkeypatch.setattr(transport, "is_public_address", lambda a: a == "127.0.0.1" or is_public_address(a))
    real_getaddrinfo, lookups = socket.getaddrinfo, []

    def changing_dns(host, port, *args, **kwargs):
        if host == "hooks.change.test":
            lookups.append(host)
            address = "127.0.0.1" if len(lookups) == 1 else "127.0.0.2"
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", changing_dns)
    session = make_session()
    settings.WEBHOOK_ALLOW_PRIVATE = True  # the URL's form only: addresses are checked on connect
    webhook_configure(session=session, url=f"http://hooks.change.test:{receiver.port}/hook")
    settings.WEBHOOK_ALLOW_PRIVATE = False
    lookups.clear()
    receiver.script("/hook", Answer(200), Answer(200), Answer(200, close=True))
    for n in range(4):
        emit_message(session, f"m{n}")
    deliveries = lane_of(session)
    assert webhook_lane_drain(delivery_id=deliveries[0].pk) == 4
    assert len(receiver.received()) == 3 and receiver.connections() == 1
    assert len(lookups) == 2  # one per connection, not one per request
    last = WebhookDelivery.objects.get(pk=deliveries[-1].pk)
    assert last.status == DeliveryStatus.FAILED  # refused for good: a private address
    assert "127.0.0.2" in last.last_error and "private" in last.last_error


@pytest.fixture
def slow_receiver():
    server = Receiver(default=Answer(200, delay=0.3)).start()
    yield server
    server.stop()


def test_a_slow_receiver_gets_its_slots_and_no_more_while_another_receiver_flows(
    settings, make_session, receiver, slow_receiver
):
    """Once a receiver answers slowly, lanes over its slots wait (queued again a second later,
    nothing claimed) instead of taking a worker; another receiver's lanes go on at once."""
    settings.WEBHOOK_SLOW_RECEIVER_SECONDS = 0.2
    settings.WEBHOOK_SLOW_RECEIVER_SLOTS = 1
    slow_a, slow_b, fast = make_session("slow-a"), make_session("slow-b"), make_session("fast")
    webhook_configure(session=slow_a, url=slow_receiver.url())
    webhook_configure(session=slow_b, url=slow_receiver.url())
    webhook_configure(session=fast, url=receiver.url())
    for session in (slow_a, slow_b, fast):
        for n in range(3):
            emit_message(session, f"{session.name}-{n}")
    clear_queue()
    assert webhook_lane_drain(delivery_id=lane_of(slow_a)[0].pk) == 3  # found slow meanwhile
    # Another worker is sending slow_a's lane (it holds the receiver's one slot) ...
    with receiver_slot(slow_receiver.url(), hold=60) as allowed:
        assert allowed
        head = lane_of(slow_b)[0]
        assert webhook_lane_drain(delivery_id=head.pk) == 0  # ... so slow_b's lane waits
        assert queued_delivery_ids() == [head.pk]  # for a second, nothing claimed
        head.refresh_from_db()
        assert (head.status, head.attempts) == (DeliveryStatus.PENDING, 0)
        assert webhook_lane_drain(delivery_id=lane_of(fast)[0].pk) == 3  # not held up
    assert [r.json["messageId"] for r in receiver.received()] == ["fast-0", "fast-1", "fast-2"]
    assert len(slow_receiver.received()) == 3
    # The slot is free again: slow_b's lane goes.
    assert webhook_lane_drain(delivery_id=head.pk) == 3
    assert [r.json["messageId"] for r in slow_receiver.received()][3:] == ["slow-b-0", "slow-b-1", "slow-b-2"]


def test_a_receiver_that_answers_fast_again_is_no_longer_capped(settings, make_session, receiver):
    settings.WEBHOOK_SLOW_RECEIVER_SECONDS = 0.2
    session = make_session()
    webhook_configure(session=session, url=receiver.url())
    receiver.script("/hook", Answer(200, delay=0.3))
    for n in range(2):
        emit_message(session, f"m{n}")
    first, second = lane_of(session)
    assert webhook_delivery_attempt(delivery_id=first.pk) is not None
    with receiver_slot(receiver.url(), hold=60) as allowed:
        assert allowed
        with receiver_slot(receiver.url(), hold=60) as second_allowed:
            assert not second_allowed  # slow: one slot
    assert webhook_delivery_attempt(delivery_id=second.pk) is not None  # a fast answer
    with receiver_slot(receiver.url(), hold=60) as allowed, receiver_slot(receiver.url(), hold=60) as also:
        assert allowed and also


def test_a_quiet_sessions_new_event_is_taken_before_busy_lanes_next_turns(
    make_session, receiver, monkeypatch, django_capture_on_commit_callbacks
):
    """A busy lane handed back after its turn waits in the low-priority list; a new message in
    a quiet session goes to the list the workers take first, so it does not wait for every busy
    lane's next turn."""
    monkeypatch.setattr(attempts, "LANE_TURN", 0.0)  # the turn is over after one attempt
    busy, quiet = make_session("busy"), make_session("quiet")
    webhook_configure(session=busy, url=receiver.url())
    webhook_configure(session=quiet, url=receiver.url())
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(3):
            emit_message(busy, f"busy-{n}")
    first, second, _ = lane_of(busy)
    clear_queue()
    assert webhook_lane_drain(delivery_id=first.pk) == 1
    with django_capture_on_commit_callbacks(execute=True):
        emit_message(quiet, "quiet-0")
    assert queued_by_priority() == {"webhooks": [lane_of(quiet)[0].pk], "webhooks\x06\x166": [second.pk]}
