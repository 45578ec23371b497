"""The webhook endpoints through DRF's APIClient with real keys."""

import uuid

import pytest
from rest_framework.test import APIClient

from webhooks.attempts import webhook_delivery_attempt
from webhooks.models import DeliveryStatus, WebhookConfig, WebhookDelivery
from webhooks.services import webhook_configure
from webhooks.tests.conftest import Answer, emit_message
from yesapp.apikeys import apikey_create
from yesapp.events import DEFAULT_EVENTS


@pytest.fixture(autouse=True)
def defaults(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    settings.WEBHOOK_URL = ""


def hook_url(session) -> str:
    return f"/api/v1/sessions/{session.pk}/webhook"


def test_put_creates_a_webhook_and_returns_the_generated_secret_once(api, make_session, settings, receiver):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    session = make_session()
    response = api.put(
        hook_url(session),
        {"url": receiver.url(), "events": ["message.received"], "headers": {"Authorization": "Bearer t0k"}},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["secret"].startswith("whsec_")
    assert body["events"] == ["message.received"] and body["headers"] == {"Authorization": "***"}
    assert body["ordered"] is True and body["sessionId"] == str(session.pk)
    assert WebhookConfig.objects.get(session=session).secret == body["secret"]

    shown = api.get(hook_url(session)).json()
    assert "secret" not in shown and shown["headers"] == {"Authorization": "***"}
    assert shown["lastDeliveries"] == []

    # PUT replaces the whole webhook: what is left out takes its default, a new secret included.
    again = api.put(hook_url(session), {"url": receiver.url("/v2"), "ordered": False}, format="json").json()
    assert again["url"] == receiver.url("/v2") and again["ordered"] is False
    assert again["events"] == list(DEFAULT_EVENTS)  # all but the opt-in chat.presence
    assert (
        again["headers"] == {} and again["secret"].startswith("whsec_") and again["secret"] != body["secret"]
    )
    config = WebhookConfig.objects.get(session=session)
    assert config.secret == again["secret"] and config.headers == {}
    restored = api.put(hook_url(session), {"url": receiver.url("/v2")}, format="json").json()
    assert restored["ordered"] is True


def test_patch_changes_only_the_fields_given(api, make_session, settings, receiver):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    session = make_session()
    created = api.put(
        hook_url(session),
        {"url": receiver.url(), "events": ["message.status"], "headers": {"Authorization": "Bearer t0k"}},
        format="json",
    ).json()
    response = api.patch(hook_url(session), {"url": receiver.url("/v2")}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["url"] == receiver.url("/v2") and body["events"] == ["message.status"]
    assert body["headers"] == {"Authorization": "***"} and "secret" not in body
    config = WebhookConfig.objects.get(session=session)
    assert config.secret == created["secret"] and config.headers == {"Authorization": "Bearer t0k"}
    body = api.patch(hook_url(session), {"events": ["*"], "ordered": False}, format="json").json()
    assert body["events"] == list(DEFAULT_EVENTS)  # all but the opt-in chat.presence
    assert body["ordered"] is False and body["url"] == receiver.url("/v2")
    api.patch(hook_url(session), {"secret": "n" * 20, "headers": {}}, format="json")
    config.refresh_from_db()
    assert config.secret == "n" * 20 and config.headers == {} and config.url == receiver.url("/v2")


def test_patch_without_a_webhook_is_404_and_bad_or_empty_patches_are_400(api, make_session, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    session = make_session()
    missing = api.patch(hook_url(session), {"events": ["message.status"]}, format="json")
    assert missing.status_code == 404 and "PUT" in missing.json()["error"]["message"]
    api.put(hook_url(session), {"url": "http://127.0.0.1:9/hook"}, format="json")
    assert api.patch(hook_url(session), {}, format="json").status_code == 400
    assert api.patch(hook_url(session), {"events": ["nope"]}, format="json").status_code == 400
    assert api.patch(hook_url(session), {"url": "ftp://x"}, format="json").status_code == 400
    assert WebhookConfig.objects.get(session=session).url == "http://127.0.0.1:9/hook"


def test_put_with_own_secret_does_not_echo_it(api, make_session, settings, receiver):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    session = make_session()
    body = api.put(hook_url(session), {"url": receiver.url(), "secret": "s" * 20}, format="json").json()
    assert "secret" not in body
    assert WebhookConfig.objects.get(session=session).secret == "s" * 20


def test_get_shows_the_last_deliveries_and_delete_removes_the_webhook(api, make_session, settings, receiver):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    session = make_session()
    webhook_configure(session=session, url=receiver.url())
    emit_message(session, "m1")
    shown = api.get(hook_url(session)).json()
    assert [d["payload"]["messageId"] for d in shown["lastDeliveries"]] == ["m1"]
    assert shown["lastDeliveries"][0]["status"] == "pending" and shown["lastDeliveries"][0]["nextAttemptAt"]

    assert api.delete(hook_url(session)).status_code == 204
    assert not WebhookConfig.objects.exists() and not WebhookDelivery.objects.exists()
    assert api.delete(hook_url(session)).status_code == 204
    response = api.get(hook_url(session))
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    "payload, fragment",
    [
        ({}, "url"),
        ({"url": "ftp://example.com/hook"}, "http"),
        ({"url": "https://user:pw@example.com/hook"}, "Credentials"),
        ({"url": "http://127.0.0.1:8080/hook"}, "private"),
        ({"url": "http://localhost:8080/hook"}, "private"),
        ({"url": "http://10.1.2.3/hook"}, "private"),
        ({"url": "http://[::1]/hook"}, "private"),
        ({"url": "http://169.254.169.254/latest/meta-data"}, "private"),
        ({"url": {"nested": 1}}, "url"),
        ({"url": "https://93.184.215.14/hook", "events": "message.received"}, "events"),
        ({"url": "https://93.184.215.14/hook", "events": ["message.sent"]}, "events"),
        ({"url": "https://93.184.215.14/hook", "events": []}, "events"),
        ({"url": "https://93.184.215.14/hook", "headers": ["Authorization"]}, "headers"),
        ({"url": "https://93.184.215.14/hook", "headers": {"X-YesApp-Signature": "x"}}, "X-YesApp-Signature"),
        ({"url": "https://93.184.215.14/hook", "headers": {"Bad Name": "x"}}, "header name"),
        ({"url": "https://93.184.215.14/hook", "headers": {"X-A": "one\r\nX-B: two"}}, "one line"),
        ({"url": "https://93.184.215.14/hook", "secret": "short"}, "secret"),
        ({"url": "https://93.184.215.14/hook", "ordered": "maybe"}, "ordered"),
    ],
)
def test_bad_input_is_400_in_the_error_shape_and_stores_nothing(api, make_session, payload, fragment):
    session = make_session()
    response = api.put(hook_url(session), payload, format="json")
    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert fragment.lower() in (error["message"] + str(error["details"])).lower()
    assert not WebhookConfig.objects.exists()


def test_private_targets_are_accepted_when_allowed(api, make_session, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    response = api.put(hook_url(make_session()), {"url": "http://localhost:8080/hook"}, format="json")
    assert response.status_code == 200


def test_unknown_or_out_of_scope_sessions_are_404(api, make_session):
    mine, other = make_session("mine"), make_session("other")
    _, raw = apikey_create(name="scoped", is_admin=False, session_ids=[mine.pk])
    scoped = APIClient()
    scoped.credentials(HTTP_X_API_KEY=raw)
    body = {"url": "https://93.184.215.14/hook"}
    assert scoped.put(hook_url(other), body, format="json").status_code == 404
    assert scoped.get(hook_url(other)).status_code == 404
    assert scoped.delete(hook_url(other)).status_code == 404
    assert scoped.get(hook_url(other) + "/deliveries").status_code == 404
    assert scoped.put(hook_url(mine), body, format="json").status_code == 200
    missing = api.get(f"/api/v1/sessions/{uuid.uuid4()}/webhook/deliveries")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert api.get("/api/v1/sessions/not-a-uuid/webhook").status_code == 404


def test_anonymous_calls_are_401(anon_api, make_session):
    assert anon_api.get(hook_url(make_session())).status_code == 401


def test_deliveries_list_filters_and_pages(api, make_session, settings, receiver):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    session = make_session()
    webhook_configure(session=session, url=receiver.url(), ordered=False)
    receiver.script("/hook", Answer(404))
    for n in range(3):
        emit_message(session, f"m{n}")
    first = WebhookDelivery.objects.order_by("id").first()
    webhook_delivery_attempt(delivery_id=first.pk)  # 404: failed, not retried

    page = api.get(hook_url(session) + "/deliveries", {"limit": 2}).json()
    assert page["count"] == 3 and page["limit"] == 2 and page["offset"] == 0
    assert [d["payload"]["messageId"] for d in page["results"]] == ["m2", "m1"]
    rest = api.get(hook_url(session) + "/deliveries", {"limit": 2, "offset": 2}).json()
    assert [d["payload"]["messageId"] for d in rest["results"]] == ["m0"]
    failed = api.get(hook_url(session) + "/deliveries", {"status": "failed"}).json()
    assert failed["count"] == 1
    assert failed["results"][0] | {"createdAt": None, "finishedAt": None} == {
        "id": str(first.uuid),
        "sessionId": str(session.pk),
        "webhookId": str(first.config.uuid),
        "event": "message.received",
        "status": "failed",
        "url": receiver.url(),
        "attemptCount": 1,
        "nextAttemptAt": None,
        "lastStatusCode": 404,
        "lastError": "HTTP 404",
        "createdAt": None,
        "finishedAt": None,
        "payload": failed["results"][0]["payload"],
    }
    for bad in (
        {"status": "lost"},
        {"limit": 0},
        {"limit": 500},
        {"offset": -1},
        {"offset": 2**63},
        {"limit": "x"},
    ):
        response = api.get(hook_url(session) + "/deliveries", bad)
        assert response.status_code == 400 and response.json()["error"]["code"] == "validation_error"


def test_delivery_detail_shows_every_attempt(api, make_session, settings, receiver):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    settings.WEBHOOK_RETRY_DELAYS = "0,0"
    session = make_session()
    webhook_configure(session=session, url=receiver.url())
    receiver.script("/hook", Answer(503, body=b"down for maintenance"))
    emit_message(session, "m1")
    delivery = WebhookDelivery.objects.get()
    webhook_delivery_attempt(delivery_id=delivery.pk)
    webhook_delivery_attempt(delivery_id=delivery.pk)
    body = api.get(f"/api/v1/webhooks/deliveries/{delivery.uuid}").json()
    assert body["status"] == "succeeded" and body["attemptCount"] == 2
    assert [(a["number"], a["statusCode"], a["outcome"]) for a in body["attempts"]] == [
        (1, 503, "retry"),
        (2, 200, "success"),
    ]
    assert body["attempts"][0]["responseExcerpt"] == "down for maintenance"
    assert api.get(f"/api/v1/webhooks/deliveries/{uuid.uuid4()}").status_code == 404


def test_retry_endpoint_requeues_a_failed_delivery_and_refuses_a_pending_one(
    api, make_session, settings, receiver, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    session = make_session()
    webhook_configure(session=session, url=receiver.url(), ordered=False)
    receiver.script("/hook", Answer(400))
    emit_message(session, "m1")
    emit_message(session, "m2")
    failed, pending = WebhookDelivery.objects.order_by("id")
    webhook_delivery_attempt(delivery_id=failed.pk)

    conflict = api.post(f"/api/v1/webhooks/deliveries/{pending.uuid}/retry")
    assert conflict.status_code == 409 and conflict.json()["error"]["code"] == "conflict"
    with django_capture_on_commit_callbacks() as callbacks:
        response = api.post(f"/api/v1/webhooks/deliveries/{failed.uuid}/retry")
    assert response.status_code == 202 and response.json()["status"] == "pending"
    assert len(callbacks) == 1  # the nudge, after commit
    failed.refresh_from_db()
    assert failed.status == DeliveryStatus.PENDING
    assert api.post(f"/api/v1/webhooks/deliveries/{uuid.uuid4()}/retry").status_code == 404


def test_a_scoped_key_cannot_see_or_retry_another_sessions_delivery(make_session, settings, receiver):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    mine, other = make_session("mine"), make_session("other")
    webhook_configure(session=other, url=receiver.url())
    emit_message(other, "m1")
    delivery = WebhookDelivery.objects.get()
    _, raw = apikey_create(name="scoped", is_admin=False, session_ids=[mine.pk])
    scoped = APIClient()
    scoped.credentials(HTTP_X_API_KEY=raw)
    assert scoped.get(f"/api/v1/webhooks/deliveries/{delivery.uuid}").status_code == 404
    assert scoped.post(f"/api/v1/webhooks/deliveries/{delivery.uuid}/retry").status_code == 404


def test_the_schema_documents_the_webhook_endpoints(openapi_schema):
    # The schema as generated once per run (what /api/schema/ serves: yesapp/tests/test_schema.py).
    paths = openapi_schema["paths"]
    put = paths["/api/v1/sessions/{session_id}/webhook"]["put"]
    assert put["summary"] and put["description"] and {"200", "400", "404"} <= set(put["responses"])
    assert "/api/v1/webhooks/deliveries/{delivery_id}/retry" in paths
    assert "409" in paths["/api/v1/webhooks/deliveries/{delivery_id}/retry"]["post"]["responses"]


def test_a_scoped_key_never_sees_where_the_default_webhook_goes_nor_retries_it(
    api, make_session, settings, receiver
):
    """The operator's WEBHOOK_URL often carries a token: only admin keys see it, its errors and
    its answers; a key limited to the session sees that a delivery happened and its status."""
    settings.WEBHOOK_ALLOW_PRIVATE = True
    settings.WEBHOOK_URL = receiver.url("/ops-hook") + "?token=OPERATOR-SECRET"
    receiver.script("/ops-hook?token=OPERATOR-SECRET", Answer(500, body=b"operator internals"))
    session = make_session()
    emit_message(session, "m1")
    webhook_delivery_attempt(delivery_id=WebhookDelivery.objects.get(session=session).pk)
    _, raw = apikey_create(name="scoped", session_ids=[session.pk])
    scoped = APIClient()
    scoped.credentials(HTTP_X_API_KEY=raw)

    listed = scoped.get(hook_url(session) + "/deliveries")
    (row,) = listed.json()["results"]
    assert row["url"] is None and row["lastError"] == "HTTP 500" and row["lastStatusCode"] == 500
    detail = scoped.get(f"/api/v1/webhooks/deliveries/{row['id']}")
    (attempt,) = detail.json()["attempts"]
    assert (attempt["url"], attempt["error"], attempt["responseExcerpt"]) == (None, "HTTP 500", "")
    for response in (listed, detail):
        assert b"OPERATOR-SECRET" not in response.content and b"operator internals" not in response.content
    retried = scoped.post(f"/api/v1/webhooks/deliveries/{row['id']}/retry")
    assert retried.status_code == 403 and retried.json()["error"]["code"] == "forbidden"

    # An admin key sees it all, and may retry.
    shown = api.get(f"/api/v1/webhooks/deliveries/{row['id']}").json()
    assert shown["url"].endswith("?token=OPERATOR-SECRET")
    assert shown["attempts"][0]["responseExcerpt"] == "operator internals"


def test_chat_presence_goes_only_to_a_webhook_that_names_it(db, make_session):
    from webhooks.models import WebhookConfig

    everything = WebhookConfig(events=[])
    named = WebhookConfig(events=["message.received", "chat.presence"])

    assert not everything.wants("chat.presence") and everything.wants("poll.vote")
    assert named.wants("chat.presence") and not named.wants("poll.vote")
    assert "chat.presence" not in everything.event_list
