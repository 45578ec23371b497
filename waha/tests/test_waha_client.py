"""The unmodified WAHA client library from PyPI (`waha-py`, pinned in requirements-dev.in)
drives a live YesApp whose session is linked in the sandbox: what code written against WAHA
does, done against YesApp with nothing changed but the base URL and the key. Answers the
library does not check are checked against WAHA's own OpenAPI description (waha_spec)."""

import base64
import hashlib
import hmac
import importlib.metadata
import importlib.util
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
import requests

from messaging.models import Direction, Message
from sessions_app.models import Session
from sessions_app.tests.helpers import PHONE, wait_for
from waha.tests.waha_spec import assert_waha

CONTACT = "+33698765432"
CONTACT_CHAT = "33698765432@c.us"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c63f8cf"
    "c0f01f0005000201ffa3d6a9c30000000049454e44ae426082"
)


def _waha_py():
    """The library, loaded under another name: its import name is `waha`, which this project's
    Django app already is. Its own modules import each other relatively, so it runs as shipped."""
    init = importlib.metadata.distribution("waha-py").locate_file("waha/__init__.py")
    spec = importlib.util.spec_from_file_location(
        "waha_py", init, submodule_search_locations=[str(init.parent)]
    )
    module = sys.modules.get(spec.name)
    if module is None:
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    return module


WahaClient = _waha_py().WahaClient


def _status(client, name: str, wanted: str) -> dict:
    return wait_for(lambda: (info := client.sessions.get(name))["status"] == wanted and info, what=wanted)


def _yesapp(live_server, key: str, method: str, path: str, body: dict) -> dict:
    """YesApp's own API, for what WAHA has no call for: the sandbox phone's side."""
    response = requests.request(
        method, f"{live_server.url}/api/v1{path}", json=body, headers={"X-API-Key": key}
    )
    assert response.status_code < 300, response.text
    return response.json()


class _Receiver:
    """A webhook receiver on this machine: keeps each POST's headers and exact body."""

    def __init__(self):
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                received.append((dict(self.headers), body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/waha"
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def events(self, name: str) -> list[tuple[dict, bytes]]:
        return [(headers, body) for headers, body in list(self.received) if json.loads(body)["event"] == name]


@pytest.fixture
def receiver():
    server = _Receiver()
    yield server
    server.server.shutdown()
    server.server.server_close()


def _verified(body: bytes, headers: dict, key: str) -> bool:
    """WAHA's documented check: HMAC-SHA512 of the raw body, hex, in X-Webhook-Hmac."""
    if headers.get("X-Webhook-Hmac-Algorithm") != "sha512":
        return False
    expected = hmac.new(key.encode(), body, hashlib.sha512).hexdigest()
    return hmac.compare_digest(expected, headers.get("X-Webhook-Hmac", ""))


@pytest.fixture
def client(live_server, raw_api_key):
    waha_client = WahaClient(base_url=live_server.url, api_key=raw_api_key, timeout=30)
    yield waha_client
    waha_client.close()


def _create_and_link(client, yesapp, hook: dict):
    """Created by name with a webhook, listed, its QR read, then scanned by the sandbox phone."""
    created = client.sessions.create({"name": "shop", "sandbox": True, "config": {"webhooks": [hook]}})
    assert_waha("SessionDTO", created)
    _status(client, "shop", "SCAN_QR_CODE")
    listed = client.sessions.list()
    assert [session["name"] for session in listed] == ["shop"]
    assert_waha("SessionInfo", listed[0])
    qr = client.auth.get_qr("shop", params={"format": "raw"})
    assert_waha("QRCodeValue", qr)
    assert_waha("Base64File", client.auth.get_qr("shop"))
    session_id = Session.objects.get(name="shop").pk
    yesapp(f"/sandbox/sessions/{session_id}/link", {"phone": PHONE, "qr": qr["value"]})
    info = _status(client, "shop", "WORKING")
    assert info["me"] == {"id": "33612345678@c.us", "pushName": info["me"]["pushName"]}
    assert client.sessions.get_me("shop")["id"] == "33612345678@c.us"
    return session_id


def _check_and_send(client) -> None:
    exists = client.contacts.check_exists(params={"phone": CONTACT.lstrip("+"), "session": "shop"})
    assert_waha("WANumberExistResult", exists)
    assert exists == {"numberExists": True, "chatId": CONTACT_CHAT}
    text = client.chatting.send_text({"session": "shop", "chatId": CONTACT_CHAT, "text": "hi"})
    assert_waha("WAMessage", text)
    assert text["id"].startswith(f"true_{CONTACT_CHAT}_") and text["fromMe"] and text["body"] == "hi"
    assert (text["from"], text["to"]) == ("33612345678@c.us", CONTACT_CHAT)
    dot = {"mimetype": "image/png", "filename": "dot.png", "data": base64.b64encode(PNG).decode()}
    image = client.chatting.send_image(
        {"session": "shop", "chatId": CONTACT_CHAT, "file": dot, "caption": "a dot"}
    )
    assert_waha("WAMessage", image)
    assert image["hasMedia"] and image["body"] == "a dot" and image["media"]["mimetype"] == "image/png"


def _receive(client, yesapp, session_id) -> dict:
    """A contact's message, read back through WAHA's chat messages."""
    yesapp(f"/sandbox/sessions/{session_id}/inbound", {"from": CONTACT, "text": "thanks"})
    inbound = Message.objects.filter(session_id=session_id, direction=Direction.INBOUND).exclude(wa_id="")
    wait_for(inbound.exists, what="the inbound message")
    messages = client.chats.get_chat_messages("shop", CONTACT_CHAT)
    for message in messages:
        assert_waha("WAMessage", message)
    [received] = [message for message in messages if not message["fromMe"]]
    assert received["body"] == "thanks" and received["from"] == CONTACT_CHAT
    return received


def _check_webhooks(receiver, key: str, received: dict) -> None:
    """The same message came to the webhook in WAHA's format, signed as WAHA signs."""
    [(headers, body)] = wait_for(lambda: receiver.events("message"), 30, what="the message webhook")
    assert _verified(body, headers, key) and not _verified(body, headers, "another-key-0123456789")
    envelope = json.loads(body)
    assert_waha("WAHAWebhookMessage", envelope)
    assert (envelope["session"], envelope["payload"]["id"]) == ("shop", received["id"])
    statuses = [json.loads(body)["payload"]["status"] for _, body in receiver.events("session.status")]
    assert "WORKING" in statuses
    assert not receiver.events("message.any")  # not subscribed


def _reply(client, received: dict) -> None:
    reply = client.chatting.send_text(
        {"session": "shop", "chatId": CONTACT_CHAT, "text": "you're welcome", "reply_to": received["id"]}
    )
    assert_waha("WAMessage", reply)
    assert reply["replyTo"] == {"id": received["id"]}
    assert Message.objects.get(wa_id=reply["id"]).reply_to.wa_id == received["id"]
    assert [chat["id"] for chat in client.chats.get_chats("shop")] == [CONTACT_CHAT]


def _group_and_mention(client) -> None:
    group = client.groups.create_group("shop", {"name": "Team", "participants": [{"id": CONTACT_CHAT}]})
    assert group["id"].endswith("@g.us") and group["subject"] == "Team"
    assert CONTACT_CHAT in [member["id"] for member in group["participants"]]
    assert [listed["id"] for listed in client.groups.get_groups("shop")] == [group["id"]]
    hello = client.chatting.send_text(
        {"session": "shop", "chatId": group["id"], "text": "hello @33698765432", "mentions": [CONTACT_CHAT]}
    )
    assert_waha("WAMessage", hello)
    # In a group WhatsApp addresses the member by lid, when the session learned it.
    [mentioned] = Message.objects.get(wa_id=hello["id"]).content["mentions"]
    assert mentioned == CONTACT_CHAT or mentioned.endswith("@lid")


@pytest.mark.browser
@pytest.mark.slow
def test_waha_py_links_a_sandbox_session_and_sends_text_an_image_and_a_reply(
    client, engine_worker, start_worker, live_server, raw_api_key, receiver, settings
):
    settings.WEBHOOK_ALLOW_PRIVATE = True  # the receiver runs on this machine
    engine_worker("engine-a")
    start_worker(queues="default,webhooks", name="hooks", WEBHOOK_ALLOW_PRIVATE="true")
    key = "waha-hmac-key-0123456789"
    hook = {"url": receiver.url, "events": ["message", "session.status"], "hmac": {"key": key}}

    def yesapp(path: str, body: dict) -> dict:
        return _yesapp(live_server, raw_api_key, "POST", path, body)

    session_id = _create_and_link(client, yesapp, hook)
    _check_and_send(client)
    received = _receive(client, yesapp, session_id)
    _check_webhooks(receiver, key, received)
    _reply(client, received)
    _group_and_mention(client)

    # WAHA's clients see WAHA's errors: httpx raises, the body is WAHA's.
    with pytest.raises(httpx.HTTPStatusError) as refused:
        client.sessions.get("nobody")
    assert refused.value.response.status_code == 404
    assert_waha("HttpError", refused.value.response.json())
