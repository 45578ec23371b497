"""pywa's own webhook handling, in a receiver app of its own (a real HTTP server), receives a
linked sandbox session's `cloud` webhooks: it passes Meta's handshake, checks each signature
with its app secret, dispatches messages and statuses to its handlers, and fetches a received
photo by its media id through the facade."""

import base64
import hashlib

import pytest
import requests

from cloud_api.ids import wamid_for
from cloud_api.receiver import hub_signature
from cloud_api.tests.graph_transport import graph_client
from cloud_api.tests.helpers import CONTACT, WA_ID, png_bytes
from cloud_api.tests.pywa_receiver import PywaReceiver
from messaging.models import Message
from sessions_app.tests.helpers import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SECRET = "pywa-app-secret-0123456789"


@pytest.fixture
def receiver(linked, live_server, raw_api_key, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    started = PywaReceiver(
        phone_id=str(linked.pk), secret=SECRET, token=raw_api_key, session=graph_client(live_server.url)
    )
    yield started
    started.stop()


def test_pywa_receives_cloud_webhooks_verifies_them_and_fetches_media(api, linked, receiver, start_worker):
    start_worker(queues="default,webhooks", name="hooks", WEBHOOK_ALLOW_PRIVATE="true")
    created = api.post(
        f"/api/v1/sessions/{linked.pk}/webhooks",
        {"url": receiver.url, "format": "cloud", "secret": SECRET},
        format="json",
    )
    assert created.status_code == 201, created.content

    sandbox = f"/api/v1/sandbox/sessions/{linked.pk}"
    api.post(f"{sandbox}/inbound", {"from": CONTACT, "text": "Hello", "name": "Anna"}, format="json")
    photo = png_bytes()
    api.post(
        f"{sandbox}/inbound",
        {
            "from": CONTACT,
            "text": "a photo",
            "media": {"data": base64.b64encode(photo).decode(), "filename": "p.png"},
        },
        format="json",
    )
    sent = api.post(
        f"/api/v1/sessions/{linked.pk}/messages", {"to": CONTACT, "text": "Thanks"}, format="json"
    )
    sent_wamid = wamid_for(sent.json()["messageId"])

    text, image = wait_for(
        lambda: len(receiver.messages) >= 2 and receiver.messages, 60, what="two messages"
    )[:2]
    hello = Message.objects.get(session=linked, text="Hello")
    assert (text.id, text.text, text.from_user.wa_id, text.from_user.name) == (
        wamid_for(hello.pk),
        "Hello",
        WA_ID,
        "Anna",
    )
    assert image.type == "image" and image.caption == "a photo"
    assert image.image.sha256 == hashlib.sha256(photo).hexdigest()
    # The id in the webhook is fetchable from the facade, by pywa itself.
    assert image.image.get_bytes() == photo
    statuses = wait_for(
        lambda: (
            {s.status.value for s in receiver.statuses if s.id == sent_wamid} >= {"sent", "delivered", "read"}
            and receiver.statuses
        ),
        60,
        what="sent, delivered and read",
    )
    assert statuses and receiver.rejected == []
    # pywa really checks: a body signed with another secret is turned away.
    forged = requests.post(
        receiver.url,
        data=b'{"object":"whatsapp_business_account","entry":[]}',
        headers={"X-Hub-Signature-256": hub_signature(secret="not-the-app-secret", body="{}")},
        timeout=5,
    )
    assert forged.status_code == 403 and receiver.rejected == [403]
