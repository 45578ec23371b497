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
from sessions_app.models import Session
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


def test_reactions_edits_and_deletes_both_ways(api, linked, settings):
    from webhooks.models import WebhookDelivery
    from webhooks.services import webhook_configure

    settings.WEBHOOK_ALLOW_PRIVATE = True
    # Nobody listens there: the deliveries stay pending, and their rows show each event once.
    webhook_configure(session=linked, url="http://127.0.0.1:9/hook")
    messages, sandbox = (
        f"/api/v1/sessions/{linked.id}/messages",
        f"/api/v1/sandbox/sessions/{linked.id}/messages",
    )
    ours_id = api.post(messages, {"to": CONTACT, "text": "Meet at 9"}, format="json").json()["messageId"]
    # Queued right behind the message: they go out after it, in order.
    actions = [
        api.post(f"{messages}/{ours_id}/reaction", {"emoji": "👍"}, format="json"),
        api.patch(f"{messages}/{ours_id}", {"text": "Meet at 10"}, format="json"),
    ]
    assert [r.status_code for r in actions] == [202, 202], [r.content for r in actions]
    for action in actions:
        wait_for(
            lambda a=action: message(api, linked.id, a.json()["messageId"])["status"] == "sent",
            30,
            what="sent",
        )
    ours = message(api, linked.id, ours_id)
    seen = api.get(f"{sandbox}/{ours['waMessageId']}").json()  # what the contact's phone shows
    me = Session.objects.get(pk=linked.pk).wid
    assert seen["reactions"] == {me: "👍"} and (seen["text"], seen["edits"]) == ("Meet at 10", ["Meet at 9"])
    assert ours["text"] == "Meet at 10" and [r["emoji"] for r in ours["reactions"]] == ["👍"]

    # The contact reacts to ours, then writes, edits and deletes a message of theirs.
    api.post(f"{sandbox}/{ours['waMessageId']}/reaction", {"emoji": "❤️"}, format="json")
    wa_id = api.post(
        f"/api/v1/sandbox/sessions/{linked.id}/inbound", {"from": CONTACT, "text": "Hello"}, format="json"
    ).json()["id"]
    theirs = wait_for(lambda: Message.objects.filter(session=linked, wa_id=wa_id).first(), 30, what="inbound")
    assert api.post(f"{sandbox}/{wa_id}/edit", {"text": "Hello!!"}, format="json").status_code == 202
    assert api.post(f"{sandbox}/{wa_id}/revoke").status_code == 202
    wait_for(lambda: message(api, linked.id, theirs.pk)["revokedAt"], 30, what="their message revoked")
    theirs_now = message(api, linked.id, theirs.pk)
    assert theirs_now["text"] == "Hello!!" and [e["text"] for e in theirs_now["edits"]] == ["Hello"]
    reactions = wait_for(
        lambda: len(r := message(api, linked.id, ours_id)["reactions"]) == 2 and r, 30, what="both"
    )
    assert {(r["emoji"], r["fromMe"]) for r in reactions} == {("👍", True), ("❤️", False)}

    # We delete ours for everyone, and theirs on this device only.
    api.delete(f"{messages}/{ours_id}")
    api.delete(f"{messages}/{theirs.pk}?forEveryone=false")
    wait_for(
        lambda: api.get(f"{sandbox}/{ours['waMessageId']}").json()["revokedAt"],
        30,
        what="revoked on the phone",
    )
    wait_for(
        lambda: api.get(f"{sandbox}/{wa_id}").json()["deletedOnDeviceAt"], 30, what="deleted on the device"
    )
    assert message(api, linked.id, ours_id)["revokedAt"]

    # On the chat: the contact sees "typing", then their messages read.
    api.post(
        f"/api/v1/sandbox/sessions/{linked.id}/inbound",
        {"from": CONTACT, "text": "Still there?"},
        format="json",
    )
    wait_for(lambda: Message.objects.filter(session=linked, text="Still there?").exists(), 30, what="inbound")
    chat, phone_chat = (
        f"/api/v1/sessions/{linked.id}/chats/{CONTACT}",
        f"/api/v1/sandbox/sessions/{linked.id}/chats/",
    )
    assert api.post(f"{chat}/presence", {"state": "typing"}, format="json").status_code == 202
    assert api.post(f"{chat}/read").status_code == 202
    seen = wait_for(
        lambda: (
            (c := api.get(phone_chat + CONTACT.lstrip("+") + "@c.us").json())["unreadBySession"] == 0 and c
        ),
        30,
        what="read on the phone",
    )
    assert seen["presence"] == "typing"

    events = list(WebhookDelivery.objects.filter(event__startswith="message.").values_list("event", "body"))
    by_event = {name: [body for event, body in events if event == name] for name, _ in events}
    # Each change once, although WhatsApp Web echoes our own edit as chat.msg_edited.
    assert (len(by_event["message.reaction"]), len(by_event["message.edited"])) == (2, 2)
    assert len(by_event["message.revoked"]) == 2


def _inbound(api, session_id, count: int) -> list[dict]:
    """The session's received messages, oldest first, once there are `count`."""
    listed = wait_for(
        lambda: (
            (r := api.get(f"/api/v1/sessions/{session_id}/messages", {"direction": "inbound"}).json())[
                "total"
            ]
            == count
            and r["items"]
        ),
        30,
        what=f"{count} inbound",
    )
    return listed[::-1]


def test_replies_locations_contacts_voice_notes_and_polls_go_both_ways(api, linked):
    sandbox = f"/api/v1/sandbox/sessions/{linked.id}/inbound"
    assert api.post(sandbox, {"from": CONTACT, "text": "Where are you?"}, format="json").status_code == 202
    (question,) = _inbound(api, linked.id, 1)
    bodies = [
        {"location": {"latitude": 48.8584, "longitude": 2.2945, "name": "Eiffel Tower", "address": "Paris"}},
        {"contacts": [{"name": "Anna", "phone": "+4915112345678"}], "replyTo": question["waMessageId"]},
        {"type": "voice", "media": {"data": base64.b64encode(MP3).decode()}},
        {"poll": {"question": "Lunch?", "options": ["Pizza", "Sushi"]}},
    ]
    sent = []
    for body in bodies:
        body = {"to": CONTACT, "replyTo": question["messageId"], **body}
        response = api.post(f"/api/v1/sessions/{linked.id}/messages", body, format="json")
        assert response.status_code == 202, response.content
        sent.append(response.json()["messageId"])
    got = wait_for(lambda: len(o := outbox(api, linked.id)) == 4 and o[::-1], 60, what="four sent")

    # What the contact's phone received, as the sandbox's WPP recorded each wa-js call.
    assert [m["type"] for m in got] == ["location", "vcard", "ptt", "poll_creation"]
    assert {m["quotedMsgId"] for m in got} == {question["waMessageId"]}
    assert got[0]["location"] == {
        "latitude": 48.8584,
        "longitude": 2.2945,
        "name": "Eiffel Tower",
        "address": "Paris",
    }
    assert [(c["name"], c["phone"]) for c in got[1]["contacts"]] == [("Anna", "+4915112345678")]
    assert got[2]["isPtt"] and got[2]["media"]["sha256"] == hashlib.sha256(MP3).hexdigest()
    assert len(got[2]["waveform"]) == 64 and got[1]["waveform"] is None  # drawn for voice notes only
    assert got[3]["poll"] == {"question": "Lunch?", "options": ["Pizza", "Sushi"], "multipleAnswers": False}
    location = message(api, linked.id, sent[0])
    assert (
        location["waMessageId"] == got[0]["id"] and location["replyTo"]["messageId"] == question["messageId"]
    )

    # The phone answers with each kind, the first quoting our location.
    replies = [
        {"location": {"latitude": -33.8568, "longitude": 151.2153, "name": "Opera"}, "replyTo": got[0]["id"]},
        {"contacts": [{"name": "Bob", "phone": "+33611111111"}, {"name": "Eve", "phone": "+33622222222"}]},
        {"media": {"data": base64.b64encode(MP3).decode(), "type": "ptt"}},
        {"poll": {"question": "Dinner?", "options": ["Yes", "No", "Maybe"], "multipleAnswers": True}},
    ]
    for body in replies:
        response = api.post(sandbox, {"from": CONTACT, **body}, format="json")
        assert response.status_code == 202, response.content
    place, cards, voice, poll = _inbound(api, linked.id, 5)[1:]
    assert place["type"] == "location" and place["location"]["latitude"] == -33.8568
    assert place["location"]["name"] == "Opera"
    assert place["replyTo"] == {"messageId": sent[0], "waMessageId": got[0]["id"]}
    assert cards["type"] == "contact" and [c["phone"] for c in cards["contacts"]] == [
        "+33611111111",
        "+33622222222",
    ]
    assert voice["type"] == "voice"
    wait_for(
        lambda: message(api, linked.id, voice["messageId"])["media"]["status"] == "stored", 30, what="voice"
    )
    assert poll["type"] == "poll" and poll["poll"] == {
        "question": "Dinner?",
        "options": ["Yes", "No", "Maybe"],
        "multipleAnswers": True,
        "tally": [{"option": name, "votes": 0} for name in ("Yes", "No", "Maybe")],
    }
