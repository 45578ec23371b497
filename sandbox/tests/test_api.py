"""The sandbox REST API and the page endpoints, without a browser: the page's side is
played by calling the same services its views call."""

import base64
import hashlib
import re
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from sandbox.models import SandboxDevice, SandboxEvent, SandboxMessage
from sandbox.services.device import (
    sandbox_device,
    sandbox_page_hello,
    sandbox_page_issue_qr,
    sandbox_page_pairing_code,
    sandbox_page_qr_idle,
)
from sandbox.services.messages import OutgoingFile
from sandbox.services.page import sandbox_page_mark_read, sandbox_page_poll, sandbox_page_send
from sandbox.services.page_url import sandbox_page_token, sandbox_page_url
from sandbox.tests.conftest import PDF_BYTES, PNG_BYTES
from yesapp.errors import InvalidInput, NotFound

PHONE = "+33612345678"
CONTACT = "+4915112345678"


def api_url(session_id, action: str = "") -> str:
    return f"/api/v1/sandbox/sessions/{session_id}" + (f"/{action}" if action else "")


def page_path(session, name: str, **kwargs) -> str:
    token = sandbox_page_token(session_id=session.id)
    return reverse(f"sandbox:{name}", kwargs={"session_id": session.id, **kwargs}) + f"?token={token}"


def show_qr(session) -> dict:
    """What the page does when it needs a QR."""
    return sandbox_page_issue_qr(session=session, device_token="")


def link(api, session, phone: str = PHONE) -> str:
    """Shows a QR, scans it through the API, and returns the device token the page gets."""
    code = show_qr(session)["authCode"]
    response = api.post(api_url(session.id, "link"), {"phone": phone, "name": "Shop"}, format="json")
    assert response.status_code == 200, response.json()
    poll = sandbox_page_poll(session=session, after=0, device_token="", link_refs=(code["ref"],))
    assert poll.link is not None
    return poll.link["deviceToken"]


# --- link ---


def test_link_links_the_page_showing_a_qr(api, sandbox_session):
    code = show_qr(sandbox_session)["authCode"]
    response = api.post(api_url(sandbox_session.id, "link"), {"phone": "0033 6 12 34 56 78"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["linked"] is True and body["phone"] == PHONE and body["pushName"] == "Sandbox"
    # The page that shows this QR gets the device token on its next poll; another page doesn't.
    poll = sandbox_page_poll(session=sandbox_session, after=0, device_token="", link_refs=(code["ref"],))
    assert poll.link["me"] == {"wid": "33612345678@c.us", "phone": PHONE, "pushName": "Sandbox"}
    other = sandbox_page_poll(session=sandbox_session, after=0, device_token="", link_refs=("2@nope",))
    assert other.link is None


def test_link_with_the_scanned_qr_text_must_match_the_current_qr(api, sandbox_session):
    old = show_qr(sandbox_session)["authCode"]["fullCode"]
    current = show_qr(sandbox_session)["authCode"]["fullCode"]
    stale = api.post(api_url(sandbox_session.id, "link"), {"phone": PHONE, "qr": old}, format="json")
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "qr_stale"
    ok = api.post(api_url(sandbox_session.id, "link"), {"phone": PHONE, "qr": current}, format="json")
    assert ok.status_code == 200


def test_link_when_no_page_shows_a_qr_is_409_with_the_state(api, sandbox_session):
    response = api.post(api_url(sandbox_session.id, "link"), {"phone": PHONE}, format="json")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "not_showing_qr"
    assert error["details"]["page"] == "absent" and error["details"]["linked"] is False


def test_link_twice_is_409_because_the_page_no_longer_shows_a_qr(api, sandbox_session):
    link(api, sandbox_session)
    response = api.post(api_url(sandbox_session.id, "link"), {"phone": PHONE}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["details"]["linked"] is True


def test_link_after_the_qr_went_idle_is_409(api, sandbox_session):
    show_qr(sandbox_session)
    sandbox_page_qr_idle(session=sandbox_session)
    response = api.post(api_url(sandbox_session.id, "link"), {"phone": PHONE}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["details"]["page"] == "qr_idle"


def test_link_when_the_page_stopped_polling_is_409(api, sandbox_session):
    show_qr(sandbox_session)
    SandboxDevice.objects.filter(session=sandbox_session).update(
        page_seen_at=timezone.now() - timedelta(seconds=30)
    )
    response = api.post(api_url(sandbox_session.id, "link"), {"phone": PHONE}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["details"]["page"] == "absent"


def test_link_with_a_bad_phone_is_400_and_links_nothing(api, sandbox_session):
    show_qr(sandbox_session)
    response = api.post(api_url(sandbox_session.id, "link"), {"phone": "12"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert not SandboxDevice.objects.get(session=sandbox_session).is_linked


def test_link_of_an_unknown_session_is_404(api):
    response = api.post(api_url(uuid.uuid4(), "link"), {"phone": PHONE}, format="json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_link_of_a_whatsapp_web_session_is_400(api, real_session):
    response = api.post(api_url(real_session.id, "link"), {"phone": PHONE}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "not_a_sandbox_session"


def test_link_with_a_pairing_code(api, sandbox_session):
    show_qr(sandbox_session)
    code = sandbox_page_pairing_code(session=sandbox_session, device_token="", phone="33612345678")
    assert len(code) == 8 and code.isalnum() and code.isupper()
    wrong_phone = api.post(
        api_url(sandbox_session.id, "link"), {"phone": CONTACT, "code": code}, format="json"
    )
    assert wrong_phone.status_code == 409 and wrong_phone.json()["error"]["code"] == "pairing_code_phone"
    wrong_code = api.post(
        api_url(sandbox_session.id, "link"), {"phone": PHONE, "code": "AAAA-BBBB"}, format="json"
    )
    assert wrong_code.status_code == 409 and wrong_code.json()["error"]["code"] == "pairing_code_unknown"
    dashed = f"{code[:4]}-{code[4:]}"
    ok = api.post(api_url(sandbox_session.id, "link"), {"phone": PHONE, "code": dashed}, format="json")
    assert ok.status_code == 200
    poll = sandbox_page_poll(session=sandbox_session, after=0, device_token="", link_refs=(f"code:{code}",))
    assert poll.link is not None


def test_sandbox_api_needs_an_api_key(anon_api, sandbox_session):
    response = anon_api.post(api_url(sandbox_session.id, "link"), {"phone": PHONE}, format="json")
    assert response.status_code == 401


def test_state_reports_the_page(api, sandbox_session):
    assert api.get(api_url(sandbox_session.id)).json()["page"] == "absent"
    show_qr(sandbox_session)
    assert api.get(api_url(sandbox_session.id)).json()["page"] == "qr"
    token = link(api, sandbox_session)
    sandbox_page_poll(session=sandbox_session, after=0, device_token=token)
    state = api.get(api_url(sandbox_session.id)).json()
    assert state["page"] == "connected" and state["linked"] is True


# --- inbound ---


def test_inbound_text_is_202_and_becomes_a_page_event(api, sandbox_session):
    token = link(api, sandbox_session)
    response = api.post(
        api_url(sandbox_session.id, "inbound"),
        {"from": CONTACT, "text": "Hello", "name": "Anna"},
        format="json",
    )
    assert response.status_code == 202
    body = response.json()
    assert body["id"].startswith("false_4915112345678@c.us_") and body["chatId"] == "4915112345678@c.us"
    poll = sandbox_page_poll(session=sandbox_session, after=0, device_token=token)
    assert [e.kind for e in poll.events] == ["message"] and poll.cursor == body["cursor"]
    message = poll.events[0].message
    assert (message.text, message.contact.name, message.type) == ("Hello", "Anna", "chat")


def test_inbound_before_linking_is_409(api, sandbox_session):
    response = api.post(
        api_url(sandbox_session.id, "inbound"), {"from": CONTACT, "text": "Hi"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_linked"
    assert not SandboxMessage.objects.exists()


def test_inbound_from_a_bad_number_is_400(api, sandbox_session):
    link(api, sandbox_session)
    response = api.post(api_url(sandbox_session.id, "inbound"), {"from": "+1", "text": "Hi"}, format="json")
    assert response.status_code == 400
    assert not SandboxMessage.objects.exists()


def test_inbound_without_text_or_media_is_400(api, sandbox_session):
    link(api, sandbox_session)
    response = api.post(api_url(sandbox_session.id, "inbound"), {"from": CONTACT}, format="json")
    assert response.status_code == 400


def test_inbound_media_with_bad_base64_is_400(api, sandbox_session):
    link(api, sandbox_session)
    response = api.post(
        api_url(sandbox_session.id, "inbound"),
        {"from": CONTACT, "media": {"data": "not base64!"}},
        format="json",
    )
    assert response.status_code == 400
    assert not SandboxMessage.objects.exists()


def test_inbound_media_larger_than_the_limit_is_413(api, sandbox_session, settings):
    link(api, sandbox_session)
    settings.MEDIA_MAX_BYTES = 1000
    data = base64.b64encode(b"x" * 2000).decode()
    response = api.post(
        api_url(sandbox_session.id, "inbound"), {"from": CONTACT, "media": {"data": data}}, format="json"
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    upload = api.post(
        api_url(sandbox_session.id, "inbound"),
        {"from": CONTACT, "file": _upload("big.bin", b"x" * 2000)},
        format="multipart",
    )
    assert upload.status_code == 413
    assert not SandboxMessage.objects.exists()


def _upload(name: str, data: bytes, content_type: str = "application/octet-stream"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type=content_type)


def test_inbound_media_json_and_multipart_keep_the_bytes(api, sandbox_session):
    link(api, sandbox_session)
    png = base64.b64encode(PNG_BYTES).decode()
    response = api.post(
        api_url(sandbox_session.id, "inbound"),
        {
            "from": CONTACT,
            "text": "look",
            "media": {"data": f"data:image/png;base64,{png}", "filename": "dot.png"},
        },
        format="json",
    )
    assert response.status_code == 202 and response.json()["type"] == "image"
    upload = api.post(
        api_url(sandbox_session.id, "inbound"),
        {"from": CONTACT, "file": _upload("doc.pdf", PDF_BYTES, "application/pdf")},
        format="multipart",
    )
    assert upload.status_code == 202 and upload.json()["type"] == "document"
    image, document = SandboxMessage.objects.order_by("id")
    assert (image.mimetype, image.filename, image.text, image.size) == (
        "image/png",
        "dot.png",
        "look",
        len(PNG_BYTES),
    )
    assert image.sha256 == hashlib.sha256(PNG_BYTES).hexdigest()
    assert document.media.read() == PDF_BYTES and document.filename == "doc.pdf"


def test_inbound_media_without_mimetype_is_sniffed(api, sandbox_session):
    link(api, sandbox_session)
    png = base64.b64encode(PNG_BYTES).decode()
    response = api.post(
        api_url(sandbox_session.id, "inbound"), {"from": CONTACT, "media": {"data": png}}, format="json"
    )
    assert response.status_code == 202
    message = SandboxMessage.objects.get()
    assert (message.type, message.mimetype, message.filename) == ("image", "image/png", "image.png")


# --- outbox and receipts ---


def test_outbox_shows_receipts_when_they_are_due(api, sandbox_session, settings):
    token = link(api, sandbox_session)
    settings.SANDBOX_DELIVERY_DELAY_MS, settings.SANDBOX_READ_DELAY_MS = 0, 60_000
    message = sandbox_page_send(
        session=sandbox_session, device_token=token, chat_id="4915112345678@c.us", text="Hi"
    )
    assert message.wa_id.startswith("true_4915112345678@c.us_3EB0")
    outbox = api.get(api_url(sandbox_session.id, "outbox")).json()
    item = outbox["messages"][0]
    assert outbox["total"] == 1
    assert (item["id"], item["to"], item["text"], item["ack"], item["status"]) == (
        message.wa_id,
        CONTACT,
        "Hi",
        2,
        "delivered",
    )
    assert item["deliveredAt"] and item["readAt"] is None and item["media"] is None
    # The read receipt is due in a minute: move the clock by moving the due time.
    SandboxMessage.objects.filter(pk=message.pk).update(read_due_at=timezone.now())
    item = api.get(api_url(sandbox_session.id, "outbox")).json()["messages"][0]
    assert item["ack"] == 3 and item["readAt"]
    poll = sandbox_page_poll(session=sandbox_session, after=0, device_token=token)
    assert [(e.kind, e.ack) for e in poll.events] == [("ack", 2), ("ack", 3)]


def test_outbox_is_newest_first_and_paginates(api, sandbox_session):
    token = link(api, sandbox_session)
    for n in range(3):
        sandbox_page_send(
            session=sandbox_session, device_token=token, chat_id="4915112345678@c.us", text=str(n)
        )
    page = api.get(api_url(sandbox_session.id, "outbox"), {"limit": 2, "offset": 1}).json()
    assert [m["text"] for m in page["messages"]] == ["1", "0"]
    assert (page["total"], page["limit"], page["offset"]) == (3, 2, 1)
    assert api.get(api_url(sandbox_session.id, "outbox"), {"limit": 0}).status_code == 400


def send_pdf_from_page(api, session):
    """Links the session, then its page sends "the doc" with a PDF: an outbox message."""
    token = link(api, session)
    return sandbox_page_send(
        session=session,
        device_token=token,
        chat_id="4915112345678@c.us",
        text="the doc",
        file=OutgoingFile(data=PDF_BYTES, mimetype="application/pdf", filename="a.pdf", type="document"),
    )


def test_outbox_media_has_sha256_and_downloads_the_same_bytes(api, sandbox_session):
    message = send_pdf_from_page(api, sandbox_session)
    item = api.get(api_url(sandbox_session.id, "outbox")).json()["messages"][0]
    assert item["type"] == "document" and item["text"] == "the doc"
    assert item["media"]["sha256"] == hashlib.sha256(PDF_BYTES).hexdigest()
    assert (item["media"]["size"], item["media"]["filename"]) == (len(PDF_BYTES), "a.pdf")
    download = api.get(item["media"]["url"])
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content) == PDF_BYTES
    missing = api.get(api_url(sandbox_session.id, f"outbox/{message.wa_id}x/media"))
    assert missing.status_code == 404


def test_send_to_an_implausible_number_stores_nothing(api, sandbox_session):
    token = link(api, sandbox_session)
    for chat_id in ("123@c.us", "120363000000000000@g.us", "hello"):
        with pytest.raises(InvalidInput) as exc:
            sandbox_page_send(session=sandbox_session, device_token=token, chat_id=chat_id, text="x")
        assert exc.value.code == "invalid_recipient"
    assert not SandboxMessage.objects.exists()


def test_send_marks_what_the_page_received_as_read_like_wa_js(api, sandbox_session):
    token = link(api, sandbox_session)
    seen = api.post(
        api_url(sandbox_session.id, "inbound"), {"from": CONTACT, "text": "Hi"}, format="json"
    ).json()
    api.post(api_url(sandbox_session.id, "inbound"), {"from": CONTACT, "text": "on its way"}, format="json")
    sandbox_page_send(
        session=sandbox_session,
        device_token=token,
        chat_id="4915112345678@c.us",
        text="Yo",
        seen=seen["cursor"],
    )
    read = SandboxMessage.objects.get(text="Hi")
    assert read.read_at is not None and read.delivered_at is not None and read.ack == 3
    # The page had not received the second one yet: it can't have been read.
    assert SandboxMessage.objects.get(text="on its way").read_at is None


def test_mark_read_counts_what_was_unread(api, sandbox_session):
    token = link(api, sandbox_session)
    last = None
    for text in ("a", "b"):
        last = api.post(
            api_url(sandbox_session.id, "inbound"), {"from": CONTACT, "text": text}, format="json"
        ).json()
    mark = sandbox_page_mark_read
    assert (
        mark(session=sandbox_session, device_token=token, chat_id="4915112345678@c.us", seen=last["cursor"])
        == 2
    )
    assert (
        mark(session=sandbox_session, device_token=token, chat_id="4915112345678@c.us", seen=last["cursor"])
        == 0
    )
    with pytest.raises(NotFound):
        mark(session=sandbox_session, device_token=token, chat_id="33699999999@c.us", seen=last["cursor"])


# --- disconnect ---


def test_unlink_revokes_the_device_token(api, sandbox_session):
    token = link(api, sandbox_session)
    response = api.post(api_url(sandbox_session.id, "disconnect"), {"mode": "unlink"}, format="json")
    assert response.status_code == 200 and response.json()["linked"] is False
    assert sandbox_page_poll(session=sandbox_session, after=0, device_token=token).auth == "invalid"
    assert sandbox_page_hello(session=sandbox_session, device_token=token)["loggedIn"] is False


def test_offline_holds_events_back_until_it_ends(api, sandbox_session):
    token = link(api, sandbox_session)
    response = api.post(
        api_url(sandbox_session.id, "disconnect"), {"mode": "offline", "seconds": 30}, format="json"
    )
    assert response.status_code == 200 and response.json()["offlineUntil"]
    api.post(
        api_url(sandbox_session.id, "inbound"), {"from": CONTACT, "text": "while offline"}, format="json"
    )
    held = sandbox_page_poll(session=sandbox_session, after=0, device_token=token)
    assert held.offline and held.events == []
    SandboxDevice.objects.filter(session=sandbox_session).update(offline_until=timezone.now())
    back = sandbox_page_poll(session=sandbox_session, after=0, device_token=token)
    assert not back.offline and [e.message.text for e in back.events] == ["while offline"]


def test_disconnect_when_not_linked_is_409(api, sandbox_session):
    response = api.post(api_url(sandbox_session.id, "disconnect"), {"mode": "unlink"}, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "not_linked"


def test_disconnect_with_a_bad_mode_or_duration_is_400(api, sandbox_session):
    link(api, sandbox_session)
    assert (
        api.post(api_url(sandbox_session.id, "disconnect"), {"mode": "explode"}, format="json").status_code
        == 400
    )
    bad = api.post(
        api_url(sandbox_session.id, "disconnect"), {"mode": "offline", "seconds": 0}, format="json"
    )
    assert bad.status_code == 400


# --- the page's endpoints ---


def test_page_url_carries_a_token_bound_to_the_session(sandbox_session, settings):
    settings.INTERNAL_BASE_URL = "http://127.0.0.1:3000"
    url = sandbox_page_url(session=sandbox_session)
    token = sandbox_page_token(session_id=sandbox_session.id)
    assert url == f"http://127.0.0.1:3000/sandbox/web/{sandbox_session.id}/?token={token}"
    assert token != sandbox_page_token(session_id=uuid.uuid4())


def test_page_and_its_endpoints_refuse_a_bad_token(sandbox_session):
    client = Client()
    base = f"/sandbox/web/{sandbox_session.id}/"
    assert client.get(base + "?token=forged").status_code == 403
    assert client.get(base).status_code == 403
    other_token = sandbox_page_token(session_id=uuid.uuid4())
    for path in ("hello", "qr", "logout", "send"):
        response = client.post(f"{base}{path}?token={other_token}", "{}", content_type="application/json")
        assert response.status_code == 403, path
        assert response.json()["error"]["code"] == "permission_denied"
    assert client.get(f"{base}events?after=0&token=forged").status_code == 403


def test_page_of_a_whatsapp_web_session_is_404(real_session):
    client = Client()
    token = sandbox_page_token(session_id=real_session.id)
    assert client.get(f"/sandbox/web/{real_session.id}/?token={token}").status_code == 404
    response = client.post(
        f"/sandbox/web/{real_session.id}/hello?token={token}", "{}", content_type="application/json"
    )
    assert response.status_code == 404


def test_page_loads_every_part_of_its_wpp_in_head_each_after_the_parts_it_uses(sandbox_session):
    """The parts of static/sandbox/wpp/ are plain scripts sharing `Sandbox*` globals: a part
    left out, or loaded before one it uses, would leave window.WPP undefined."""
    client = Client()
    response = client.get(page_path(sandbox_session, "page"))
    assert response.status_code == 200
    html = response.content.decode()
    head = html[: html.index("</head>")]
    assert 'id="sandbox-config"' in head
    srcs = re.findall(r'<script src="([^"]+)"></script>', head)
    parts_dir = Path(settings.BASE_DIR) / "static" / "sandbox" / "wpp"
    assert [src.rpartition("/")[2] for src in srcs][-1] == "wpp.js"
    assert sorted(src.rpartition("/")[2] for src in srcs) == sorted(p.name for p in parts_dir.glob("*.js"))
    sources = [(parts_dir / src.rpartition("/")[2]).read_text() for src in srcs]
    publishes = [set(re.findall(r"^var (Sandbox\w+) =", source, re.MULTILINE)) for source in sources]
    shared = set().union(*publishes)
    defined: set[str] = set()
    for src, source, own in zip(srcs, sources, publishes, strict=True):
        assert client.get(src).status_code == 200, src
        assert set(re.findall(r"\bSandbox[A-Z]\w*", source)) & shared - own <= defined, src
        defined |= own


def test_page_endpoints_answer_bad_input_with_the_error_shape(sandbox_session):
    client = Client()
    response = client.post(page_path(sandbox_session, "hello"), "not json", content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "validation_error"
    assert client.get(page_path(sandbox_session, "hello")).status_code == 405
    events = client.get(page_path(sandbox_session, "events") + "&after=abc")
    assert events.status_code == 400
    send = client.post(
        page_path(sandbox_session, "send"),
        {"chatId": "4915112345678@c.us", "text": "x"},
        content_type="application/json",
    )
    assert send.status_code == 409 and send.json()["error"]["code"] == "not_logged_in"


def test_sandbox_turned_off_answers_404_everywhere(api, sandbox_session, settings):
    settings.SANDBOX_ENABLED = False
    assert api.get(api_url(sandbox_session.id)).status_code == 404
    assert api.post(api_url(sandbox_session.id, "link"), {"phone": PHONE}, format="json").status_code == 404
    assert (
        api.post(
            api_url(sandbox_session.id, "inbound"), {"from": CONTACT, "text": "x"}, format="json"
        ).status_code
        == 404
    )
    assert api.get(api_url(sandbox_session.id, "outbox")).status_code == 404
    client = Client()
    assert client.get(page_path(sandbox_session, "page")).status_code == 404
    assert (
        client.post(page_path(sandbox_session, "hello"), "{}", content_type="application/json").status_code
        == 404
    )


def test_poll_resumes_after_the_last_acknowledged_event_and_marks_delivery(api, sandbox_session):
    token = link(api, sandbox_session)
    for text in ("one", "two"):
        api.post(api_url(sandbox_session.id, "inbound"), {"from": CONTACT, "text": text}, format="json")
    first = sandbox_page_poll(session=sandbox_session, after=0, device_token=token)
    assert [e.message.text for e in first.events] == ["one", "two"]
    assert not SandboxMessage.objects.filter(delivered_at__isnull=False).exists()
    # The next poll says "after 1": the first one reached the session, the second is resent after a reload.
    sandbox_page_poll(session=sandbox_session, after=first.events[0].cursor, device_token=token)
    assert list(SandboxMessage.objects.filter(delivered_at__isnull=False).values_list("text", flat=True)) == [
        "one"
    ]
    hello = sandbox_page_hello(session=sandbox_session, device_token=token)
    assert hello["loggedIn"] and hello["cursor"] == first.events[0].cursor
    assert SandboxEvent.objects.filter(session=sandbox_session).count() == 2


def test_deleting_a_session_removes_its_media_files(api, sandbox_session):
    link(api, sandbox_session)
    png = base64.b64encode(PNG_BYTES).decode()
    api.post(api_url(sandbox_session.id, "inbound"), {"from": CONTACT, "media": {"data": png}}, format="json")
    path = SandboxMessage.objects.get().media.path
    sandbox_session.delete()
    import os

    assert not os.path.exists(path)


def test_inbound_is_limited_per_session_per_minute_with_retry_after(api, sandbox_session, settings):
    link(api, sandbox_session)
    settings.SANDBOX_INBOUND_PER_MINUTE = 3
    url = api_url(sandbox_session.id, "inbound")
    codes = [api.post(url, {"from": CONTACT, "text": f"m{i}"}, format="json").status_code for i in range(3)]
    if codes != [202] * 3:  # a minute boundary fell inside the burst: the next one is fresh
        codes = [
            api.post(url, {"from": CONTACT, "text": f"n{i}"}, format="json").status_code for i in range(3)
        ]
    assert codes == [202] * 3
    refused = api.post(url, {"from": CONTACT, "text": "one too many"}, format="json")
    if refused.status_code == 202:  # the same boundary, once more; a third time cannot happen in a minute
        for i in range(3):
            api.post(url, {"from": CONTACT, "text": f"o{i}"}, format="json")
        refused = api.post(url, {"from": CONTACT, "text": "one too many"}, format="json")
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "too_many_requests" and 1 <= int(refused["Retry-After"]) <= 61
    assert "SANDBOX_INBOUND_PER_MINUTE" in refused.json()["error"]["message"]
    assert not SandboxMessage.objects.filter(text="one too many").exists()


def test_inbound_text_longer_than_whatsapps_limit_is_400(api, sandbox_session):
    link(api, sandbox_session)
    response = api.post(
        api_url(sandbox_session.id, "inbound"), {"from": CONTACT, "text": "x" * 65537}, format="json"
    )
    assert response.status_code == 400
    assert not SandboxMessage.objects.exists()


def test_link_answers_the_state_after_linking_then_connected_once_the_page_logs_in(api, sandbox_session):
    show_qr(sandbox_session)
    body = api.post(api_url(sandbox_session.id, "link"), {"phone": PHONE}, format="json").json()
    # Not "logged_out": the page that showed the QR is logging in with the new link.
    assert body["linked"] is True and body["page"] == "linking" and body["linkedAt"]
    token = sandbox_device(session=sandbox_session).device_token
    sandbox_page_poll(session=sandbox_session, after=0, device_token=token, link_refs=())
    assert api.get(f"/api/v1/sandbox/sessions/{sandbox_session.id}").json()["page"] == "connected"
