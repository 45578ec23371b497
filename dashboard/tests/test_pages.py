import re

import pytest
from django.test import Client
from django.urls import reverse

from dashboard.middleware import CONTENT_SECURITY_POLICY
from dashboard.tests.conftest import sign_in_with_key
from messaging.models import Direction, Message, MessageAction, MessageStatus
from sessions_app.models import Session, SessionStatus

BADGE = re.compile(rb'class="badge badge-(\w+)" data-status="(\w+)"')


def test_sessions_page_lists_every_session_with_a_coloured_badge(admin_client, make_session):
    for status in SessionStatus.values:
        make_session(f"s-{status}", status=status, phone="+33612345678" if status == "connected" else "")
    response = admin_client.get("/")
    assert response.status_code == 200
    badges = {status.decode(): css.decode() for css, status in BADGE.findall(response.content)}
    assert badges == {
        "connected": "ok",
        "starting": "warn",
        "qr": "warn",
        "disconnected": "bad",
        "failed": "bad",
        "stopped": "idle",
    }
    assert b"+33612345678" in response.content
    assert b'data-poll="/sessions/table" data-interval="3000"' in response.content


def test_sessions_table_fragment_is_what_the_page_polls(admin_client, make_session):
    make_session("alpha", status="connected")
    response = admin_client.get(reverse("dashboard:sessions-table"), HTTP_X_REQUESTED_WITH="fetch")
    assert response.status_code == 200
    assert b"alpha" in response.content and b"<html" not in response.content


def test_scoped_key_sees_only_its_sessions_and_others_are_404(scoped_key):
    raw, mine, other = scoped_key
    client = Client()
    sign_in_with_key(client, raw)
    page = client.get("/")
    assert b"mine" in page.content and b">other<" not in page.content
    assert b"New session" not in page.content  # creating sessions needs an admin key
    assert client.get(reverse("dashboard:session", args=[mine.pk])).status_code == 200
    assert client.get(reverse("dashboard:session", args=[other.pk])).status_code == 404
    assert client.get(reverse("dashboard:message-log", args=[other.pk])).status_code == 404
    response = client.post(reverse("dashboard:session-action", args=[other.pk, "stop"]))
    assert response.status_code == 404
    response = client.post(
        reverse("dashboard:session-action", args=[mine.pk, "delete"]), HTTP_X_REQUESTED_WITH="fetch"
    )
    assert response.status_code == 403
    assert Session.objects.filter(pk=mine.pk).exists()
    assert client.get(reverse("dashboard:logs")).status_code == 403


def test_staff_user_sees_everything(staff_client, make_session):
    make_session("one")
    make_session("two")
    page = staff_client.get("/")
    assert b"one" in page.content and b"two" in page.content and b"New session" in page.content


def test_new_session_form_creates_a_sandbox_session_through_the_service(admin_client):
    response = admin_client.post(
        reverse("dashboard:session-create"),
        {"name": "demo", "kind": "sandbox"},
        HTTP_X_REQUESTED_WITH="fetch",
    )
    assert response.status_code == 200, response.content
    session = Session.objects.get(name="demo")
    assert session.sandbox and session.status == SessionStatus.STARTING
    assert response.json()["redirect"] == reverse("dashboard:session", args=[session.pk])
    again = admin_client.post(
        reverse("dashboard:session-create"),
        {"name": "demo", "kind": "sandbox"},
        HTTP_X_REQUESTED_WITH="fetch",
    )
    assert again.status_code == 409
    assert "already exists" in again.json()["message"]


def test_actions_call_the_services_and_report_their_errors(admin_client, make_session):
    session = make_session("idle", status="stopped")
    url = reverse("dashboard:session-action", args=[session.pk, "stop"])
    response = admin_client.post(url, HTTP_X_REQUESTED_WITH="fetch")
    assert response.status_code == 409
    assert response.json()["message"] == "The session is already stopped."
    response = admin_client.post(
        reverse("dashboard:session-action", args=[session.pk, "start"]), HTTP_X_REQUESTED_WITH="fetch"
    )
    assert response.status_code == 200 and response.json()["ok"] is True
    session.refresh_from_db()
    assert session.status == SessionStatus.STARTING
    # Without JavaScript: a redirect and a flash message.
    response = admin_client.post(reverse("dashboard:session-action", args=[session.pk, "logout"]))
    assert response.status_code == 302
    assert b"Only a linked session can log out" in admin_client.get("/").content


def test_delete_asks_for_confirmation_and_removes_the_session(admin_client, make_session):
    session = make_session("doomed", status="stopped")
    page = admin_client.get("/")
    assert re.search(rb'actions/delete" data-ajax data-confirm="Delete this session', page.content)
    assert (
        re.search(rb'actions/logout" data-ajax data-confirm=', admin_client.get("/", {}).content) is None
    )  # a stopped session offers no logout
    response = admin_client.post(
        reverse("dashboard:session-action", args=[session.pk, "delete"]), HTTP_X_REQUESTED_WITH="fetch"
    )
    assert response.json()["ok"] is True
    assert not Session.objects.filter(pk=session.pk).exists()


def test_session_page_shows_the_qr_only_while_waiting_for_a_scan(admin_client, make_session):
    session = make_session("linking", status="qr", sandbox=False, qr_raw="2@abc,def,ghi,jkl")
    page = admin_client.get(reverse("dashboard:session", args=[session.pk]))
    assert page.status_code == 200
    assert b'src="data:image/png;base64,' in page.content
    assert b"Linked devices" in page.content and b"Link a device" in page.content
    assert b"Get a pairing code" in page.content
    assert b'data-poll="/sessions/%s/link" data-interval="5000"' % str(session.pk).encode() in page.content
    Session.objects.filter(pk=session.pk).update(status="connected", qr_raw="", phone="+33612345678")
    panel = admin_client.get(
        reverse("dashboard:session-link", args=[session.pk]), HTTP_X_REQUESTED_WITH="fetch"
    )
    assert panel.content.strip() == b""
    page = admin_client.get(reverse("dashboard:session", args=[session.pk]))
    assert b"data:image/png" not in page.content
    assert re.search(rb'data-show-when="starting qr" hidden', page.content)


def test_every_dashboard_page_sends_the_strict_csp(admin_client, make_session):
    session = make_session("csp", status="connected")
    for url in [
        "/",
        reverse("dashboard:session", args=[session.pk]),
        reverse("dashboard:stats"),
        reverse("dashboard:logs"),
        reverse("dashboard:sandbox", args=[session.pk]),
        reverse("dashboard:login"),
    ]:
        response = (Client() if url == reverse("dashboard:login") else admin_client).get(url)
        assert response.status_code == 200, url
        csp = response["Content-Security-Policy"]
        assert csp == CONTENT_SECURITY_POLICY
        for part in (
            "default-src 'self'",
            "img-src 'self' data:",
            "frame-ancestors 'none'",
            "script-src 'self'",
        ):
            assert part in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        # No inline script, no inline handlers, no inline styles in what we send.
        html = response.content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), url
        assert not re.search(r"\son[a-z]+\s*=", html), url
        assert not re.search(r"\sstyle\s*=", html), url


def test_api_and_admin_pages_keep_their_own_headers(api, admin_client):
    assert "Content-Security-Policy" not in api.get("/api/v1/sessions")


@pytest.mark.parametrize("text", ["<script>alert(1)</script>", '<img src=x onerror="alert(1)">'])
def test_whatsapp_text_renders_as_text_never_as_html(admin_client, make_session, text):
    session = make_session("xss", status="connected", phone="+33612345678")
    Message.objects.create(
        session=session,
        direction=Direction.INBOUND,
        chat_id="4915112345678@c.us",
        phone="+4915112345678",
        contact_name='<b onmouseover="x()">Eve</b>',
        text=text,
        status=MessageStatus.RECEIVED,
    )
    response = admin_client.get(reverse("dashboard:message-log", args=[session.pk]))
    html = response.content.decode()
    assert text not in html
    assert "&lt;" in html
    assert "<b onmouseover" not in html


def test_message_log_filters_by_direction_newest_first(admin_client, make_session):
    session = make_session("log", status="connected")
    for i, direction in enumerate(["inbound", "outbound", "inbound"]):
        Message.objects.create(
            session=session,
            direction=direction,
            chat_id="4915112345678@c.us",
            text=f"m{i}",
            status=MessageStatus.RECEIVED if direction == "inbound" else MessageStatus.SENT,
        )
    url = reverse("dashboard:message-log", args=[session.pk])
    all_html = admin_client.get(url).content.decode()
    assert all_html.index("m2") < all_html.index("m1") < all_html.index("m0")
    inbound = admin_client.get(url, {"direction": "inbound"}).content.decode()
    assert "m0" in inbound and "m2" in inbound and "m1" not in inbound
    outbound = admin_client.get(url, {"direction": "outbound"}).content.decode()
    assert "m1" in outbound and "m0" not in outbound


def test_message_log_leaves_out_actions(admin_client, make_session):
    session = make_session("log", status="connected")
    chat = "4915112345678@c.us"
    sent = Message.objects.create(
        session=session, direction="outbound", chat_id=chat, text="the message", status=MessageStatus.SENT
    )
    Message.objects.create(
        session=session,
        direction="outbound",
        chat_id=chat,
        text="the new text",
        status=MessageStatus.QUEUED,
        action=MessageAction.EDIT,
        target=sent,
    )
    html = admin_client.get(reverse("dashboard:message-log", args=[session.pk])).content.decode()
    assert "the message" in html and "the new text" not in html


def test_send_form_checks_the_number_on_the_server_too(admin_client, make_session):
    session = make_session("send", status="connected")
    url = reverse("dashboard:message-send", args=[session.pk])
    for bad in ["0612345678", "+12", "hello", "+33 6 12"]:
        response = admin_client.post(url, {"to": bad, "text": "hi"}, HTTP_X_REQUESTED_WITH="fetch")
        assert response.status_code == 400, bad
        assert response.json()["ok"] is False and "to" in response.json()["errors"]
    assert not Message.objects.exists()


def test_send_form_queues_a_message_through_the_service(admin_client, make_session):
    session = make_session("send", status="connected")
    url = reverse("dashboard:message-send", args=[session.pk])
    response = admin_client.post(
        url, {"to": "+33 6 12 34 56 78", "text": "Hello"}, HTTP_X_REQUESTED_WITH="fetch"
    )
    assert response.status_code == 202, response.content
    message = Message.objects.get()
    assert (message.chat_id, message.text, message.status) == ("33612345678@c.us", "Hello", "queued")


def test_send_to_a_session_that_is_not_connected_shows_the_services_error(admin_client, make_session):
    session = make_session("offline", status="stopped")
    response = admin_client.post(
        reverse("dashboard:message-send", args=[session.pk]),
        {"to": "+33612345678", "text": "Hi"},
        HTTP_X_REQUESTED_WITH="fetch",
    )
    assert response.status_code == 409
    assert "not connected" in response.json()["message"]
    assert not Message.objects.exists()


def stored_media(session, *, data: bytes, mimetype: str, filename: str, ext: str) -> Message:
    from messaging.media import store_file

    message = Message.objects.create(
        session=session,
        direction=Direction.INBOUND,
        chat_id="4915112345678@c.us",
        type="document",
        status=MessageStatus.RECEIVED,
        media_mimetype=mimetype,
        media_filename=filename,
        media_size=len(data),
        media_status="stored",
    )
    message.media_name = store_file(message_id=message.pk, data=data, extension=ext)
    message.save(update_fields=["media_name"])
    return message


def test_media_previews_inline_but_documents_only_download(admin_client, make_session):
    session = make_session("media", status="connected")
    image = stored_media(
        session, data=b"\x89PNG\r\n\x1a\nxx", mimetype="image/png", filename="a.png", ext="png"
    )
    page = stored_media(
        session, data=b"<script>alert(1)</script>", mimetype="text/html", filename="x.html", ext="html"
    )
    log = admin_client.get(reverse("dashboard:message-log", args=[session.pk])).content.decode()
    assert f'<a href="/media/{image.pk}" data-lightbox' in log
    assert f'href="/media/{page.pk}?download"' in log and f'<img src="/media/{page.pk}"' not in log
    inline = admin_client.get(reverse("dashboard:media", args=[image.pk]))
    assert inline["Content-Type"] == "image/png" and "attachment" not in inline.get("Content-Disposition", "")
    html = admin_client.get(reverse("dashboard:media", args=[page.pk]))
    assert html["Content-Type"] == "application/octet-stream"
    assert html["Content-Disposition"].startswith("attachment")
    assert html["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_media_of_sessions_outside_the_keys_scope_is_404(scoped_key):
    raw, mine, other = scoped_key
    message = stored_media(
        other, data=b"\x89PNG\r\n\x1a\nxx", mimetype="image/png", filename="a.png", ext="png"
    )
    client = Client()
    sign_in_with_key(client, raw)
    assert client.get(reverse("dashboard:media", args=[message.pk])).status_code == 404


def test_templates_never_turn_off_escaping():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "templates"
    for path in [
        *(root / "dashboard").glob("*.html"),
        *(root / "partials").glob("*.html"),
        root / "base.html",
    ]:
        text = path.read_text()
        assert "|safe" not in text and "autoescape off" not in text and "mark_safe" not in text, path


UNREACHABLE = "Opening WhatsApp Web failed: unknown error: net::ERR_NAME_NOT_RESOLVED"


def test_a_session_that_cannot_reach_whatsapp_web_says_why_and_what_to_do(admin_client, make_session):
    stuck = make_session("phone", status="starting", sandbox=False, last_error=UNREACHABLE)
    page = admin_client.get(reverse("dashboard:session", args=[stuck.pk])).content.decode()
    assert "This server cannot reach WhatsApp Web" in page and "ERR_NAME_NOT_RESOLVED" in page
    assert "web.whatsapp.com" in page and "retrying" in page
    assert "the QR code appears here in a few seconds" not in page
    assert "Status since</dt><dd>—" not in page  # the creation time until the status first changes
    listing = admin_client.get(reverse("dashboard:sessions")).content.decode()
    assert "This server cannot reach WhatsApp Web" in listing


def test_a_sandbox_session_that_cannot_load_its_page_points_at_internal_base_url(admin_client, make_session):
    stuck = make_session(
        "sbx",
        status="starting",
        sandbox=True,
        last_error=UNREACHABLE.replace("WhatsApp Web", "the sandbox page"),
    )
    page = admin_client.get(reverse("dashboard:session", args=[stuck.pk])).content.decode()
    assert "cannot load the sandbox page" in page and "INTERNAL_BASE_URL" in page


def test_a_session_starting_normally_shows_no_problem(admin_client, make_session):
    fine = make_session("new", status="starting", sandbox=False)
    page = admin_client.get(reverse("dashboard:session", args=[fine.pk])).content.decode()
    assert "data-problem" not in page and "the QR code appears here in a few seconds" in page


def test_check_a_number_form_answers_through_the_contacts_service(admin_client, make_session, monkeypatch):
    import sessions_app.page_query
    from sessions_app.engine.lease import lease_acquire

    class Answer:
        def get(self, timeout=None, propagate=True):
            return {"results": [{"id": "33612340000@c.us", "exists": False, "chatId": None, "lid": None}]}

    session = make_session("check", status="connected")
    lease_acquire(session_id=session.id, node="test-node")
    monkeypatch.setattr(sessions_app.page_query, "_route_command", lambda *args: Answer())
    page = admin_client.get(reverse("dashboard:session", args=[session.pk])).content.decode()
    assert 'id="contact-check-form"' in page and 'id="check_phone"' in page
    url = reverse("dashboard:contact-check", args=[session.pk])

    response = admin_client.post(url, {"phone": "+33 6 12 34 00 00"}, HTTP_X_REQUESTED_WITH="fetch")

    assert response.status_code == 200
    assert response.json()["exists"] is False
    assert response.json()["message"].startswith("+33612340000 is not on WhatsApp")
    bad = admin_client.post(url, {"phone": "hello"}, HTTP_X_REQUESTED_WITH="fetch")
    assert bad.status_code == 400 and "phone" in bad.json()["errors"]


def test_check_a_number_through_a_stopped_session_shows_the_services_409(admin_client, make_session):
    session = make_session("stopped-check", status="stopped")

    response = admin_client.post(
        reverse("dashboard:contact-check", args=[session.pk]),
        {"phone": "+33612345678"},
        HTTP_X_REQUESTED_WITH="fetch",
    )

    assert response.status_code == 409
    assert "not connected" in response.json()["message"]
