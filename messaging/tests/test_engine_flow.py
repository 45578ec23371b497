"""Messaging through every real part: API → database → engine worker → Chromium on the
sandbox page → the simulated contact, and back, with acks and media bytes intact."""

import base64
import hashlib
import http.server
import io
import math
import os
import signal
import threading
import time

import pytest
from PIL import Image

from messaging.models import Message
from sessions_app.tests.helpers import create_and_link, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CONTACT = "+33698765432"


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 16), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
# Smallest valid files of each kind that filetype recognises by their magic bytes.
MP3 = b"ID3\x03\x00\x00\x00\x00\x00\x0f" + b"\x00" * 64
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64


def outbox(api, session_id) -> list[dict]:
    return api.get(f"/api/v1/sandbox/sessions/{session_id}/outbox", {"limit": 100}).json()["messages"]


def message(api, session_id, message_id) -> dict:
    return api.get(f"/api/v1/sessions/{session_id}/messages/{message_id}").json()


@pytest.fixture
def media_root(settings):
    """The engine worker is another process: media must stay where its settings say."""
    return settings.MEDIA_ROOT


@pytest.fixture
def linked(api, engine_worker):
    engine_worker("engine-a")
    return create_and_link(api, name="msg")


def test_text_reaches_the_contact_and_goes_queued_sent_delivered_read(api, linked):
    response = api.post(
        f"/api/v1/sessions/{linked.id}/messages", {"to": CONTACT, "text": "hello ☀"}, format="json"
    )
    assert response.status_code == 202, response.content
    message_id = response.json()["messageId"]
    assert response.json()["status"] == "queued"
    read = wait_for(
        lambda: (m := message(api, linked.id, message_id))["status"] == "read" and m, 30, what="read"
    )
    assert read["sentAt"] and read["deliveredAt"] and read["readAt"]
    assert read["sentAt"] <= read["deliveredAt"] <= read["readAt"]
    received = outbox(api, linked.id)
    assert [(m["to"], m["text"]) for m in received] == [(CONTACT, "hello ☀")]
    assert received[0]["id"] == read["waMessageId"]
    # wa-js echoes our own send as a new message: it must not be stored twice.
    assert Message.objects.filter(session=linked).count() == 1


@pytest.mark.parametrize(
    ("kind", "data", "filename"),
    [
        ("image", png_bytes(), "red.png"),
        ("document", PDF, "invoice.pdf"),
        ("audio", MP3, "note.mp3"),
        ("video", MP4, "clip.mp4"),
    ],
)
def test_media_as_base64_reaches_the_contact_byte_for_byte(api, linked, kind, data, filename):
    body = {
        "to": CONTACT,
        "caption": "see",
        "media": {"type": kind, "data": base64.b64encode(data).decode(), "filename": filename},
    }
    response = api.post(f"/api/v1/sessions/{linked.id}/messages", body, format="json")
    assert response.status_code == 202, response.content
    message_id = response.json()["messageId"]
    wait_for(
        lambda: message(api, linked.id, message_id)["status"] in ("sent", "delivered", "read"),
        30,
        what="sent",
    )
    received = wait_for(lambda: outbox(api, linked.id), 10, what="outbox")[0]
    assert received["media"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert received["media"]["size"] == len(data)


def test_media_by_multipart_and_by_url_arrive_intact(api, linked, settings, start_worker):
    # A media URL is fetched by a worker on the default queue, then the engine sends it.
    start_worker(queues="default", name="fetch", MEDIA_URL_ALLOW_PRIVATE="true")
    data = png_bytes()
    upload = io.BytesIO(data)
    upload.name = "photo.png"
    response = api.post(
        f"/api/v1/sessions/{linked.id}/messages",
        {"to": CONTACT, "file": upload, "caption": "mp"},
        format="multipart",
    )
    assert response.status_code == 202, response.content

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/pdf")
            self.send_header("Content-Length", str(len(PDF)))
            self.end_headers()
            self.wfile.write(PDF)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.MEDIA_URL_ALLOW_PRIVATE = True
    try:
        url = f"http://127.0.0.1:{server.server_port}/files/doc.pdf"
        response = api.post(
            f"/api/v1/sessions/{linked.id}/messages",
            {"to": CONTACT, "media": {"type": "document", "url": url}},
            format="json",
        )
        assert response.status_code == 202, response.content
        assert response.json()["status"] == "pending"
        received = wait_for(lambda: len(o := outbox(api, linked.id)) == 2 and o, 30, what="both media")
    finally:
        server.shutdown()
    assert {m["media"]["sha256"] for m in received} == {
        hashlib.sha256(data).hexdigest(),
        hashlib.sha256(PDF).hexdigest(),
    }


def test_inbound_text_and_media_are_stored_once_and_the_media_downloads(api, linked):
    sandbox = f"/api/v1/sandbox/sessions/{linked.id}/inbound"
    assert (
        api.post(sandbox, {"from": CONTACT, "text": "hi there", "name": "Ana"}, format="json").status_code
        == 202
    )
    data = png_bytes()
    response = api.post(
        sandbox,
        {
            "from": CONTACT,
            "text": "a photo",
            "media": {"data": base64.b64encode(data).decode(), "filename": "p.png"},
        },
        format="json",
    )
    assert response.status_code == 202, response.content
    inbound = wait_for(
        lambda: (
            (r := api.get(f"/api/v1/sessions/{linked.id}/messages", {"direction": "inbound"}).json())["total"]
            == 2
            and r["messages"]
        ),
        30,
        what="two inbound",
    )
    photo, text = inbound  # newest first
    assert text["text"] == "hi there" and text["status"] == "received"
    assert text["from"] == CONTACT.lstrip("+") + "@c.us" and text["phone"] == CONTACT
    assert photo["type"] == "image" and photo["text"] == "a photo"
    media = wait_for(
        lambda: (r := api.get(f"/api/v1/media/{photo['messageId']}")).status_code == 200 and r,
        30,
        what="media downloaded",
    )
    assert b"".join(media.streaming_content if media.streaming else [media.content]) == data
    assert media["Content-Type"] == "image/png"
    assert Message.objects.filter(session=linked, direction="inbound").count() == 2


def test_a_killed_worker_with_queued_messages_sends_all_of_them_once_after_restart(
    api, engine_worker, settings
):
    worker = engine_worker("engine-a", RATE_LIMIT_PER_MINUTE="0")
    session = create_and_link(api, name="resume")
    os.kill(worker.proc.pid, signal.SIGSTOP)  # frozen: nothing it holds is released
    ids = []
    for i in range(20):
        response = api.post(
            f"/api/v1/sessions/{session.id}/messages", {"to": CONTACT, "text": f"m{i}"}, format="json"
        )
        assert response.status_code == 202
        ids.append(response.json()["messageId"])
    os.kill(worker.proc.pid, signal.SIGKILL)
    worker.proc.wait(10)
    engine_worker("engine-b", RATE_LIMIT_PER_MINUTE="0")
    wait_for(
        lambda: Message.objects.filter(pk__in=ids, status__in=["sent", "delivered", "read"]).count() == 20,
        90,
        what="all 20 sent",
    )
    texts = [m["text"] for m in outbox(api, session.id)]
    assert sorted(texts) == sorted(f"m{i}" for i in range(20)) and len(texts) == 20  # none twice


def test_a_burst_beyond_the_rate_limit_waits_in_order_and_never_delays_another_session(api, engine_worker):
    engine_worker("engine-a", RATE_LIMIT_PER_MINUTE="50", RATE_LIMIT_BURST="5")
    busy = create_and_link(api, name="busy", phone="+33611111111")
    calm = create_and_link(api, name="calm", phone="+33622222222")
    started = time.monotonic()
    for i in range(60):
        response = api.post(
            f"/api/v1/sessions/{busy.id}/messages", {"to": CONTACT, "text": f"b{i}"}, format="json"
        )
        assert response.status_code == 202
    calm_ids = [
        api.post(
            f"/api/v1/sessions/{calm.id}/messages", {"to": CONTACT, "text": f"c{i}"}, format="json"
        ).json()["messageId"]
        for i in range(3)
    ]
    wait_for(
        lambda: (
            Message.objects.filter(pk__in=calm_ids, status__in=["sent", "delivered", "read"]).count() == 3
        ),
        15,
        what="the calm session's messages sent at once",
    )
    sent_busy = Message.objects.filter(session=busy).exclude(status="queued").count()
    # The burst plus what the rate allowed since (more on a loaded machine), not the whole backlog.
    allowed = 5 + math.ceil(50 * (time.monotonic() - started) / 60) + 1
    assert 0 < sent_busy <= min(allowed, 59), (sent_busy, allowed)
    queued = list(
        Message.objects.filter(session=busy, status="queued")
        .order_by("created_at")
        .values_list("text", flat=True)
    )
    assert queued and queued == [f"b{i}" for i in range(60 - len(queued), 60)]  # the oldest went first
