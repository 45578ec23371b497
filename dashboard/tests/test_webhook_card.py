from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dashboard.tests.conftest import sign_in_with_key
from webhooks.models import DeliveryStatus, WebhookConfig, WebhookDelivery, WebhookSource

FETCH = {"HTTP_X_REQUESTED_WITH": "fetch"}


@pytest.fixture(autouse=True)
def allow_local_receivers(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    settings.WEBHOOK_URL = ""


def test_saving_a_webhook_shows_its_secret_once(admin_client, make_session):
    session = make_session("hooked", status="connected")
    url = reverse("dashboard:webhook-save", args=[session.pk])
    response = admin_client.post(
        url, {"url": "http://127.0.0.1:9/hook", "events": ["message.received"]}, **FETCH
    )
    body = response.json()
    assert body["ok"] is True and body["secret"].startswith("whsec_")
    config = WebhookConfig.objects.get(session=session)
    assert (config.url, config.events, config.secret) == (
        "http://127.0.0.1:9/hook",
        ["message.received"],
        body["secret"],
    )
    page = admin_client.get(reverse("dashboard:session", args=[session.pk])).content.decode()
    assert body["secret"] not in page
    assert 'value="http://127.0.0.1:9/hook"' in page
    again = admin_client.post(url, {"url": "http://127.0.0.1:9/v2"}, **FETCH).json()
    assert again["ok"] is True and "secret" not in again
    config = WebhookConfig.objects.get(session=session)  # the card edits URL and events only
    assert config.events == [] and config.secret == body["secret"]


def test_without_javascript_the_secret_is_shown_in_the_answer_page_only(admin_client, make_session):
    session = make_session("hooked")
    response = admin_client.post(
        reverse("dashboard:webhook-save", args=[session.pk]), {"url": "http://127.0.0.1:9/h"}
    )
    assert response.status_code == 200
    secret = WebhookConfig.objects.get(session=session).secret
    assert secret in response.content.decode()
    assert secret not in admin_client.get(reverse("dashboard:session", args=[session.pk])).content.decode()


def test_invalid_webhook_urls_get_the_services_error(admin_client, make_session, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    session = make_session("hooked")
    url = reverse("dashboard:webhook-save", args=[session.pk])
    bad = admin_client.post(url, {"url": "http://127.0.0.1/hook"}, **FETCH)
    assert bad.status_code == 400 and "private address" in bad.json()["message"]
    bad = admin_client.post(url, {"url": "ftp://example.com/x"}, **FETCH)
    assert bad.status_code == 400
    assert not WebhookConfig.objects.exists()


def make_delivery(session, status: str) -> WebhookDelivery:
    config = WebhookConfig.objects.get_or_create(
        session=session, defaults={"url": "http://127.0.0.1:9/h", "secret": "s" * 20}
    )[0]
    return WebhookDelivery.objects.create(
        config=config,
        session=session,
        event="message.received",
        body="{}",
        status=status,
        attempts=3,
        last_status_code=500,
        last_error="HTTP 500",
        next_attempt_at=timezone.now() - timedelta(seconds=5),
    )


def test_deliveries_list_statuses_and_offers_retry_for_finished_ones(admin_client, make_session):
    session = make_session("hooked")
    failed = make_delivery(session, DeliveryStatus.FAILED)
    pending = make_delivery(session, DeliveryStatus.PENDING)
    html = admin_client.get(reverse("dashboard:webhook-deliveries", args=[session.pk])).content.decode()
    assert reverse("dashboard:delivery-retry", args=[failed.uuid]) in html
    assert reverse("dashboard:delivery-retry", args=[pending.uuid]) not in html
    assert "HTTP 500" in html and "badge-bad" in html


def test_retry_requeues_a_failed_delivery_through_the_service(admin_client, make_session):
    session = make_session("hooked")
    failed = make_delivery(session, DeliveryStatus.FAILED)
    response = admin_client.post(reverse("dashboard:delivery-retry", args=[failed.uuid]), **FETCH)
    assert response.json()["ok"] is True
    failed.refresh_from_db()
    assert failed.status == DeliveryStatus.PENDING
    again = admin_client.post(reverse("dashboard:delivery-retry", args=[failed.uuid]), **FETCH)
    assert again.status_code == 409


def test_delete_removes_the_webhook(admin_client, make_session):
    session = make_session("hooked")
    make_delivery(session, DeliveryStatus.FAILED)
    response = admin_client.post(reverse("dashboard:webhook-delete", args=[session.pk]), **FETCH)
    assert response.json()["ok"] is True
    assert not WebhookConfig.objects.filter(session=session).exists()


def test_other_keys_deliveries_are_404(scoped_key, make_session):
    from django.test import Client

    from dashboard.tests.conftest import sign_in_with_key

    raw, mine, other = scoped_key
    delivery = make_delivery(other, DeliveryStatus.FAILED)
    client = Client()
    sign_in_with_key(client, raw)
    assert client.post(reverse("dashboard:delivery-retry", args=[delivery.uuid])).status_code == 404
    assert client.get(reverse("dashboard:webhook-deliveries", args=[other.pk])).status_code == 404


def test_a_scoped_key_sees_no_error_text_and_no_retry_for_the_default_webhook(scoped_key):
    raw, mine, _ = scoped_key
    default = WebhookConfig.objects.create(
        source=WebhookSource.ENV, url="https://ops.example/hook?token=OPERATOR-SECRET", secret="s" * 20
    )
    delivery = make_delivery(mine, DeliveryStatus.FAILED)
    delivery.config, delivery.last_error = default, "Redirect to 'https://ops.example/?token=OPERATOR-SECRET'"
    delivery.save()
    client = Client()
    sign_in_with_key(client, raw)
    html = client.get(reverse("dashboard:webhook-deliveries", args=[mine.pk])).content.decode()
    assert "default" in html and "OPERATOR-SECRET" not in html
    assert reverse("dashboard:delivery-retry", args=[delivery.uuid]) not in html
    response = client.post(reverse("dashboard:delivery-retry", args=[delivery.uuid]), **FETCH)
    assert response.status_code == 403
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
