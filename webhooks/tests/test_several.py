"""Several webhooks per session, each with its own receiver, events, secret and format."""

import hashlib
import hmac
import json
import uuid

import pytest
from rest_framework.test import APIClient

from webhooks import formats
from webhooks.attempts import webhook_delivery_attempt
from webhooks.formats import RenderedEvent, WebhookFormat, register_webhook_format
from webhooks.models import WebhookConfig, WebhookDelivery
from webhooks.services import MAX_WEBHOOKS_PER_SESSION, webhook_configure, webhook_create
from webhooks.tests.conftest import emit_message
from yesapp.apikeys import apikey_create
from yesapp.errors import InvalidInput


@pytest.fixture(autouse=True)
def private_targets_allowed(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    settings.WEBHOOK_URL = ""


def _twice_render(entry, config) -> list[RenderedEvent]:
    """A format in which one YesApp event is two requests with their own names."""
    payload = json.loads(entry.body)
    return [
        RenderedEvent(event="any", body=json.dumps({"kind": "any", "id": payload.get("messageId")})),
        RenderedEvent(
            event="incoming", body=json.dumps({"kind": "incoming", "id": payload.get("messageId")})
        ),
    ]


def _sha512_headers(delivery, config, secret) -> dict[str, str]:
    digest = hmac.new(secret.encode(), delivery.body.encode(), hashlib.sha512).hexdigest()
    return {"Content-Type": "application/json", "X-Test-Hmac": digest}


def _refuse_closed_receivers(config) -> None:
    if config.url.endswith("/closed"):
        raise InvalidInput("The receiver did not answer the handshake.", details={})


def _broken_render(entry, config):
    raise RuntimeError("a bug in a facade")


@pytest.fixture
def test_formats():
    added = [
        WebhookFormat(
            name="twice",
            event_names=("any", "incoming"),
            render=_twice_render,
            headers=_sha512_headers,
            verify_receiver=_refuse_closed_receivers,
            clean_options=lambda options: {"token": str(options.get("token", ""))},
        ),
        WebhookFormat(name="broken", event_names=("x",), render=_broken_render, headers=_sha512_headers),
    ]
    for fmt in added:
        register_webhook_format(fmt)
    yield
    for fmt in added:
        formats._formats.pop(fmt.name)


def _deliver_all() -> None:
    for delivery_id in WebhookDelivery.objects.order_by("id").values_list("id", flat=True):
        webhook_delivery_attempt(delivery_id=delivery_id)


def test_each_webhook_gets_the_events_it_asked_for_signed_with_its_own_secret(make_session, receiver):
    session = make_session()
    first, first_secret = webhook_create(session=session, url=receiver.url("/all"))
    _, status_secret = webhook_create(session=session, url=receiver.url("/status"), events=["session.status"])
    emit_message(session, "m1")
    _deliver_all()
    assert [r.json["messageId"] for r in receiver.wait_for(1, path="/all")] == ["m1"]
    assert receiver.received("/status") == []
    assert first_secret != status_secret
    request = receiver.received("/all")[0]
    timestamp = request.headers["X-YesApp-Timestamp"]
    expected = hmac.new(first_secret.encode(), f"{timestamp}.".encode() + request.body, hashlib.sha256)
    assert request.headers["X-YesApp-Signature"] == "sha256=" + expected.hexdigest()
    assert WebhookDelivery.objects.get().config == first


def test_a_format_renders_its_own_requests_filtered_by_its_own_event_names(
    make_session, receiver, test_formats
):
    session = make_session()
    config, secret = webhook_create(
        session=session, url=receiver.url("/twice"), format="twice", events=["incoming"], options={"token": 7}
    )
    assert config.options == {"token": "7"}
    emit_message(session, "m1")
    _deliver_all()
    (request,) = receiver.wait_for(1, path="/twice")
    assert request.json == {"kind": "incoming", "id": "m1"}
    digest = hmac.new(secret.encode(), request.body, hashlib.sha512).hexdigest()
    assert request.headers["X-Test-Hmac"] == digest and "X-YesApp-Signature" not in request.headers
    assert WebhookDelivery.objects.get().event == "incoming"


def test_a_format_that_fails_costs_its_webhook_the_event_not_the_emitters_transaction(
    make_session, receiver, test_formats
):
    session = make_session()
    webhook_create(session=session, url=receiver.url("/broken"), format="broken")
    webhook_create(session=session, url=receiver.url("/own"))
    emit_message(session, "m1")  # commits: the message and the other webhook's delivery are kept
    assert list(WebhookDelivery.objects.values_list("config__url", flat=True)) == [receiver.url("/own")]


def test_bad_webhooks_are_refused_with_a_clear_error_and_nothing_stored(make_session, receiver, test_formats):
    session = make_session()
    cases = [
        ({"format": "nope"}, "Unknown webhook format"),
        ({"format": "twice", "events": ["message.received"]}, "Unknown event(s) for this webhook's format"),
        ({"events": ["any"]}, "Unknown event(s)"),
        ({"options": {"a": 1}}, "takes no options"),
        ({"options": [1]}, "options must be an object"),
    ]
    for fields, message in cases:
        with pytest.raises(InvalidInput, match=message.replace("(", r"\(").replace(")", r"\)")):
            webhook_create(session=session, url=receiver.url(), **fields)
    with pytest.raises(InvalidInput, match="handshake"):
        webhook_create(session=session, url=receiver.url("/closed"), format="twice")
    assert not WebhookConfig.objects.exists()


def test_the_single_webhook_api_manages_the_first_webhook_only(api, make_session, receiver):
    session = make_session()
    first, _ = webhook_configure(session=session, url=receiver.url("/one"))
    second, _ = webhook_create(session=session, url=receiver.url("/two"))
    url = f"/api/v1/sessions/{session.pk}/webhook"
    assert api.get(url).json()["id"] == str(first.uuid)
    assert api.patch(url, {"ordered": False}, format="json").status_code == 200
    second.refresh_from_db()
    assert second.ordered is True
    assert api.delete(url).status_code == 204
    assert list(WebhookConfig.objects.values_list("uuid", flat=True)) == [second.uuid]
    assert api.get(url).json()["id"] == str(second.uuid)


def test_the_webhooks_api_adds_lists_changes_and_removes(api, make_session, receiver, test_formats):
    session = make_session()
    base = f"/api/v1/sessions/{session.pk}/webhooks"
    added = api.post(base, {"url": receiver.url("/a"), "format": "twice", "events": ["any"]}, format="json")
    assert added.status_code == 201, added.json()
    body = added.json()
    assert body["format"] == "twice" and body["events"] == ["any"] and body["secret"].startswith("whsec_")
    assert body["options"] == {"token": "***"}
    second = api.post(base, {"url": receiver.url("/b")}, format="json").json()
    listed = api.get(base).json()
    assert [w["id"] for w in listed["items"]] == [body["id"], second["id"]] and listed["total"] == 2
    assert all("secret" not in w for w in listed["items"])

    item = f"{base}/{body['id']}"
    changed = api.patch(item, {"format": "yesapp"}, format="json").json()
    assert changed["format"] == "yesapp" and "session.status" in changed["events"]  # all of the new format's
    assert api.get(item).json()["lastDeliveries"] == []
    assert api.delete(item).status_code == 204
    assert api.get(item).status_code == 404
    assert api.get(f"{base}/{uuid.uuid4()}").json()["error"]["code"] == "not_found"


def test_the_webhooks_api_refuses_bad_input_and_other_keys_sessions(api, make_session, receiver):
    session, mine = make_session(), make_session("mine")
    _, raw = apikey_create(name="scoped", is_admin=False, session_ids=[mine.pk])
    other_api = APIClient()
    other_api.credentials(HTTP_X_API_KEY=raw)
    base = f"/api/v1/sessions/{session.pk}/webhooks"
    for body in (
        {"url": receiver.url(), "format": "nope"},
        {"url": receiver.url(), "events": []},
        {"url": 5},
    ):
        response = api.post(base, body, format="json")
        assert response.status_code == 400, body
    assert api.post(base, "{not json", content_type="application/json").status_code == 400
    for _ in range(MAX_WEBHOOKS_PER_SESSION):
        assert api.post(base, {"url": receiver.url()}, format="json").status_code == 201
    refused = api.post(base, {"url": receiver.url()}, format="json")
    assert refused.status_code == 400 and "at most" in refused.json()["error"]["message"]
    assert WebhookConfig.objects.count() == MAX_WEBHOOKS_PER_SESSION
    assert other_api.get(base).status_code == 404
