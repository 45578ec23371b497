"""The outbox and the attempt cycle in-process: rows, claims, schedule, sweep, pruning, admin."""

import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from webhooks.attempts import webhook_delivery_attempt
from webhooks.models import (
    DeliveryStatus,
    WebhookConfig,
    WebhookDelivery,
    WebhookDeliveryAttempt,
    WebhookSource,
)
from webhooks.outbox import (
    webhook_deliveries_prune,
    webhook_deliveries_sweep,
    webhook_delivery_retry,
)
from webhooks.services import webhook_configure
from webhooks.tests.conftest import Answer, emit_message
from yesapp.errors import Conflict
from yesapp.events import SESSION_STATUS, emit
from yesapp.redis import get_redis


@pytest.fixture(autouse=True)
def private_targets_allowed(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    settings.WEBHOOK_URL = ""
    settings.WEBHOOK_RETRY_DELAYS = "0,0,0"


# The `webhooks` queue's Redis lists, one per priority step (kombu: 0 is taken first).
WEBHOOK_QUEUES = ("webhooks", "webhooks\x06\x163", "webhooks\x06\x166", "webhooks\x06\x169")


def queued_by_priority() -> dict[str, list[int]]:
    """The delivery ids waiting in the real `webhooks` queue in Redis, by priority list."""
    queued = {}
    for queue in WEBHOOK_QUEUES:
        ids = []
        for raw in get_redis().lrange(queue, 0, -1):
            message = json.loads(raw)
            args, _, _ = json.loads(__import__("base64").b64decode(message["body"]))
            ids.append(args[0])
        if ids:
            queued[queue] = sorted(ids)
    return queued


def queued_delivery_ids() -> list[int]:
    """The delivery ids waiting in the real `webhooks` queue in Redis, whatever their priority."""
    return sorted(i for ids in queued_by_priority().values() for i in ids)


def clear_queue() -> None:
    get_redis().delete(*WEBHOOK_QUEUES)


def test_an_event_is_stored_in_the_emitters_transaction_and_queued_on_commit(
    make_session, receiver, django_capture_on_commit_callbacks
):
    session = make_session()
    webhook_configure(session=session, url=receiver.url())
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        emit_message(session, "m1")
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING and delivery.event == "message.received"
    body = json.loads(delivery.body)
    assert body["messageId"] == "m1" and body["sessionId"] == str(session.pk)
    # Made from the event log's entry: the same bytes a stream client gets.
    assert delivery.log_entry.name == "message.received" and delivery.body == delivery.log_entry.body
    # The delivery's nudge, and the notice to open event streams.
    assert len(callbacks) == 2
    assert queued_delivery_ids() == [delivery.pk]


def test_a_rolled_back_change_stores_no_event(make_session, receiver):
    session = make_session()
    webhook_configure(session=session, url=receiver.url())
    with pytest.raises(RuntimeError), transaction.atomic():
        emit_message(session, "m1")
        raise RuntimeError("the message insert failed")
    assert not WebhookDelivery.objects.exists()


def test_no_webhook_or_an_unsubscribed_event_stores_nothing(make_session, receiver):
    session = make_session()
    emit_message(session, "m1")
    assert not WebhookDelivery.objects.exists()
    webhook_configure(session=session, url=receiver.url(), events=["session.status"])
    emit_message(session, "m2")
    assert not WebhookDelivery.objects.exists()
    emit(SESSION_STATUS, session_id=session.pk, payload={"status": "stopped", "previousStatus": "connected"})
    assert WebhookDelivery.objects.get().event == "session.status"


def test_default_webhook_from_the_environment_serves_sessions_without_their_own(
    settings, make_session, receiver
):
    settings.WEBHOOK_URL = receiver.url("/default")
    settings.WEBHOOK_EVENTS = ["message.received"]
    plain, own = make_session("plain"), make_session("own")
    webhook_configure(session=own, url=receiver.url("/own"))
    emit_message(plain, "m1")
    emit_message(own, "m2")
    emit(SESSION_STATUS, session_id=plain.pk, payload={"status": "stopped", "previousStatus": "connected"})
    urls = {d.session.name: d.config.url for d in WebhookDelivery.objects.select_related("config", "session")}
    assert urls == {"plain": receiver.url("/default"), "own": receiver.url("/own")}
    assert WebhookConfig.objects.get(source=WebhookSource.ENV).events == ["message.received"]

    settings.WEBHOOK_URL = ""
    emit_message(plain, "m3")
    assert WebhookDelivery.objects.count() == 2
    assert not WebhookConfig.objects.get(source=WebhookSource.ENV).is_active


def test_default_webhook_signs_with_the_environment_secret(settings, make_session, receiver):
    settings.WEBHOOK_URL = receiver.url()
    settings.WEBHOOK_SECRET = "env-secret-0123456789"
    emit_message(make_session(), "m1")
    webhook_delivery_attempt(delivery_id=WebhookDelivery.objects.get().pk)
    request = receiver.received()[0]
    assert request.headers["X-YesApp-Signature"] == _signature("env-secret-0123456789", request)


def _signature(secret: str, request) -> str:
    import hashlib
    import hmac

    message = request.headers["X-YesApp-Timestamp"].encode() + b"." + request.body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def test_an_ordered_lane_sends_only_its_oldest_open_delivery(make_session, receiver):
    session = make_session()
    webhook_configure(session=session, url=receiver.url())
    emit_message(session, "m1")
    emit_message(session, "m2")
    first, second = WebhookDelivery.objects.order_by("id")
    assert webhook_delivery_attempt(delivery_id=second.pk) is None  # not its turn
    assert webhook_delivery_attempt(delivery_id=first.pk).status == DeliveryStatus.SUCCEEDED
    assert webhook_delivery_attempt(delivery_id=second.pk).status == DeliveryStatus.SUCCEEDED
    assert [r.json["messageId"] for r in receiver.received()] == ["m1", "m2"]


def test_an_unordered_webhook_sends_deliveries_independently(make_session, receiver):
    session = make_session()
    webhook_configure(session=session, url=receiver.url(), ordered=False)
    emit_message(session, "m1")
    emit_message(session, "m2")
    first, second = WebhookDelivery.objects.order_by("id")
    assert webhook_delivery_attempt(delivery_id=second.pk).status == DeliveryStatus.SUCCEEDED
    assert [r.json["messageId"] for r in receiver.received()] == ["m2"]


def test_an_unordered_webhook_has_at_most_the_configured_attempts_in_flight(make_session, receiver, settings):
    settings.WEBHOOK_UNORDERED_CONCURRENCY = 2
    session = make_session()
    webhook_configure(session=session, url=receiver.url(), ordered=False)
    for n in range(3):
        emit_message(session, f"m{n}")
    first, second, third = WebhookDelivery.objects.order_by("id")
    # Two attempts are under way (their workers are still waiting for the receiver).
    WebhookDelivery.objects.filter(pk__in=[first.pk, second.pk]).update(
        status=DeliveryStatus.SENDING, claimed_until=timezone.now() + timedelta(minutes=1)
    )
    assert webhook_delivery_attempt(delivery_id=third.pk) is None
    WebhookDelivery.objects.filter(pk=first.pk).update(status=DeliveryStatus.SUCCEEDED)
    assert webhook_delivery_attempt(delivery_id=third.pk).status == DeliveryStatus.SUCCEEDED


def test_transient_failures_follow_the_schedule_then_fail_and_every_attempt_is_logged(make_session, receiver):
    session = make_session()
    webhook_configure(session=session, url=receiver.url())
    receiver.script("/hook", Answer(503, body=b"busy"), Answer(500), Answer(502))
    emit_message(session, "m1")
    delivery = WebhookDelivery.objects.get()
    statuses = [webhook_delivery_attempt(delivery_id=delivery.pk).status for _ in range(3)]
    assert statuses == ["pending", "pending", "failed"]
    assert webhook_delivery_attempt(delivery_id=delivery.pk) is None  # nothing left to send
    attempts = list(WebhookDeliveryAttempt.objects.filter(delivery=delivery))
    assert [(a.number, a.status_code, a.outcome) for a in attempts] == [
        (1, 503, "retry"),
        (2, 500, "retry"),
        (3, 502, "failed"),
    ]
    assert attempts[0].response_excerpt == "busy" and attempts[0].url == receiver.url()
    assert all(a.duration_ms >= 0 and a.error for a in attempts)
    # The same bytes went out every time, with the same delivery id.
    bodies = {r.body for r in receiver.received()}
    ids = {r.headers["X-YesApp-Delivery"] for r in receiver.received()}
    assert bodies == {delivery.body.encode()} and ids == {str(delivery.uuid)}


def test_a_manual_retry_restarts_the_schedule_and_is_refused_while_pending(make_session, receiver):
    session = make_session()
    webhook_configure(session=session, url=receiver.url())
    receiver.script("/hook", Answer(410))
    emit_message(session, "m1")
    delivery = WebhookDelivery.objects.get()
    with pytest.raises(Conflict):
        webhook_delivery_retry(delivery=delivery)
    assert webhook_delivery_attempt(delivery_id=delivery.pk).status == DeliveryStatus.FAILED
    delivery = webhook_delivery_retry(delivery=delivery)
    assert delivery.status == DeliveryStatus.PENDING and delivery.round_attempts == 0
    delivery = webhook_delivery_attempt(delivery_id=delivery.pk)
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempts == 2


def test_sweep_requeues_lost_nudges_and_expired_claims_but_only_lane_heads(make_session, receiver):
    session, other = make_session("a"), make_session("b")
    webhook_configure(session=session, url=receiver.url())
    webhook_configure(session=other, url=receiver.url())
    emit_message(session, "a1")
    emit_message(session, "a2")
    emit_message(other, "b1")
    a1, a2, b1 = WebhookDelivery.objects.order_by("id")
    # b1's worker died mid-attempt: its claim ran out.
    WebhookDelivery.objects.filter(pk=b1.pk).update(
        status=DeliveryStatus.SENDING, claimed_until=timezone.now() - timedelta(seconds=1)
    )
    assert webhook_deliveries_sweep(grace=60) == 1  # a1 isn't overdue enough yet; b1 is stale
    assert queued_delivery_ids() == [b1.pk]
    clear_queue()
    WebhookDelivery.objects.filter(pk__in=[a1.pk, a2.pk]).update(
        next_attempt_at=timezone.now() - timedelta(minutes=5)
    )
    # a1 is overdue now; a2 waits behind it; b1 was just queued again, so it isn't overdue.
    assert webhook_deliveries_sweep(grace=60) == 1
    assert queued_delivery_ids() == [a1.pk]


def test_prune_deletes_old_finished_deliveries_with_their_attempts_in_batches(make_session, receiver):
    session = make_session()
    webhook_configure(session=session, url=receiver.url(), ordered=False)
    for n in range(5):
        emit_message(session, f"m{n}")
    deliveries = list(WebhookDelivery.objects.order_by("id"))
    for delivery in deliveries[:4]:
        webhook_delivery_attempt(delivery_id=delivery.pk)
    old = timezone.now() - timedelta(days=8)
    WebhookDelivery.objects.filter(pk__in=[d.pk for d in deliveries[:3] + deliveries[4:]]).update(
        created_at=old
    )
    assert webhook_deliveries_prune(batch_size=2) == 3
    # Kept: the recent one, and the old one still pending.
    assert sorted(WebhookDelivery.objects.values_list("pk", flat=True)) == [
        deliveries[3].pk,
        deliveries[4].pk,
    ]
    assert WebhookDeliveryAttempt.objects.count() == 1
    assert webhook_deliveries_prune(older_than_days=0) == 0  # 0 keeps everything


def test_prunewebhooks_command_prunes_with_the_given_retention(make_session, receiver, capsys):
    session = make_session()
    webhook_configure(session=session, url=receiver.url())
    emit_message(session, "m1")
    webhook_delivery_attempt(delivery_id=WebhookDelivery.objects.get().pk)
    WebhookDelivery.objects.update(created_at=timezone.now() - timedelta(days=2))
    call_command("prunewebhooks", "--days", "3")
    assert WebhookDelivery.objects.exists()
    call_command("prunewebhooks", "--days", "1")
    assert not WebhookDelivery.objects.exists()
    assert "Deleted 1 webhook deliveries." in capsys.readouterr().out


def test_admin_retry_selected_requeues_finished_deliveries_through_the_service(
    admin_client, make_session, receiver
):
    session = make_session()
    webhook_configure(session=session, url=receiver.url(), ordered=False)
    receiver.script("/hook", Answer(404))
    emit_message(session, "m1")
    emit_message(session, "m2")
    failed, pending = WebhookDelivery.objects.order_by("id")
    webhook_delivery_attempt(delivery_id=failed.pk)
    response = admin_client.post(
        "/admin/webhooks/webhookdelivery/",
        {"action": "retry_selected", "_selected_action": [failed.pk, pending.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "Queued 1 delivery(ies) again." in response.content.decode()
    failed.refresh_from_db()
    assert failed.status == DeliveryStatus.PENDING and failed.round_attempts == 0
    page = admin_client.get(f"/admin/webhooks/webhookdelivery/{failed.pk}/change/")
    assert page.status_code == 200 and "HTTP 404" in page.content.decode()
    assert admin_client.get("/admin/webhooks/webhookdelivery/?status__exact=pending").status_code == 200
    config = WebhookConfig.objects.get()
    listing = admin_client.get("/admin/webhooks/webhookconfig/")
    assert listing.status_code == 200 and receiver.url() in listing.content.decode()
    change = admin_client.get(f"/admin/webhooks/webhookconfig/{config.pk}/change/").content.decode()
    assert config.secret not in change  # the admin never shows the secret


def test_admin_refuses_to_point_a_webhook_at_a_private_address(
    admin_client, make_session, receiver, settings
):
    webhook_configure(session=make_session(), url="https://93.184.215.14/hook")
    config = WebhookConfig.objects.get()
    settings.WEBHOOK_ALLOW_PRIVATE = False
    form = {
        "session": config.session_id,
        "url": receiver.url(),
        "events": "[]",
        "headers": "{}",
        "ordered": "on",
    }
    form["is_active"] = "on"
    response = admin_client.post(f"/admin/webhooks/webhookconfig/{config.pk}/change/", form)
    assert response.status_code == 200 and "private address" in response.content.decode()
    config.refresh_from_db()
    assert config.url == "https://93.184.215.14/hook"


def test_without_webhook_secret_the_default_webhook_gets_one_generated_and_kept(
    settings, tmp_path, make_session, receiver
):
    settings.DATA_DIR = tmp_path
    settings.WEBHOOK_URL = receiver.url()
    settings.WEBHOOK_SECRET = ""
    session = make_session()
    emit_message(session, "m1")
    emit_message(session, "m2")
    for delivery in WebhookDelivery.objects.order_by("id"):
        webhook_delivery_attempt(delivery_id=delivery.pk)
    path = tmp_path / "webhook_secret"
    secret = path.read_text().strip()
    assert secret.startswith("whsec_") and oct(path.stat().st_mode & 0o777) == "0o600"
    first, second = receiver.received()
    assert first.headers["X-YesApp-Signature"] == _signature(secret, first)
    assert second.headers["X-YesApp-Signature"] == _signature(secret, second)
