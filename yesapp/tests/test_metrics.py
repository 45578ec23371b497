"""GET /metrics: off by default, token-protected, and counting what the database holds."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from messaging.models import Direction, Message, MessageStatus
from sessions_app.models import Session, SessionEvent, SessionStatus
from webhooks.metrics import webhook_attempts_tally
from webhooks.models import (
    AttemptOutcome,
    DeliveryStatus,
    WebhookConfig,
    WebhookDelivery,
    WebhookDeliveryAttempt,
)
from yesapp.tests.helpers import assert_error_shape, closed_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def metrics_on(settings):
    settings.METRICS_ENABLED = True
    settings.METRICS_TOKEN = ""
    return settings


def scrape(client: Client | None = None, **headers) -> dict[tuple[str, tuple], float]:
    """Every sample of a scrape as {(name, sorted labels): value}."""
    response = (client or Client()).get("/metrics", **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def _session(name: str, status: str = SessionStatus.CONNECTED) -> Session:
    return Session.objects.create(name=name, sandbox=True, status=status)


def _message(session: Session, direction: str, status: str) -> Message:
    return Message.objects.create(
        session=session, direction=direction, chat_id="33612345678@c.us", status=status
    )


def _attempt(delivery: WebhookDelivery, *, outcome: str, duration_ms: int, age_s: float = 120) -> None:
    WebhookDeliveryAttempt.objects.create(
        delivery=delivery,
        number=delivery.attempt_log.count() + 1,
        url="https://example.com/hook",
        started_at=timezone.now() - timedelta(seconds=age_s),
        duration_ms=duration_ms,
        status_code=200 if outcome == AttemptOutcome.SUCCESS else 500,
        outcome=outcome,
    )


def _delivery(session: Session, status: str = DeliveryStatus.SUCCEEDED) -> WebhookDelivery:
    config, _ = WebhookConfig.objects.get_or_create(
        session=session, defaults={"url": "https://example.com/hook"}
    )
    return WebhookDelivery.objects.create(
        config=config,
        session=session,
        event="message.received",
        body="{}",
        status=status,
        next_attempt_at=timezone.now(),
    )


def test_metrics_are_404_unless_enabled(settings):
    settings.METRICS_ENABLED = False
    assert_error_shape(Client().get("/metrics"), 404, "not_found")


def test_metrics_with_a_token_need_the_bearer_header(metrics_on):
    metrics_on.METRICS_TOKEN = "s3cret-metrics-token"
    client = Client()
    for headers in (
        {},
        {"HTTP_AUTHORIZATION": "Bearer wrong"},
        {"HTTP_AUTHORIZATION": "s3cret-metrics-token"},
    ):
        response = client.get("/metrics", **headers)
        assert_error_shape(response, 401, "authentication_failed")
        assert response["WWW-Authenticate"].startswith("Bearer")
    assert scrape(client, HTTP_AUTHORIZATION="Bearer s3cret-metrics-token")


def test_metrics_without_a_token_are_open_once_enabled(metrics_on):
    assert ("yesapp_redis_up", ()) in scrape()


def test_metrics_are_never_cached(metrics_on):
    assert "no-cache" in Client().get("/metrics")["Cache-Control"]


def test_sessions_are_counted_by_status_with_every_status_present(metrics_on):
    _session("a")
    _session("b")
    _session("c", SessionStatus.QR)
    samples = scrape()
    assert samples[("yesapp_sessions", (("status", "connected"),))] == 2
    assert samples[("yesapp_sessions", (("status", "qr"),))] == 1
    assert samples[("yesapp_sessions", (("status", "failed"),))] == 0


def test_messages_by_direction_and_status_and_queue_depth_per_session(metrics_on):
    busy, idle = _session("busy"), _session("idle")
    for status in (MessageStatus.QUEUED, MessageStatus.QUEUED, MessageStatus.SENDING, MessageStatus.READ):
        _message(busy, Direction.OUTBOUND, status)
    _message(idle, Direction.INBOUND, MessageStatus.RECEIVED)
    samples = scrape()
    assert samples[("yesapp_messages", (("direction", "outbound"), ("status", "queued")))] == 2
    assert samples[("yesapp_messages", (("direction", "outbound"), ("status", "read")))] == 1
    assert samples[("yesapp_messages", (("direction", "outbound"), ("status", "failed")))] == 0
    assert samples[("yesapp_messages", (("direction", "inbound"), ("status", "received")))] == 1
    assert samples[("yesapp_session_queue_depth", (("session", "busy"), ("session_id", str(busy.pk))))] == 3
    assert samples[("yesapp_session_queue_depth", (("session", "idle"), ("session_id", str(idle.pk))))] == 0


def test_webhook_deliveries_by_status_attempt_outcomes_and_latency_histogram(metrics_on):
    session = _session("hooks")
    ok, failed = _delivery(session), _delivery(session, DeliveryStatus.FAILED)
    _attempt(ok, outcome=AttemptOutcome.SUCCESS, duration_ms=40)
    _attempt(failed, outcome=AttemptOutcome.RETRY, duration_ms=700)
    _attempt(failed, outcome=AttemptOutcome.FAILED, duration_ms=5000)
    samples = scrape()
    assert samples[("yesapp_webhook_deliveries", (("status", "succeeded"),))] == 1
    assert samples[("yesapp_webhook_deliveries", (("status", "failed"),))] == 1
    assert samples[("yesapp_webhook_deliveries", (("status", "pending"),))] == 0
    assert samples[("yesapp_webhook_attempts_total", (("outcome", "success"),))] == 1
    assert samples[("yesapp_webhook_attempts_total", (("outcome", "retry"),))] == 1
    assert samples[("yesapp_webhook_attempts_total", (("outcome", "failed"),))] == 1
    bucket = "yesapp_webhook_attempt_duration_seconds_bucket"
    assert samples[(bucket, (("le", "0.05"),))] == 1
    assert samples[(bucket, (("le", "1.0"),))] == 2
    assert samples[(bucket, (("le", "2.5"),))] == 2
    assert samples[(bucket, (("le", "5.0"),))] == 3
    assert samples[(bucket, (("le", "+Inf"),))] == 3
    assert samples[("yesapp_webhook_attempt_duration_seconds_count", ())] == 3
    assert samples[("yesapp_webhook_attempt_duration_seconds_sum", ())] == pytest.approx(5.74)


def test_an_attempt_is_counted_once_it_is_older_than_the_grace_and_only_once(metrics_on):
    delivery = _delivery(_session("late"))
    _attempt(delivery, outcome=AttemptOutcome.SUCCESS, duration_ms=10, age_s=1)  # may still be committing
    assert webhook_attempts_tally().get("total", 0) == 0
    WebhookDeliveryAttempt.objects.update(started_at=timezone.now() - timedelta(minutes=5))
    assert webhook_attempts_tally()["total"] == 1
    assert webhook_attempts_tally()["total"] == 1


def test_webhook_counters_never_go_down_when_old_attempts_are_pruned(metrics_on):
    session = _session("pruned")
    for _ in range(3):
        _attempt(_delivery(session), outcome=AttemptOutcome.SUCCESS, duration_ms=20)
    assert scrape()[("yesapp_webhook_attempts_total", (("outcome", "success"),))] == 3
    WebhookDelivery.objects.all().delete()  # the retention prune (attempts cascade)
    _attempt(_delivery(session), outcome=AttemptOutcome.SUCCESS, duration_ms=20)
    samples = scrape()
    assert samples[("yesapp_webhook_attempts_total", (("outcome", "success"),))] == 4
    assert samples[("yesapp_webhook_deliveries", (("status", "succeeded"),))] == 1


def test_engine_restarts_count_browser_problem_events_per_session(metrics_on):
    crashy, calm = _session("crashy"), _session("calm")
    for _ in range(2):
        SessionEvent.objects.create(
            session=crashy,
            from_status=SessionStatus.CONNECTED,
            to_status=SessionStatus.DISCONNECTED,
            reason="browser problem at step 'drain': chrome not reachable; restarting in 1s",
        )
    SessionEvent.objects.create(
        session=calm,
        from_status=SessionStatus.QR,
        to_status=SessionStatus.CONNECTED,
        reason="linked and ready",
    )
    samples = scrape()
    assert samples[("yesapp_engine_restarts_total", (("session_id", str(crashy.pk)),))] == 2
    assert ("yesapp_engine_restarts_total", (("session_id", str(calm.pk)),)) not in samples


def test_engine_nodes_and_celery_queues_come_from_redis(metrics_on):
    from sessions_app.engine.nodes import live_nodes, node_heartbeat
    from yesapp.redis import get_redis

    node_heartbeat("engine@test-node")
    node_heartbeat("engine@other-node")
    get_redis().rpush("webhooks", "task-1", "task-2")
    samples = scrape()
    assert samples[("yesapp_redis_up", ())] == 1
    # Counted from the heartbeats (a worker of an earlier test may still be ending: count it too).
    nodes = live_nodes()
    assert {"engine@test-node", "engine@other-node"} <= set(nodes)
    assert samples[("yesapp_engine_nodes", ())] == len(nodes)
    assert samples[("yesapp_celery_queue_length", (("queue", "webhooks"),))] == 2
    assert samples[("yesapp_celery_queue_length", (("queue", "engine"),))] == 0


def test_metrics_still_count_the_database_when_redis_is_down(metrics_on):
    _session("alone")
    metrics_on.REDIS_URL = f"redis://127.0.0.1:{closed_port()}/0"
    metrics_on.REDIS_SOCKET_TIMEOUT = 0.5
    samples = scrape()
    assert samples[("yesapp_redis_up", ())] == 0
    assert samples[("yesapp_sessions", (("status", "connected"),))] == 1
    assert not any(name.startswith("yesapp_webhook_attempt") for name, _ in samples)


def test_a_page_lacking_a_wa_js_function_is_counted_per_session(metrics_on):
    from sessions_app.engine.wpp_contract import contract_broken_message

    broken, calm = _session("broken"), _session("calm")
    SessionEvent.objects.create(
        session=broken,
        from_status=SessionStatus.STARTING,
        to_status=SessionStatus.FAILED,
        reason=contract_broken_message("2.3000.1017", ["chat.sendTextMessage"]),
    )
    SessionEvent.objects.create(
        session=calm,
        from_status=SessionStatus.QR,
        to_status=SessionStatus.CONNECTED,
        reason="linked and ready",
    )
    samples = scrape()
    assert samples[("yesapp_wajs_contract_broken_total", (("session_id", str(broken.id)),))] == 1
    assert ("yesapp_wajs_contract_broken_total", (("session_id", str(calm.id)),)) not in samples
