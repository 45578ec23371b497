"""A `cloud` webhook through YesApp's webhooks API: the handshake decides whether it is saved,
and each event the Cloud API has a word for becomes one signed delivery in its envelope."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection

from cloud_api.receiver import hub_signature
from cloud_api.tests.pywa_receiver import PywaReceiver
from messaging.inbound_media import message_emit_received
from messaging.models import Direction, Message, MessageStatus
from messaging.services import message_transition
from sessions_app.models import Session
from webhooks.models import WebhookConfig, WebhookDelivery
from webhooks.payloads import request_headers
from webhooks.services import webhook_create

SECRET = "pywa-app-secret-0123456789"


@pytest.fixture
def pywa_receiver(settings, session):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    receivers = []

    def start(**kwargs) -> PywaReceiver:
        receivers.append(PywaReceiver(phone_id=str(session.pk), **kwargs))
        return receivers[-1]

    yield start
    for receiver in receivers:
        receiver.stop()


def create(api, session, **fields):
    return api.post(f"/api/v1/sessions/{session.pk}/webhooks", {"format": "cloud", **fields}, format="json")


def test_a_receiver_that_passes_the_handshake_is_saved(api, session, pywa_receiver):
    receiver = pywa_receiver(secret=SECRET)
    response = create(api, session, url=receiver.url, secret=SECRET)
    assert response.status_code == 201, response.content
    assert response.json()["format"] == "cloud"


def test_a_verify_token_option_lets_a_generated_secret_be_the_app_secret(api, session, pywa_receiver):
    receiver = pywa_receiver(secret="unknown-yet", verify_token="my-verify-token")
    response = create(api, session, url=receiver.url, options={"verifyToken": "my-verify-token"})
    assert response.status_code == 201, response.content
    assert response.json()["secret"] and response.json()["options"] == {"verifyToken": "***"}


def test_a_receiver_that_fails_the_handshake_is_refused_and_nothing_is_saved(api, session, pywa_receiver):
    receiver = pywa_receiver(secret=SECRET, verify_token="another-token")
    response = create(api, session, url=receiver.url, secret=SECRET)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "webhook_verification_failed" and "HTTP 403" in error["message"]
    assert not WebhookConfig.objects.exists()


@pytest.mark.parametrize(
    "options",
    [{"verifyToken": "has space"}, {"verifyToken": 5}, {"other": "x"}],
    ids=["space", "number", "unknown"],
)
def test_bad_options_are_refused(api, session, options):
    assert create(api, session, url="https://hooks.example.com/in", options=options).status_code == 400


def test_events_become_signed_cloud_deliveries_beside_a_yesapp_webhook(api, session, pywa_receiver):
    receiver = pywa_receiver(secret=SECRET)
    assert create(api, session, url=receiver.url, secret=SECRET).status_code == 201
    api.post(
        f"/api/v1/sessions/{session.pk}/webhooks", {"url": "https://hooks.example.com/in"}, format="json"
    )
    inbound = Message.objects.create(
        session=session, direction=Direction.INBOUND, chat_id="33612345678@c.us", phone="+33612345678",
        status=MessageStatus.RECEIVED, wa_id="false_1", text="Hi",
    )  # fmt: skip
    message_emit_received(message=inbound)
    ours = Message.objects.create(
        session=session, direction=Direction.OUTBOUND, chat_id="33612345678@c.us", text="Yo", status="sending"
    )
    message_transition(message=ours, status=MessageStatus.SENT, wa_id="true_2")
    cloud = WebhookDelivery.objects.filter(config__format="cloud").order_by("id")
    assert [d.event for d in cloud] == ["messages", "statuses"]
    assert set(WebhookDelivery.objects.filter(config__format="yesapp").values_list("event", flat=True)) == {
        "message.received",
        "message.status",
    }
    delivery = cloud[0]
    body = json.loads(delivery.body)
    assert body["object"] == "whatsapp_business_account"
    headers = request_headers(delivery, delivery.config)
    assert headers["X-Hub-Signature-256"] == hub_signature(secret=SECRET, body=delivery.body)
    assert headers["Content-Type"] == "application/json" and "X-YesApp-Signature" not in headers


def test_a_cloud_webhook_may_subscribe_to_statuses_only(api, session, pywa_receiver):
    receiver = pywa_receiver(secret=SECRET)
    assert create(api, session, url=receiver.url, secret=SECRET, events=["statuses"]).status_code == 201
    assert (
        create(api, session, url=receiver.url, secret=SECRET, events=["message.received"]).status_code == 400
    )


class HeldHandshake(BaseHTTPRequestHandler):
    """Answers the handshake only once the test says so (or after 15 s), noting whether the
    test's database write went through while it was held."""

    started = threading.Event()
    release = threading.Event()
    released_in_time: list[bool] = []

    def do_GET(self):
        type(self).started.set()
        type(self).released_in_time.append(type(self).release.wait(15))
        challenge = parse_qs(urlsplit(self.path).query)["hub.challenge"][0].encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(challenge)))
        self.end_headers()
        self.wfile.write(challenge)

    def log_message(self, *args):
        pass


@pytest.mark.django_db(transaction=True)
def test_a_slow_handshake_holds_no_lock_on_the_session_or_the_database(settings):
    """The handshake is a request that can take WEBHOOK_TIMEOUT: made inside the transaction, it
    held the session's row (on SQLite, the whole database's write lock) the while, and every
    write of that session (an inbound message, a status) waited behind a stranger's receiver."""
    settings.WEBHOOK_ALLOW_PRIVATE = True
    settings.WEBHOOK_TIMEOUT = 30
    session = Session.objects.create(name="held")
    server = ThreadingHTTPServer(("127.0.0.1", 0), HeldHandshake)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    created: list = []

    def create_webhook():
        created.append(webhook_create(session=session, url=url, format="cloud", secret=SECRET))
        connection.close()

    creating = threading.Thread(target=create_webhook)
    creating.start()
    try:
        assert HeldHandshake.started.wait(30), "the handshake never came"
        Session.objects.filter(pk=session.pk).update(name="renamed while the handshake waits")
        HeldHandshake.release.set()
        creating.join(60)
    finally:
        HeldHandshake.release.set()
        server.shutdown()
    assert HeldHandshake.released_in_time == [True], "the write waited for the handshake"
    assert created and WebhookConfig.objects.filter(session=session, format="cloud").count() == 1
