"""The whole product, as a new user meets it, in the sandbox: first start prints a key → make a
session → link it → webhook → send text and media → a reply with media arrives → signed
webhooks verified with the documented scheme → every worker and Redis restarted → still
connected, history intact, and it still works both ways. (The web side is this process's test
client: it keeps no state of its own to lose.)"""

import base64
import hashlib
import hmac
import http.server
import io
import json
import re
import subprocess
import sys
import threading
import time

import pytest
from PIL import Image
from rest_framework.test import APIClient

from messaging.models import Message
from sandbox.models import SandboxMessage
from sessions_app.tests.helpers import create_and_link, wait_for, wait_status
from yesapp.models import ApiKey
from yesapp.tests.fixtures import ROOT, child_env, point_celery_at

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CONTACT = "+33698765432"
SENT = ("sent", "delivered", "read")


def png(color) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (24, 24), color).save(buffer, format="PNG")
    return buffer.getvalue()


def verify_yesapp_webhook(secret: str, headers, body: bytes, tolerance: int = 300) -> bool:
    """docs/WEBHOOKS.md's receiver check, as a user would copy it."""
    timestamp = headers.get("X-YesApp-Timestamp", "")
    signature = headers.get("X-YesApp-Signature", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > tolerance:
        return False
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(signature, "sha256=" + expected)


class Receiver:
    """The user's webhook endpoint: a plain http.server on loopback that keeps every request."""

    def __init__(self):
        self.requests: list[tuple[dict, bytes]] = []
        received = self.requests

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                received.append((dict(self.headers), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/whatsapp/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self, name: str) -> list[dict]:
        return [json.loads(body) for headers, body in self.requests if headers.get("X-YesApp-Event") == name]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def first_start_key() -> str:
    """`manage.py bootstrap` on an empty database prints the admin key once: read it there."""
    assert not ApiKey.objects.exists()
    result = subprocess.run(
        [sys.executable, "manage.py", "bootstrap"],
        cwd=ROOT,
        env=child_env(LOG_LEVEL="INFO"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    found = re.findall(r"API Key: ([0-9a-f]{64})", result.stdout + result.stderr)
    assert len(found) == 1, "the key must be printed exactly once"
    return found[0]


def test_the_whole_product_in_the_sandbox(
    private_redis, transactional_db, engine_worker, start_worker, receiver, settings
):
    # private_redis first: torn down last, after the workers; every child process uses it.
    settings.WEBHOOK_ALLOW_PRIVATE = True  # the receiver runs on this machine
    hooks_env = {"WEBHOOK_ALLOW_PRIVATE": "true"}

    # First start: the printed key is an admin key.
    key = first_start_key()
    api = APIClient()
    api.credentials(HTTP_X_API_KEY=key)
    me = api.get("/api/v1/me").json()
    assert me["isAdmin"] and me["name"] == "initial"

    engine = engine_worker("engine-a")
    hooks = start_worker(queues="default,webhooks", name="hooks-a", **hooks_env)

    # A session, linked by "scanning" its QR with the sandbox phone.
    session = create_and_link(api, name="e2e")
    response = api.put(f"/api/v1/sessions/{session.id}/webhook", {"url": receiver.url}, format="json")
    assert response.status_code == 200, response.content
    secret = response.json()["secret"]
    assert len(secret) >= 16

    # Text and media out.
    photo = png((10, 120, 200))
    sends = [
        {"to": CONTACT, "text": "Your order has shipped"},
        {
            "to": CONTACT,
            "caption": "the invoice photo",
            "media": {"type": "image", "data": base64.b64encode(photo).decode(), "filename": "invoice.png"},
        },
    ]
    sent_ids = []
    for body in sends:
        response = api.post(f"/api/v1/sessions/{session.id}/messages", body, format="json")
        assert response.status_code == 202, response.content
        sent_ids.append(response.json()["messageId"])
    wait_for(
        lambda: Message.objects.filter(pk__in=sent_ids, status__in=SENT).count() == 2, 60, what="both sent"
    )
    outbox = list(SandboxMessage.objects.filter(session=session, direction="out").order_by("id"))
    assert [m.text for m in outbox] == ["Your order has shipped", "the invoice photo"]
    assert outbox[1].sha256 == hashlib.sha256(photo).hexdigest()

    # A reply with media comes back from the contact.
    reply = png((200, 30, 30))
    response = api.post(
        f"/api/v1/sandbox/sessions/{session.id}/inbound",
        {
            "from": CONTACT,
            "name": "Ana",
            "text": "thanks, here is mine",
            "media": {"data": base64.b64encode(reply).decode(), "filename": "mine.png"},
        },
        format="json",
    )
    assert response.status_code == 202, response.content
    received = wait_for(
        lambda: (
            (r := api.get(f"/api/v1/sessions/{session.id}/messages", {"direction": "inbound"}).json())[
                "total"
            ]
            == 1
            and r["messages"][0]
        ),
        30,
        what="the reply stored",
    )
    assert received["text"] == "thanks, here is mine" and received["contactName"] == "Ana"
    media = wait_for(
        lambda: (r := api.get(f"/api/v1/media/{received['messageId']}")).status_code == 200 and r,
        30,
        what="the reply's photo downloadable",
    )
    assert b"".join(media.streaming_content) == reply

    # Webhooks: the reply and the status changes arrived, each signed as docs/WEBHOOKS.md says.
    wait_for(lambda: receiver.events("message.received"), 30, what="message.received delivered")
    wait_for(
        lambda: (
            {e["messageId"] for e in receiver.events("message.status") if e["status"] == "sent"}
            >= set(sent_ids)
        ),
        30,
        what="message.status sent for both",
    )
    (event,) = receiver.events("message.received")
    assert event["messageId"] == received["messageId"] and event["sessionId"] == str(session.id)
    assert event["mediaUrl"].endswith(f"/api/v1/media/{received['messageId']}")
    for headers, body in receiver.requests:
        assert verify_yesapp_webhook(secret, headers, body), headers
        assert not verify_yesapp_webhook("another-secret-of-16+", headers, body)
    # The event log holds what the webhook got, byte for byte, under the id the webhook named.
    logged = api.get("/api/v1/events", {"session": str(session.id), "limit": 500}).json()["items"]
    by_id = {str(item["id"]): item["data"] for item in logged}
    for headers, body in receiver.requests:
        assert by_id[headers["X-YesApp-Event-Id"]] == json.loads(body)

    history = api.get(f"/api/v1/sessions/{session.id}/messages", {"limit": 100}).json()
    assert history["total"] == 3

    # Everything restarts (a deploy, a reboot): the workers and Redis, whose leases, queues and
    # nudges are gone. No new scan, nothing lost, and it still works.
    engine.stop()
    hooks.stop()
    private_redis.stop()
    private_redis.start()
    point_celery_at(private_redis.url)
    engine_worker("engine-b")
    start_worker(queues="default,webhooks", name="hooks-b", **hooks_env)
    session = wait_status(session.id, "connected", timeout=60)
    assert session.engine_node.startswith("engine-b@")
    assert [e.to_status for e in session.events.order_by("id")].count("qr") == 1
    after = api.get(f"/api/v1/sessions/{session.id}/messages", {"limit": 100}).json()
    assert after["total"] == 3
    assert {m["messageId"]: m["text"] for m in after["messages"]} == {
        m["messageId"]: m["text"] for m in history["messages"]
    }
    response = api.post(
        f"/api/v1/sessions/{session.id}/messages", {"to": CONTACT, "text": "still here"}, format="json"
    )
    last_id = response.json()["messageId"]
    wait_for(
        lambda: Message.objects.filter(pk=last_id, status__in=SENT).exists(), 60, what="sent after restart"
    )
    wait_for(
        lambda: any(e["messageId"] == last_id for e in receiver.events("message.status")),
        30,
        what="its webhook after the restart",
    )
    for headers, body in receiver.requests:
        assert verify_yesapp_webhook(secret, headers, body)
        for name in ("X-YesApp-Event", "X-YesApp-Delivery", "X-YesApp-Attempt"):
            assert headers.get(name), name
