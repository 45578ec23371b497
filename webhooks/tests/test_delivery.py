"""End to end: an emitted event → the outbox → a real Celery worker → a real HTTP receiver.

Every test here starts a worker process on the `webhooks` queue (settings reach it through
its environment) and a threading http.server on 127.0.0.1 that records what it gets.
"""

import hashlib
import hmac
import socket
import subprocess
import sys
import time

import pytest

from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookDeliveryAttempt
from webhooks.services import webhook_configure
from webhooks.tasks import sweep_webhook_deliveries
from webhooks.tests.conftest import Answer, Receiver, emit_message, free_port, wait_until
from yesapp.events import SESSION_STATUS, emit
from yesapp.tests.fixtures import ROOT, child_env

pytestmark = pytest.mark.slow


# The receiver side, exactly as docs/WEBHOOKS.md shows it.
def verify_yesapp_webhook(secret: str, headers, body: bytes, tolerance: int = 300) -> bool:
    """True when the request was signed with `secret` less than `tolerance` seconds ago."""
    timestamp = headers.get("X-YesApp-Timestamp", "")
    signature = headers.get("X-YesApp-Signature", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > tolerance:
        return False
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(signature, "sha256=" + expected)


@pytest.fixture
def webhook_worker(start_worker, settings):
    """A worker on the webhooks queue that may call 127.0.0.1 (the test receiver)."""
    settings.WEBHOOK_ALLOW_PRIVATE = True
    settings.WEBHOOK_URL = ""

    def start(**env):
        return start_worker(
            queues="webhooks,default",
            name=f"webhooks-{time.monotonic_ns()}",
            **{"WEBHOOK_ALLOW_PRIVATE": "true", "WEBHOOK_URL": "", **env},
        )

    return start


def attempts_of(delivery: WebhookDelivery) -> list[tuple[int | None, str]]:
    return list(
        WebhookDeliveryAttempt.objects.filter(delivery=delivery)
        .order_by("number")
        .values_list("status_code", "outcome")
    )


def finished(delivery_id: int, timeout: float = 20) -> WebhookDelivery:
    return wait_until(
        lambda: WebhookDelivery.objects.filter(
            pk=delivery_id, status__in=[DeliveryStatus.SUCCEEDED, DeliveryStatus.FAILED]
        ).first(),
        timeout=timeout,
    )


def test_message_received_reaches_the_receiver_signed_with_the_documented_fields(
    webhook_worker, make_session, receiver
):
    webhook_worker()
    session = make_session()
    config, secret = webhook_configure(
        session=session, url=receiver.url(), headers={"Authorization": "Bearer t0k"}
    )
    emitted = time.monotonic()
    emit_message(session, "m1", text="Bonjour ✓")
    request = receiver.wait_for(1)[0]
    latency = request.at - emitted

    assert verify_yesapp_webhook(secret, request.headers, request.body)
    assert not verify_yesapp_webhook("wrong-secret-0123456789", request.headers, request.body)
    delivery = WebhookDelivery.objects.get()
    assert request.headers["X-YesApp-Event"] == "message.received"
    assert request.headers["X-YesApp-Delivery"] == str(delivery.uuid)
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Authorization"] == "Bearer t0k"
    assert request.headers["X-YesApp-Attempt"] == "1"
    body = request.json
    expected = {"event", "sessionId", "messageId", "from", "to", "text", "type", "timestamp", "mediaUrl"}
    assert expected <= set(body)
    assert body["event"] == "message.received" and body["sessionId"] == str(session.pk)
    assert body["messageId"] == "m1" and body["text"] == "Bonjour ✓" and body["mediaUrl"] is None
    assert request.body == delivery.body.encode()
    # At once (no beat runs here to sweep it up later); room for a loaded machine.
    assert latency < 5, f"first attempt took {latency:.3f} s after the commit"
    assert finished(delivery.pk).status == DeliveryStatus.SUCCEEDED


def test_session_status_event_has_the_documented_body(webhook_worker, make_session, receiver):
    webhook_worker()
    session = make_session()
    _, secret = webhook_configure(session=session, url=receiver.url(), events=["session.status"])
    emit(
        SESSION_STATUS,
        session_id=session.pk,
        payload={"status": "disconnected", "previousStatus": "connected"},
    )
    request = receiver.wait_for(1)[0]
    assert verify_yesapp_webhook(secret, request.headers, request.body)
    assert request.headers["X-YesApp-Event"] == "session.status"
    assert {"event", "sessionId", "status", "previousStatus", "timestamp"} <= set(request.json)
    assert request.json["status"] == "disconnected" and request.json["previousStatus"] == "connected"


def test_500_twice_then_200_is_three_attempts_on_the_default_schedule_and_success(
    webhook_worker, make_session, receiver
):
    webhook_worker()  # WEBHOOK_RETRY_DELAYS=0,1,2 (the default)
    session = make_session()
    webhook_configure(session=session, url=receiver.url())
    receiver.script("/hook", Answer(500), Answer(500))
    emit_message(session, "m1")
    first, second, third = receiver.wait_for(3, timeout=20)
    delivery = finished(WebhookDelivery.objects.get().pk)
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert attempts_of(delivery) == [(500, "retry"), (500, "retry"), (200, "success")]
    # 1 s then 2 s apart: a timer never fires early; late by a few seconds on a loaded machine.
    assert 0.9 <= second.at - first.at < 5
    assert 1.9 <= third.at - second.at < 6
    assert len({r.headers["X-YesApp-Delivery"] for r in (first, second, third)}) == 1
    assert [r.headers["X-YesApp-Attempt"] for r in (first, second, third)] == ["1", "2", "3"]


def test_receiver_down_fails_after_the_schedule_and_a_manual_retry_works_once_it_is_up(
    webhook_worker, make_session, api
):
    webhook_worker(WEBHOOK_RETRY_DELAYS="0,0.2,0.2")
    port = free_port()  # nothing listens there yet
    session = make_session()
    webhook_configure(session=session, url=f"http://127.0.0.1:{port}/hook")
    emit_message(session, "m1")
    delivery = finished(WebhookDelivery.objects.get().pk)
    assert delivery.status == DeliveryStatus.FAILED
    assert [outcome for _, outcome in attempts_of(delivery)] == ["retry", "retry", "failed"]
    assert "refused" in delivery.last_error.lower()

    up = Receiver(port=port).start()
    try:
        response = api.post(f"/api/v1/webhooks/deliveries/{delivery.uuid}/retry")
        assert response.status_code == 202
        request = up.wait_for(1)[0]
        assert request.headers["X-YesApp-Delivery"] == str(delivery.uuid)
        assert request.headers["X-YesApp-Attempt"] == "4"
        assert finished(delivery.pk).status == DeliveryStatus.SUCCEEDED
    finally:
        up.stop()


def test_a_timeout_is_retried(webhook_worker, make_session, receiver):
    webhook_worker(WEBHOOK_TIMEOUT="0.5", WEBHOOK_RETRY_DELAYS="0,0.2")
    session = make_session()
    webhook_configure(session=session, url=receiver.url())
    receiver.script("/hook", Answer(200, delay=2))
    emit_message(session, "m1")
    receiver.wait_for(2)
    delivery = finished(WebhookDelivery.objects.get().pk)
    assert delivery.status == DeliveryStatus.SUCCEEDED
    attempt = WebhookDeliveryAttempt.objects.filter(delivery=delivery).order_by("number").first()
    assert attempt.outcome == "retry" and attempt.status_code is None and "Timed out" in attempt.error
    assert attempt.duration_ms < 1500


def test_410_is_not_retried(webhook_worker, make_session, receiver):
    webhook_worker(WEBHOOK_RETRY_DELAYS="0,0.2,0.2")
    session = make_session()
    webhook_configure(session=session, url=receiver.url())
    receiver.script("/hook", Answer(410, body=b"gone"))
    emit_message(session, "m1")
    delivery = finished(WebhookDelivery.objects.get().pk)
    time.sleep(0.6)  # long enough for a retry that should not come
    assert delivery.status == DeliveryStatus.FAILED and delivery.last_status_code == 410
    assert attempts_of(delivery) == [(410, "failed")]
    assert len(receiver.received()) == 1


@pytest.mark.parametrize("status", [429, 408])
def test_429_and_408_are_retried(webhook_worker, make_session, receiver, status):
    webhook_worker(WEBHOOK_RETRY_DELAYS="0,0.2,0.2")
    session = make_session()
    webhook_configure(session=session, url=receiver.url())
    receiver.script("/hook", Answer(status))
    emit_message(session, "m1")
    delivery = finished(WebhookDelivery.objects.get().pk)
    assert attempts_of(delivery) == [(status, "retry"), (200, "success")]


def test_private_target_is_refused_at_delivery_when_the_setting_is_off(
    webhook_worker, make_session, receiver, settings, api
):
    """Saved while allowed, sent by a worker that refuses: `localhost` resolves to 127.0.0.1."""
    webhook_worker(WEBHOOK_ALLOW_PRIVATE="false")
    session = make_session()
    webhook_configure(session=session, url=receiver.url(host="localhost"))
    emit_message(session, "m1")
    delivery = finished(WebhookDelivery.objects.get().pk)
    assert delivery.status == DeliveryStatus.FAILED
    assert attempts_of(delivery) == [(None, "failed")]  # permanent: no retry
    assert "private" in delivery.last_error and "127.0.0.1" in delivery.last_error
    assert receiver.received() == []

    settings.WEBHOOK_ALLOW_PRIVATE = False
    response = api.put(
        f"/api/v1/sessions/{session.pk}/webhook", {"url": receiver.url(host="localhost")}, format="json"
    )
    assert response.status_code == 400 and "private" in response.json()["error"]["message"]


def test_deliveries_of_one_session_keep_their_order_even_across_retries(
    webhook_worker, make_session, receiver
):
    webhook_worker(WEBHOOK_RETRY_DELAYS="0,0.3,0.3")
    session = make_session()
    webhook_configure(session=session, url=receiver.url())
    receiver.script("/hook", Answer(503))  # the first event fails once
    for n in range(1, 6):
        emit_message(session, f"m{n}")
    requests = receiver.wait_for(6)
    order = [r.json["messageId"] for r in requests]
    assert order == ["m1", "m1", "m2", "m3", "m4", "m5"]
    # One at a time: each request started after the previous one was answered.
    assert all(b.at >= a.at for a, b in zip(requests, requests[1:], strict=False))


@pytest.mark.parametrize("trouble", ["slow", "failing", "gone"])
def test_a_slow_failing_or_gone_receiver_of_one_session_does_not_delay_another_sessions_webhooks(
    trouble, webhook_worker, make_session, receiver
):
    """One session's receiver answers after 10 s, or 500s, or is gone (nothing listens): its
    deliveries take one worker slot at a time (ordered), retry on schedule, and another
    session's webhook still arrives at once."""
    webhook_worker(WEBHOOK_TIMEOUT="12")  # 4 worker threads; the slow one answers within time
    bad, good = make_session("bad"), make_session("good")
    bad_url = receiver.url("/bad") if trouble != "gone" else f"http://127.0.0.1:{free_port()}/bad"
    webhook_configure(session=bad, url=bad_url)
    webhook_configure(session=good, url=receiver.url("/good"))
    receiver.script("/bad", *[Answer(200, delay=10) if trouble == "slow" else Answer(500)] * 20)
    for n in range(6):
        emit_message(bad, f"b{n}")
    first = WebhookDelivery.objects.filter(session=bad).order_by("id").first()
    wait_until(
        lambda: (
            WebhookDeliveryAttempt.objects.filter(delivery=first).exists()
            or (trouble == "slow" and receiver.received("/bad"))
        ),
        timeout=15,
    )
    emitted = time.monotonic()
    emit_message(good, "g1")
    good_request = receiver.wait_for(1, path="/good", timeout=10)[0]
    # Milliseconds on a quiet machine; the bound only has to tell it from waiting behind a
    # receiver that takes 10 s, with room for a loaded 2-core CI machine.
    assert good_request.at - emitted < 3.0
    if trouble == "slow":
        # One slot at a time: its second request waits for the first (still being answered).
        assert len(receiver.received("/bad")) == 1
        return
    # Retries follow WEBHOOK_RETRY_DELAYS=0,1,2: three attempts, 1 s then 2 s apart, then failed.
    wait_until(lambda: WebhookDelivery.objects.get(pk=first.pk).status == DeliveryStatus.FAILED, timeout=20)
    started = list(
        WebhookDeliveryAttempt.objects.filter(delivery=first)
        .order_by("number")
        .values_list("started_at", flat=True)
    )
    gaps = [(b - a).total_seconds() for a, b in zip(started, started[1:], strict=False)]
    assert len(started) == 3 and 0.9 <= gaps[0] < 5 and 1.9 <= gaps[1] < 6, gaps
    # Ordered: the session's next delivery waited for this one to finish.
    second = WebhookDelivery.objects.filter(session=bad).order_by("id")[1]
    first_done = WebhookDelivery.objects.get(pk=first.pk).finished_at
    wait_until(lambda: WebhookDeliveryAttempt.objects.filter(delivery=second).exists(), timeout=10)
    assert WebhookDeliveryAttempt.objects.filter(delivery=second).earliest("number").started_at >= first_done


def test_redis_down_at_emit_keeps_the_outbox_row_and_the_sweep_delivers_it_later(
    webhook_worker, make_session, receiver
):
    webhook_worker(WEBHOOK_SWEEP_GRACE="0")
    session = make_session()
    webhook_configure(session=session, url=receiver.url())
    with socket.socket() as sock:  # a port where no Redis answers
        sock.bind(("127.0.0.1", 0))
        dead_redis = f"redis://127.0.0.1:{sock.getsockname()[1]}/13"
    # The emitting process (an engine worker, say) sees Redis down while it commits.
    emitter = (
        "from django.db import transaction\n"
        "from yesapp.events import emit\n"
        "with transaction.atomic():\n"
        f"    emit('message.received', session_id='{session.pk}',\n"
        "         payload={'messageId': 'm1', 'text': 'hi'})\n"
    )
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", emitter],
        cwd=ROOT,
        env=child_env(REDIS_URL=dead_redis),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "not queued (broker unavailable)" in result.stderr
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING
    time.sleep(1)
    assert receiver.received() == []  # nothing was queued, so nothing was sent

    sweep_webhook_deliveries.apply_async()  # what beat does every WEBHOOK_SWEEP_INTERVAL
    request = receiver.wait_for(1)[0]
    assert request.json["messageId"] == "m1"
    assert finished(delivery.pk).status == DeliveryStatus.SUCCEEDED
    assert time.monotonic() - started < 30


def test_the_default_webhook_from_the_environment_delivers_signed(
    webhook_worker, make_session, receiver, settings
):
    settings.WEBHOOK_URL = receiver.url("/default")
    settings.WEBHOOK_SECRET = "env-secret-0123456789abc"
    webhook_worker(WEBHOOK_URL=settings.WEBHOOK_URL, WEBHOOK_SECRET=settings.WEBHOOK_SECRET)
    emit_message(make_session(), "m1")
    request = receiver.wait_for(1, path="/default")[0]
    assert verify_yesapp_webhook("env-secret-0123456789abc", request.headers, request.body)


def test_an_unordered_slow_receiver_uses_at_most_its_share_of_the_workers(
    webhook_worker, make_session, receiver
):
    webhook_worker(WEBHOOK_UNORDERED_CONCURRENCY="2")  # 4 worker threads
    slow, fast = make_session("slow"), make_session("fast")
    webhook_configure(session=slow, url=receiver.url("/slow"), ordered=False)
    webhook_configure(session=fast, url=receiver.url("/fast"))
    receiver.script("/slow", *[Answer(200, delay=5)] * 6)
    for n in range(6):
        emit_message(slow, f"s{n}")
    receiver.wait_for(2, path="/slow")
    emitted = time.monotonic()
    emit_message(fast, "f1")
    fast_request = receiver.wait_for(1, path="/fast", timeout=10)[0]
    assert fast_request.at - emitted < 4  # waiting for a slot would take the slow ones' 5 s
    assert len(receiver.received("/slow")) == 2  # two in flight, the rest wait their turn
    # All of them still arrive, in waves of two.
    receiver.wait_for(6, path="/slow", timeout=40)
