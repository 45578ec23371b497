"""The sandbox page in real headless Chromium, driven like the engine drives WhatsApp Web:
WPP functions called from Selenium, WPP events recorded by a listener registered with
`WPP.on`, and the "phone" side played through the sandbox REST API."""

import base64
import contextlib
import hashlib
import io
import os
import signal
import time
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from sandbox.contacts import sandbox_lid_of
from sandbox.models import SandboxDevice, SandboxMessage
from sandbox.tests.conftest import PDF_BYTES, PNG_BYTES, new_driver

pytestmark = pytest.mark.browser

PHONE = "+33612345678"
CONTACT = "+4915112345678"
CONTACT_CHAT = "4915112345678@c.us"


def api_url(session, action: str = "") -> str:
    return f"/api/v1/sandbox/sessions/{session.id}" + (f"/{action}" if action else "")


def link(api, page) -> None:
    page.wait_event("conn.auth_code_change", lambda data: bool(data))
    response = api.post(api_url(page.session, "link"), {"phone": PHONE, "name": "Shop"}, format="json")
    assert response.status_code == 200, response.json()
    page.wait_for(lambda: page.mode() == "MAIN", what="stream mode MAIN")


def stored_tokens(page) -> int:
    """How many device tokens the page keeps in the profile's IndexedDB."""
    return page.value(
        "const db = await new Promise(r => { const q = indexedDB.open('yesapp-sandbox', 1); "
        "q.onsuccess = () => r(q.result); });"
        "return await new Promise(r => { const q = db.transaction('device').objectStore('device').count(); "
        "q.onsuccess = () => r(q.result); });"
    )


def kill_browser(driver) -> None:
    """SIGKILLs Chromium (every process under chromedriver): no clean shutdown, no flush."""
    pid = driver.service.process.pid
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            children = []
        todo.extend(int(child) for child in children)
        if current != pid:
            pids.append(current)
    for child in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)


def inbound(api, session, **body) -> dict:
    response = api.post(api_url(session, "inbound"), {"from": CONTACT, **body}, format="json")
    assert response.status_code == 202, response.json()
    return response.json()


def test_page_shows_a_qr_and_fires_auth_code_change(open_page, sandbox_session):
    page = open_page(sandbox_session)
    event = page.wait_event("conn.auth_code_change", lambda data: bool(data))
    code = event["data"]
    assert code["type"] == "multidevice" and code["ref"].startswith("2@")
    assert code["fullCode"] == ",".join(
        [code["ref"], code["staticKeyPair"], code["identityKeyPair"], code["secretKey"]]
    )
    assert page.value("return await WPP.conn.getAuthCode();")["fullCode"] == code["fullCode"]
    page.wait_event("conn.stream_mode_changed", lambda mode: mode == "QR")
    page.wait_event("conn.main_ready")  # wa-js fires it on the QR screen too
    assert page.js(
        "return [WPP.conn.isAuthenticated(), WPP.conn.isRegistered(), WPP.conn.isMainReady()]"
    ) == [False, False, True]
    assert page.js("return WPP.conn.getMyUserId() === undefined")
    # A person sees the QR: the image is drawn and the status says what to do.
    page.wait_for(
        lambda: page.js("const i = document.getElementById('qr'); return !i.hidden && i.naturalWidth > 100")
    )
    assert page.js("return document.getElementById('status').textContent") == "Waiting for a scan"
    # What a phone would scan is exactly the fullCode.
    src = page.js("return document.getElementById('qr').src")
    png = base64.b64decode(src.partition(",")[2])
    assert [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))] == [code["fullCode"]]


def test_link_through_the_api_logs_the_page_in(open_page, api, sandbox_session):
    page = open_page(sandbox_session)
    link(api, page)
    page.wait_event("conn.authenticated")
    assert page.events("conn.auth_code_change")[-1]["data"] is None
    modes = [e["data"] for e in page.events("conn.stream_mode_changed")]
    assert modes == ["QR", "SYNCING", "MAIN"]
    assert page.js("return [WPP.conn.isAuthenticated(), WPP.conn.isRegistered()]") == [True, True]
    me = page.js(
        "const w = WPP.conn.getMyUserId(); return {json: JSON.parse(JSON.stringify(w)), str: String(w)}"
    )
    assert me == {
        "json": {"server": "c.us", "user": "33612345678", "_serialized": "33612345678@c.us"},
        "str": "33612345678@c.us",
    }
    assert page.value("return await WPP.conn.getAuthCode();") is None
    assert page.js("return WPP.conn.getStreamData()") == {"mode": "MAIN", "info": "NORMAL"}
    assert api.get(api_url(sandbox_session)).json()["page"] == "connected"
    assert "Connected as +33612345678 (Shop)" in page.js(
        "return document.getElementById('status').textContent"
    )


def test_inbound_text_reaches_a_wpp_listener(open_page, api, sandbox_session):
    page = open_page(sandbox_session)
    link(api, page)
    sent = inbound(api, sandbox_session, text="Hello there", name="Anna")
    event = page.wait_event("chat.new_message")
    msg = event["data"]
    assert msg["id"] == {
        "fromMe": False,
        "remote": {"server": "c.us", "user": "4915112345678", "_serialized": CONTACT_CHAT},
        "id": sent["id"].rsplit("_", 1)[1],
        "_serialized": sent["id"],
    }
    assert msg["from"]["_serialized"] == CONTACT_CHAT and msg["to"]["_serialized"] == "33612345678@c.us"
    assert (msg["body"], msg["type"], msg["notifyName"], msg["isNewMsg"]) == (
        "Hello there",
        "chat",
        "Anna",
        True,
    )
    assert isinstance(msg["t"], int) and "author" not in msg
    assert event["fromToString"] == CONTACT_CHAT and event["idToString"] == sent["id"]
    # The next poll acknowledges it: the contact's phone sees it delivered.
    page.wait_for(lambda: SandboxMessage.objects.get(wa_id=sent["id"]).delivered_at is not None)


def test_send_text_reaches_the_outbox_and_acks_2_then_3(open_page, api, sandbox_session):
    page = open_page(sandbox_session)
    link(api, page)
    result = page.value(
        "return await WPP.chat.sendTextMessage(args[0], 'Hi from the API', {waitForAck: true});", CONTACT_CHAT
    )
    assert result["ack"] == 1 and result["sendMsgResult"]["messageSendResult"] == "OK"
    assert result["id"].startswith(f"true_{CONTACT_CHAT}_3EB0")
    assert (result["from"], result["to"]) == ("33612345678@c.us", CONTACT_CHAT)
    own = page.wait_event("chat.new_message", lambda m: m["id"]["fromMe"])["data"]
    assert own["id"]["_serialized"] == result["id"] and own["body"] == "Hi from the API" and own["ack"] == 0

    def acks() -> list[int]:
        return [
            e["data"]["ack"]
            for e in page.events("chat.msg_ack_change")
            if e["data"]["ids"][0]["_serialized"] == result["id"]
        ]

    page.wait_for(lambda: acks() == [1, 2, 3], timeout=10, what="acks 1, 2, 3")
    receipt = page.events("chat.msg_ack_change")[-1]["data"]
    assert receipt["chat"]["_serialized"] == CONTACT_CHAT
    assert receipt["ids"][0] == {
        "fromMe": True,
        "remote": receipt["chat"],
        "id": result["id"].rsplit("_", 1)[1],
        "_serialized": result["id"],
    }
    item = api.get(api_url(sandbox_session, "outbox")).json()["messages"][0]
    assert (item["id"], item["to"], item["text"], item["ack"]) == (
        result["id"],
        CONTACT,
        "Hi from the API",
        3,
    )
    # Receipts keep the configured spacing (300 ms, 800 ms) whenever someone looks (created_at is
    # stamped at INSERT, a moment after the due times were computed: hence the tolerance).
    message = SandboxMessage.objects.get(wa_id=result["id"])
    assert (message.delivered_at - message.created_at).total_seconds() == pytest.approx(0.3, abs=0.15)
    assert (message.read_at - message.created_at).total_seconds() == pytest.approx(0.8, abs=0.15)


def test_send_file_keeps_the_bytes(open_page, api, sandbox_session):
    page = open_page(sandbox_session)
    link(api, page)
    png_url = "data:image/png;base64," + base64.b64encode(PNG_BYTES).decode()
    image = page.value(
        "return await WPP.chat.sendFileMessage(args[0], args[1], {type: 'image', caption: 'dot'});",
        CONTACT_CHAT,
        png_url,
    )
    assert image["ack"] == 1 and image["sendMsgResult"]["messageSendResult"] == "OK"
    assert set(image) == {"id", "ack", "sendMsgResult"}  # wa-js's sendFileMessage has no from/to
    pdf_b64 = base64.b64encode(PDF_BYTES).decode()  # bare base64, as wa-js also accepts
    document = page.value(
        "return await WPP.chat.sendFileMessage(args[0], args[1], "
        "{type: 'document', filename: 'report.pdf', mimetype: 'application/pdf', caption: null});",
        CONTACT_CHAT,
        pdf_b64,
    )
    outbox = {m["id"]: m for m in api.get(api_url(sandbox_session, "outbox")).json()["messages"]}
    assert outbox[image["id"]]["type"] == "image" and outbox[image["id"]]["text"] == "dot"
    assert outbox[image["id"]]["media"]["sha256"] == hashlib.sha256(PNG_BYTES).hexdigest()
    assert outbox[image["id"]]["media"]["mimetype"] == "image/png"
    doc = outbox[document["id"]]
    assert (doc["type"], doc["media"]["filename"], doc["media"]["mimetype"]) == (
        "document",
        "report.pdf",
        "application/pdf",
    )
    assert doc["media"]["sha256"] == hashlib.sha256(PDF_BYTES).hexdigest()
    own = page.wait_event("chat.new_message", lambda m: m["id"]["_serialized"] == document["id"])["data"]
    assert (own["type"], own["filename"], own["size"], own["body"]) == (
        "document",
        "report.pdf",
        len(PDF_BYTES),
        "",
    )


def test_send_file_larger_than_the_limit_throws_file_too_large(open_page, api, sandbox_session, settings):
    settings.MEDIA_MAX_BYTES = 10
    page = open_page(sandbox_session)
    link(api, page)
    answer = page.call(
        "return await WPP.chat.sendFileMessage(args[0], args[1], {type: 'document'});",
        CONTACT_CHAT,
        base64.b64encode(PDF_BYTES).decode(),
    )
    assert not answer["ok"] and answer["code"] == "file_too_large"
    assert not SandboxMessage.objects.exists()


def test_download_media_of_an_inbound_file_returns_the_same_bytes(open_page, api, sandbox_session):
    page = open_page(sandbox_session)
    link(api, page)
    sent = inbound(
        api,
        sandbox_session,
        text="see",
        media={
            "data": base64.b64encode(PDF_BYTES).decode(),
            "filename": "a.pdf",
            "mimetype": "application/pdf",
        },
    )
    msg = page.wait_event("chat.new_message")["data"]
    assert (msg["type"], msg["caption"], msg["body"], msg["mimetype"], msg["filename"], msg["size"]) == (
        "document",
        "see",
        "",
        "application/pdf",
        "a.pdf",
        len(PDF_BYTES),
    )
    assert msg["filehash"] == base64.b64encode(hashlib.sha256(PDF_BYTES).digest()).decode()
    data_url = page.value(
        "const b = await WPP.chat.downloadMedia(args[0]); return await WPP.util.blobToBase64(b);", sent["id"]
    )
    header, _, payload = data_url.partition(",")
    assert header == "data:application/pdf;base64" and base64.b64decode(payload) == PDF_BYTES
    missing = page.call("return await WPP.chat.downloadMedia('false_1@c.us_NOPE');")
    assert not missing["ok"] and missing["code"] == "msg_not_found"


def test_reload_with_the_same_profile_stays_logged_in_and_gets_what_arrived(open_page, api, sandbox_session):
    page = open_page(sandbox_session)
    link(api, page)
    page.driver.get("about:blank")  # the browser is "closed"; a contact writes meanwhile
    sent = inbound(api, sandbox_session, text="while you were away")
    page.open()
    page.wait_for(lambda: page.mode() == "MAIN", what="MAIN after reload")
    assert page.js("return WPP.conn.isAuthenticated()") is True
    assert page.value("return await WPP.conn.getAuthCode();") is None
    assert page.events("conn.authenticated") == []  # like wa-js on a linked profile
    assert page.events("conn.auth_code_change") == []
    msg = page.wait_event("chat.new_message")["data"]
    assert msg["id"]["_serialized"] == sent["id"]


def test_unlinked_while_the_browser_was_closed_logs_out_on_the_next_load(open_page, api, sandbox_session):
    page = open_page(sandbox_session)
    link(api, page)
    page.driver.get("about:blank")
    assert (
        api.post(api_url(sandbox_session, "disconnect"), {"mode": "unlink"}, format="json").status_code == 200
    )
    page.open()
    page.wait_event("conn.logout")
    page.wait_event("conn.auth_code_change", lambda data: bool(data))
    assert page.js("return WPP.conn.isAuthenticated()") is False
    assert stored_tokens(page) == 0


def test_a_browser_killed_right_after_the_scan_stays_linked(open_page, api, sandbox_session, tmp_path):
    """The engine restarts a crashed browser on the same profile: the link must be on disk
    as soon as the page says it is authenticated."""
    profile = tmp_path / "crash-profile"
    first = new_driver(profile)
    try:
        page = open_page(sandbox_session, driver=first)
        link(api, page)
        kill_browser(first)
    finally:
        with contextlib.suppress(Exception):  # its browser is already gone
            first.quit()
    for name in ("SingletonLock", "SingletonSocket", "SingletonCookie"):
        (profile / name).unlink(missing_ok=True)
    second = new_driver(profile)
    try:
        again = open_page(sandbox_session, driver=second)
        again.wait_for(lambda: again.mode() == "MAIN", what="MAIN after the crash")
        assert again.js("return WPP.conn.isAuthenticated()") is True
        assert again.events("conn.auth_code_change") == []
    finally:
        second.quit()


def test_a_new_profile_needs_a_new_scan(open_page, api, sandbox_session, tmp_path):
    page = open_page(sandbox_session)
    link(api, page)
    other = new_driver(tmp_path / "other-profile")
    try:
        second = open_page(sandbox_session, driver=other)
        second.wait_event("conn.auth_code_change", lambda data: bool(data))
        assert second.js("return WPP.conn.isAuthenticated()") is False
    finally:
        other.quit()


def test_unlink_fires_logout_and_shows_a_new_qr(open_page, api, sandbox_session):
    page = open_page(sandbox_session)
    link(api, page)
    first_qr = page.events("conn.auth_code_change")[0]["data"]["fullCode"]
    page.clear_events()
    response = api.post(api_url(sandbox_session, "disconnect"), {"mode": "unlink"}, format="json")
    assert response.status_code == 200
    page.wait_event("conn.logout")
    code = page.wait_event("conn.auth_code_change", lambda data: bool(data))["data"]
    assert code["fullCode"] != first_qr
    page.wait_for(lambda: page.mode() == "QR", what="QR mode")
    assert page.js("return WPP.conn.isAuthenticated()") is False
    assert stored_tokens(page) == 0
    link(api, page)  # and it can be linked again
    assert page.js("return WPP.conn.isAuthenticated()") is True


def test_logout_from_the_page_unlinks_the_phone(open_page, api, sandbox_session):
    page = open_page(sandbox_session)
    link(api, page)
    assert page.value("return await WPP.conn.logout();") is True
    page.wait_event("conn.logout")
    page.wait_event("conn.auth_code_change", lambda data: bool(data))
    assert not SandboxDevice.objects.get(session=sandbox_session).is_linked


def test_offline_goes_offline_then_main_and_delivers_what_waited(open_page, api, sandbox_session):
    page = open_page(sandbox_session)
    link(api, page)
    page.clear_events()
    response = api.post(
        api_url(sandbox_session, "disconnect"), {"mode": "offline", "seconds": 3}, format="json"
    )
    assert response.status_code == 200
    page.wait_event("conn.stream_mode_changed", lambda mode: mode == "OFFLINE")
    assert page.js("return WPP.conn.getStreamData()") == {"mode": "OFFLINE", "info": "OFFLINE"}
    assert page.js("return WPP.conn.isAuthenticated()") is True
    sent = inbound(api, sandbox_session, text="during the outage")
    page.wait_event("conn.stream_mode_changed", lambda mode: mode == "MAIN", timeout=10)
    assert page.wait_event("chat.new_message")["data"]["id"]["_serialized"] == sent["id"]
    names = [
        e["name"] for e in page.events() if e["name"] in ("conn.stream_mode_changed", "chat.new_message")
    ]
    assert names == ["conn.stream_mode_changed", "conn.stream_mode_changed", "chat.new_message"]


def test_qr_refreshes_then_goes_idle_and_refresh_qr_revives_it(open_page, api, sandbox_session, settings):
    settings.SANDBOX_QR_REFRESH_MS, settings.SANDBOX_QR_MAX_REFRESHES = 400, 2
    page = open_page(sandbox_session)
    page.wait_event("conn.qrcode_idle", timeout=10)
    codes = [e["data"]["fullCode"] for e in page.events("conn.auth_code_change")]
    assert len(codes) == 3 and len(set(codes)) == 3  # the first code and two refreshes
    page.wait_for(lambda: api.get(api_url(sandbox_session)).json()["page"] == "qr_idle", what="qr_idle state")
    refused = api.post(api_url(sandbox_session, "link"), {"phone": PHONE}, format="json")
    assert refused.status_code == 409 and refused.json()["error"]["details"]["page"] == "qr_idle"
    assert page.js("return !document.getElementById('qr-reload').hidden")
    fresh = page.value("return await WPP.conn.refreshQR();")
    assert fresh["fullCode"] not in codes
    # refreshQR answers with the code it announced (the page keeps refreshing fast after it).
    announced = [e["data"]["fullCode"] for e in page.events("conn.auth_code_change") if e["data"]]
    assert fresh["fullCode"] in announced[3:]


def test_send_to_an_implausible_number_fails_in_the_send_result(open_page, api, sandbox_session):
    page = open_page(sandbox_session)
    link(api, page)
    failed = page.value("return await WPP.chat.sendTextMessage('123@c.us', 'x');")
    assert failed["ack"] == -1 and failed["sendMsgResult"] == {"messageSendResult": "ERROR_UNKNOWN"}
    not_waited = page.value("return await WPP.chat.sendTextMessage('123@c.us', 'x', {waitForAck: false});")
    assert not_waited["sendMsgResult"] is None
    garbage = page.call("return await WPP.chat.sendTextMessage('not a number', 'x');")
    assert not garbage["ok"] and garbage["code"] == "invalid_wid"
    assert not SandboxMessage.objects.exists()


def test_digits_alone_are_a_user_chat_like_wa_js(open_page, api, sandbox_session):
    page = open_page(sandbox_session)
    link(api, page)
    result = page.value("return await WPP.chat.sendTextMessage('4915112345678', 'short form');")
    assert result["to"] == CONTACT_CHAT and result["sendMsgResult"]["messageSendResult"] == "OK"


def test_pairing_code_links_without_a_qr(open_page, api, sandbox_session):
    page = open_page(sandbox_session)
    page.wait_event("conn.auth_code_change", lambda data: bool(data))
    code = page.value("return await WPP.conn.genLinkDeviceCodeForPhoneNumber('33612345678', true);")
    assert len(code) == 8
    assert page.js("return document.getElementById('pairing').textContent") == f"{code[:4]}-{code[4:]}"
    response = api.post(api_url(sandbox_session, "link"), {"phone": PHONE, "code": code}, format="json")
    assert response.status_code == 200
    page.wait_event("conn.authenticated")
    page.wait_for(lambda: page.mode() == "MAIN")
    again = page.call("return await WPP.conn.genLinkDeviceCodeForPhoneNumber('33612345678');")
    assert again["code"] == "cannot_get_code_for_already_authenticated"
    missing = page.call("return await WPP.conn.genLinkDeviceCodeForPhoneNumber();")
    assert missing["code"] == "send_the_phone_number_to_connect"


def test_mark_is_read_and_query_wid_exists(open_page, api, sandbox_session):
    page = open_page(sandbox_session)
    link(api, page)
    sent = inbound(api, sandbox_session, text="read me")
    page.wait_event("chat.new_message")
    answer = page.value(
        "const r = await WPP.chat.markIsRead(args[0]);"
        "return {wid: r.wid._serialized, unreadCount: r.unreadCount};",
        CONTACT_CHAT,
    )
    assert answer == {"wid": CONTACT_CHAT, "unreadCount": 1}
    assert SandboxMessage.objects.get(wa_id=sent["id"]).read_at is not None
    unknown_chat = page.call("return await WPP.chat.markIsRead('33699999999@c.us');")
    assert unknown_chat["code"] == "chat_not_found"
    exists = page.value(
        "const r = await WPP.contact.queryWidExists(args[0]);return {wid: r.wid._serialized, biz: r.biz};",
        "33699999999@c.us",
    )
    assert exists == {"wid": "33699999999@c.us", "biz": False}
    assert page.value("return await WPP.contact.queryWidExists('123@c.us');") is None
    assert page.call("return await WPP.contact.queryWidExists('nope');")["code"] == "invalid_wid"
    assert page.value("return await WPP.contact.queryWidExists('33612340000@c.us');") is None
    pair = (
        "const e = await WPP.contact.getPnLidEntry(args[0]);"
        "return {lid: e.lid ? e.lid._serialized : null,"
        " pn: e.phoneNumber ? e.phoneNumber._serialized : null};"
    )
    stranger_lid = sandbox_lid_of("+33699999999")
    assert page.value(pair, "33699999999@c.us") == {"lid": stranger_lid, "pn": "33699999999@c.us"}
    assert page.value(pair, stranger_lid) == {"lid": stranger_lid, "pn": None}  # not in its chats
    contact_lid = sandbox_lid_of("+" + CONTACT_CHAT.split("@")[0])
    assert page.value(pair, contact_lid) == {"lid": contact_lid, "pn": CONTACT_CHAT}


@pytest.mark.parametrize("long_poll", [25, 0])
def test_the_page_gets_news_promptly_by_long_poll_and_by_short_polls(
    open_page, api, sandbox_session, settings, long_poll
):
    """SANDBOX_LONG_POLL_SECONDS=25: one waiting request, answered when the message arrives;
    0 (a threaded WSGI server): short polls every SANDBOX_POLL_MS. Either way within seconds."""
    settings.SANDBOX_LONG_POLL_SECONDS = long_poll
    page = open_page(sandbox_session)
    link(api, page)
    page.wait_event("conn.authenticated")
    time.sleep(1)  # the page is waiting in its poll now
    sent = inbound(api, sandbox_session, text="Anyone?", name="Anna")
    t0 = time.monotonic()
    page.wait_event("chat.new_message")
    assert time.monotonic() - t0 < 10  # a long poll that slept through it would take 25 s
    page.wait_for(lambda: SandboxMessage.objects.get(wa_id=sent["id"]).delivered_at is not None)
