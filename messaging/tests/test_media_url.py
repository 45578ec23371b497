"""Media fetched from a URL: a real HTTP server on loopback, with and without
MEDIA_URL_ALLOW_PRIVATE, redirects, size caps and timeouts.

The API answers 202 with the message `pending` without connecting anywhere; the fetch is what
a worker runs (`media_url.message_fetch_media`), called here in the test's own process. The
whole path through a real worker and gunicorn is in test_media_url_worker.py."""

import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from messaging import media as media_module
from messaging.media_url import (
    MAX_FETCH_ATTEMPTS,
    SWEEP_GRACE_SECONDS,
    message_fetch_media,
    message_media_fetch_sweep,
)
from messaging.models import MediaStatus, Message, MessageStatus
from messaging.tests.conftest import PNG
from sessions_app.models import Session
from sessions_app.tests.helpers import wait_for
from yesapp.tests.helpers import DripServer


class _Handler(BaseHTTPRequestHandler):
    routes: dict = {}
    hits: list = []

    def do_GET(self):  # noqa: N802 - http.server's name
        self.hits.append(self.path)
        route = self.routes.get(self.path)
        if route is None:
            self.send_response(404)
            self.end_headers()
            return
        status, headers, body = route() if callable(route) else route
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if isinstance(body, list):  # chunks, written one by one
            for chunk in body:
                self.wfile.write(chunk)
                self.wfile.flush()
        else:
            self.wfile.write(body)

    def log_message(self, *args):
        pass


class MediaServer:
    def __init__(self, host: str):
        handler = type("Handler", (_Handler,), {"routes": {}, "hits": []})
        self.httpd = ThreadingHTTPServer((host, 0), handler)
        self.httpd.daemon_threads = True
        self.routes, self.hits = handler.routes, handler.hits
        self.base = f"http://{host}:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    srv = MediaServer("127.0.0.1")
    yield srv
    srv.close()


@pytest.fixture
def second_server():
    srv = MediaServer("127.0.0.2")
    yield srv
    srv.close()


@pytest.fixture
def allow_private(settings):
    settings.MEDIA_URL_ALLOW_PRIVATE = True


def send(api, session, media, **extra):
    return api.post(
        f"/api/v1/sessions/{session.pk}/messages",
        {"to": "+33612345678", "media": media, **extra},
        format="json",
    )


def send_and_fetch(api, session, media, **extra) -> Message:
    """The API accepts without fetching; then the worker's fetch runs. Returns the message."""
    response = send(api, session, media, **extra)
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "pending"
    assert response.json()["media"]["status"] == "fetching"
    message_fetch_media(message_id=response.json()["messageId"])
    return Message.objects.get(pk=response.json()["messageId"])


def assert_failed(message: Message, code: str) -> dict:
    assert (message.status, message.error_code, message.media_status) == (
        MessageStatus.FAILED,
        code,
        MediaStatus.FAILED,
    ), (message.status, message.error_code, message.error)
    assert message.error and message.failed_at is not None
    return {"code": message.error_code, "message": message.error}


def test_url_media_from_loopback_is_fetched_when_private_allowed(
    api, session, server, allow_private, media_root
):
    server.routes["/files/cat.png"] = (200, {"Content-Type": "image/jpeg"}, PNG)

    response = send(api, session, {"type": "image", "url": f"{server.base}/files/cat.png"}, caption="cat")

    assert response.status_code == 202, response.content
    assert server.hits == []  # not fetched while the client waited
    assert message_fetch_media(message_id=response.json()["messageId"]) == MessageStatus.QUEUED
    message = Message.objects.get()
    assert (message.status, message.type, message.media_mimetype, message.media_filename, message.text) == (
        "queued",
        "image",
        "image/png",
        "cat.png",
        "cat",
    )
    assert (media_root / f"{message.pk}.png").read_bytes() == PNG


def test_url_media_on_a_private_ip_is_refused_at_once_without_connecting(api, session, server, media_root):
    server.routes["/cat.png"] = (200, {}, PNG)

    response = send(api, session, {"type": "image", "url": f"{server.base}/cat.png"})

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "media_url_refused"
    assert "127.0.0.1" in error["message"] and "MEDIA_URL_ALLOW_PRIVATE" in error["details"]["hint"]
    assert server.hits == []
    assert not Message.objects.exists()


def test_hostname_resolving_to_loopback_is_refused_after_dns(api, session, server):
    server.routes["/cat.png"] = (200, {}, PNG)
    port = server.base.rsplit(":", 1)[1]

    message = send_and_fetch(api, session, {"type": "image", "url": f"http://localhost:{port}/cat.png"})

    error = assert_failed(message, "media_url_refused")
    assert "private address" in error["message"]
    assert server.hits == []


def test_redirect_to_a_private_address_is_refused_at_that_hop(
    api, session, server, second_server, monkeypatch, settings
):
    # Pretend 127.0.0.1 is a public host, so the first hop is allowed and the second is not.
    monkeypatch.setattr(media_module, "address_allowed", lambda address: address == "127.0.0.1")
    server.routes["/start"] = (302, {"Location": f"{second_server.base}/secret"}, b"")
    second_server.routes["/secret"] = (200, {}, PNG)

    message = send_and_fetch(api, session, {"type": "image", "url": f"{server.base}/start"})

    assert_failed(message, "media_url_refused")
    assert server.hits == ["/start"]
    assert second_server.hits == []


def test_redirects_are_followed_and_each_hop_checked(api, session, server, allow_private):
    server.routes["/a"] = (301, {"Location": "/b"}, b"")
    server.routes["/b"] = (302, {"Location": f"{server.base}/c.png"}, b"")
    server.routes["/c.png"] = (200, {}, PNG)

    message = send_and_fetch(api, session, {"type": "image", "url": f"{server.base}/a"})

    assert message.status == MessageStatus.QUEUED
    assert server.hits == ["/a", "/b", "/c.png"]


def test_redirect_loop_fails_the_message(api, session, server, allow_private):
    server.routes["/loop"] = (302, {"Location": "/loop"}, b"")

    message = send_and_fetch(api, session, {"type": "image", "url": f"{server.base}/loop"})

    assert_failed(message, "media_fetch_failed")
    assert len(server.hits) == media_module.MEDIA_URL_MAX_REDIRECTS + 1


def test_redirect_to_another_scheme_is_refused(api, session, server, allow_private):
    server.routes["/a"] = (302, {"Location": "file:///etc/passwd"}, b"")

    message = send_and_fetch(api, session, {"type": "image", "url": f"{server.base}/a"})

    assert_failed(message, "media_url_refused")


def test_url_answering_404_fails_the_message_with_the_status(api, session, server, allow_private, emitted):
    message = send_and_fetch(api, session, {"type": "image", "url": f"{server.base}/missing.png"})

    error = assert_failed(message, "media_fetch_failed")
    assert "HTTP 404" in error["message"]
    # The client hears of it as of any failure: a message.status event (its webhook).
    statuses = [payload for event, _, payload in emitted if event == "message.status"]
    assert [(p["status"], p["previousStatus"], p["error"]["code"]) for p in statuses] == [
        ("failed", "pending", "media_fetch_failed")
    ]


def test_url_with_declared_length_over_limit_fails_as_too_large(
    api, session, server, allow_private, settings, media_root
):
    settings.MEDIA_MAX_BYTES = 1000
    server.routes["/big.png"] = (200, {"Content-Length": "5000"}, PNG + b"\x00" * (5000 - len(PNG)))

    message = send_and_fetch(api, session, {"type": "image", "url": f"{server.base}/big.png"})

    assert_failed(message, "payload_too_large")
    assert not media_root.exists() or list(media_root.iterdir()) == []


def test_url_streaming_past_limit_without_length_fails_as_too_large(
    api, session, server, allow_private, settings, media_root
):
    settings.MEDIA_MAX_BYTES = 1000
    chunks = [PNG] + [b"\x00" * 400] * 10  # no Content-Length: the server closes the connection at the end
    server.routes["/stream.png"] = (200, {"Connection": "close"}, chunks)

    message = send_and_fetch(api, session, {"type": "image", "url": f"{server.base}/stream.png"})

    assert_failed(message, "payload_too_large")
    assert not media_root.exists() or list(media_root.iterdir()) == []


def test_slow_url_times_out_and_fails_the_message(api, session, server, allow_private, settings):
    settings.MEDIA_URL_TIMEOUT = 0.5

    def slow():
        time.sleep(10)
        return 200, {}, PNG

    server.routes["/slow.png"] = slow
    response = send(api, session, {"type": "image", "url": f"{server.base}/slow.png"})
    started = time.monotonic()

    message_fetch_media(message_id=response.json()["messageId"])

    # Cut at 0.5 s; the bound only has to tell it from the URL's 10 s, on a loaded machine too.
    assert time.monotonic() - started < 5
    assert_failed(Message.objects.get(), "media_fetch_failed")


@pytest.mark.parametrize("part", ["headers", "body"])
def test_a_url_dripping_its_answer_is_cut_at_the_timeout(api, session, allow_private, settings, part):
    """Each byte comes well within the read timeout: MEDIA_URL_TIMEOUT bounds the whole fetch,
    so a hostile URL cannot hold a worker either."""
    settings.MEDIA_URL_TIMEOUT = 1
    server = DripServer(part)
    try:
        response = send(api, session, {"type": "image", "url": server.url})
        started = time.monotonic()
        message_fetch_media(message_id=response.json()["messageId"])
        elapsed = time.monotonic() - started
    finally:
        server.close()
    assert elapsed < 6  # cut at 1 s; without the bound the drip never ends
    error = assert_failed(Message.objects.get(), "media_fetch_failed")
    assert "took longer than 1 s" in error["message"]


def test_unreachable_url_fails_the_message(api, session, allow_private):
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now

    message = send_and_fetch(api, session, {"type": "image", "url": f"http://127.0.0.1:{port}/x.png"})

    assert_failed(message, "media_fetch_failed")


def test_url_media_is_not_fetched_for_a_disconnected_session(api, session, server, allow_private):
    session.status = "qr"
    session.save()
    server.routes["/cat.png"] = (200, {}, PNG)

    response = send(api, session, {"type": "image", "url": f"{server.base}/cat.png"})

    assert response.status_code == 409
    assert server.hits == []


def test_a_fetch_that_runs_twice_fetches_once(api, session, server, allow_private):
    server.routes["/cat.png"] = (200, {}, PNG)
    response = send(api, session, {"url": f"{server.base}/cat.png"})
    message_id = response.json()["messageId"]

    assert message_fetch_media(message_id=message_id) == MessageStatus.QUEUED
    assert message_fetch_media(message_id=message_id) == ""  # a redelivered task finds it done

    assert server.hits == ["/cat.png"]
    message = Message.objects.get()
    assert (message.type, message.media_mimetype, message.media_attempts) == ("image", "image/png", 1)


def test_a_repeated_idempotency_key_answers_the_pending_message_and_fetches_nothing_more(
    api, session, server, allow_private
):
    server.routes["/cat.png"] = (200, {}, PNG)
    body = {"to": "+33612345678", "media": {"type": "image", "url": f"{server.base}/cat.png"}}
    url = f"/api/v1/sessions/{session.pk}/messages"

    first = api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="order-1")
    again = api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="order-1")

    assert (first.status_code, again.status_code) == (202, 202)
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["messageId"] == first.json()["messageId"]
    assert again.json()["status"] == "pending"
    assert Message.objects.count() == 1 and server.hits == []


def test_pending_messages_count_towards_queue_max(api, session, server, allow_private, settings):
    settings.QUEUE_MAX = 1
    assert send(api, session, {"url": f"{server.base}/cat.png"}).status_code == 202

    response = send(api, session, {"url": f"{server.base}/dog.png"})

    assert response.status_code == 429
    assert response.json()["error"]["code"] == "queue_full"


@pytest.fixture
def eager_tasks():
    """Tasks run in this process when sent, as a worker would run them."""
    from yesapp.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def pending_message(session, url: str, **fields) -> Message:
    """A message as the API stores it with a media URL, whatever happened to its task."""
    return Message.objects.create(
        session=session,
        direction="outbound",
        chat_id="33612345678@c.us",
        status=MessageStatus.PENDING,
        media_status=MediaStatus.FETCHING,
        media_source_url=url,
        **fields,
    )


def test_the_sweep_fetches_a_message_whose_task_was_lost(api, session, server, allow_private, eager_tasks):
    server.routes["/cat.png"] = (200, {}, PNG)
    pending_message(session, f"{server.base}/cat.png")
    assert message_media_fetch_sweep() == 0  # too young: its task may still be on its way
    Message.objects.update(created_at=timezone.now() - timedelta(seconds=SWEEP_GRACE_SECONDS + 1))

    assert message_media_fetch_sweep() == 1

    assert Message.objects.get().status == MessageStatus.QUEUED
    assert server.hits == ["/cat.png"]


def test_the_sweep_gives_up_on_a_message_whose_fetches_keep_dying(session, emitted):
    pending_message(
        session,
        "https://example.com/cat.png",
        media_attempts=MAX_FETCH_ATTEMPTS,
        media_retry_at=timezone.now() - timedelta(seconds=1),  # its last claim ran out
    )

    assert message_media_fetch_sweep() == 1

    error = assert_failed(Message.objects.get(), "media_fetch_failed")
    assert "interrupted 3 times" in error["message"]
    assert [payload["status"] for event, _, payload in emitted if event == "message.status"] == ["failed"]


@pytest.mark.slow
def test_a_real_worker_fetches_the_url_and_queues_the_message(
    api, transactional_db, server, allow_private, start_worker
):
    start_worker(queues="default", name="fetch", MEDIA_URL_ALLOW_PRIVATE="true")
    session = Session.objects.create(name="main", status="connected", wid="33700000000@c.us")
    server.routes["/cat.png"] = (200, {"Content-Type": "image/png"}, PNG)

    response = send(api, session, {"type": "image", "url": f"{server.base}/cat.png"})

    assert response.status_code == 202 and response.json()["status"] == "pending"
    message = wait_for(
        lambda: Message.objects.filter(status=MessageStatus.QUEUED).first(), timeout=30, what="the fetch"
    )
    assert (message.media_status, message.media_mimetype, server.hits) == (
        "stored",
        "image/png",
        ["/cat.png"],
    )
