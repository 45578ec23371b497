"""Media fetched from a URL: a real HTTP server on loopback, with and without
MEDIA_URL_ALLOW_PRIVATE, redirects, size caps and timeouts."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from messaging import media as media_module
from messaging.models import Message
from messaging.tests.conftest import PNG
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


def test_url_media_from_loopback_is_fetched_when_private_allowed(
    api, session, server, allow_private, media_root
):
    server.routes["/files/cat.png"] = (200, {"Content-Type": "image/jpeg"}, PNG)

    response = send(api, session, {"type": "image", "url": f"{server.base}/files/cat.png"}, caption="cat")

    assert response.status_code == 202, response.content
    message = Message.objects.get()
    assert (message.type, message.media_mimetype, message.media_filename, message.text) == (
        "image",
        "image/png",
        "cat.png",
        "cat",
    )
    assert (media_root / f"{message.pk}.png").read_bytes() == PNG


def test_url_media_on_loopback_is_refused_by_default_without_connecting(api, session, server, media_root):
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

    response = send(api, session, {"type": "image", "url": f"http://localhost:{port}/cat.png"})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "media_url_refused"
    assert server.hits == []


def test_redirect_to_a_private_address_is_refused_at_that_hop(
    api, session, server, second_server, monkeypatch, settings
):
    # Pretend 127.0.0.1 is a public host, so the first hop is allowed and the second is not.
    monkeypatch.setattr(media_module, "address_allowed", lambda address: address == "127.0.0.1")
    server.routes["/start"] = (302, {"Location": f"{second_server.base}/secret"}, b"")
    second_server.routes["/secret"] = (200, {}, PNG)

    response = send(api, session, {"type": "image", "url": f"{server.base}/start"})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "media_url_refused"
    assert server.hits == ["/start"]
    assert second_server.hits == []


def test_redirects_are_followed_and_each_hop_checked(api, session, server, allow_private):
    server.routes["/a"] = (301, {"Location": "/b"}, b"")
    server.routes["/b"] = (302, {"Location": f"{server.base}/c.png"}, b"")
    server.routes["/c.png"] = (200, {}, PNG)

    response = send(api, session, {"type": "image", "url": f"{server.base}/a"})

    assert response.status_code == 202, response.content
    assert server.hits == ["/a", "/b", "/c.png"]


def test_redirect_loop_is_400(api, session, server, allow_private):
    server.routes["/loop"] = (302, {"Location": "/loop"}, b"")

    response = send(api, session, {"type": "image", "url": f"{server.base}/loop"})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "media_fetch_failed"
    assert len(server.hits) == media_module.MEDIA_URL_MAX_REDIRECTS + 1


def test_redirect_to_another_scheme_is_refused(api, session, server, allow_private):
    server.routes["/a"] = (302, {"Location": "file:///etc/passwd"}, b"")

    response = send(api, session, {"type": "image", "url": f"{server.base}/a"})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "media_url_refused"


def test_url_answering_404_is_400_with_the_status(api, session, server, allow_private):
    response = send(api, session, {"type": "image", "url": f"{server.base}/missing.png"})

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "media_fetch_failed" and error["details"]["status"] == 404


def test_url_with_declared_length_over_limit_is_413(
    api, session, server, allow_private, settings, media_root
):
    settings.MEDIA_MAX_BYTES = 1000
    server.routes["/big.png"] = (200, {"Content-Length": "5000"}, PNG + b"\x00" * (5000 - len(PNG)))

    response = send(api, session, {"type": "image", "url": f"{server.base}/big.png"})

    assert response.status_code == 413
    assert not Message.objects.exists()


def test_url_streaming_past_limit_without_length_is_413(
    api, session, server, allow_private, settings, media_root
):
    settings.MEDIA_MAX_BYTES = 1000
    chunks = [PNG] + [b"\x00" * 400] * 10  # no Content-Length: the server closes the connection at the end
    server.routes["/stream.png"] = (200, {"Connection": "close"}, chunks)

    response = send(api, session, {"type": "image", "url": f"{server.base}/stream.png"})

    assert response.status_code == 413
    assert not Message.objects.exists()
    assert not media_root.exists() or list(media_root.iterdir()) == []


def test_slow_url_times_out_as_400(api, session, server, allow_private, settings):
    settings.MEDIA_URL_TIMEOUT = 0.5

    def slow():
        time.sleep(2)
        return 200, {}, PNG

    server.routes["/slow.png"] = slow
    started = time.monotonic()

    response = send(api, session, {"type": "image", "url": f"{server.base}/slow.png"})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "media_fetch_failed"
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("part", ["headers", "body"])
def test_a_url_dripping_its_answer_is_cut_at_the_timeout(api, session, allow_private, settings, part):
    """Each byte comes well within the read timeout: MEDIA_URL_TIMEOUT bounds the whole fetch,
    so a hostile URL cannot hold a web server thread."""
    settings.MEDIA_URL_TIMEOUT = 1
    server = DripServer(part)
    try:
        started = time.monotonic()
        response = send(api, session, {"type": "image", "url": server.url})
        elapsed = time.monotonic() - started
    finally:
        server.close()
    assert elapsed < 2.5
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "media_fetch_failed" and "took longer than 1 s" in error["message"]
    assert not Message.objects.exists()


def test_unreachable_url_is_400(api, session, allow_private):
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now

    response = send(api, session, {"type": "image", "url": f"http://127.0.0.1:{port}/x.png"})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "media_fetch_failed"


def test_url_media_is_not_fetched_for_a_disconnected_session(api, session, server, allow_private):
    session.status = "qr"
    session.save()
    server.routes["/cat.png"] = (200, {}, PNG)

    response = send(api, session, {"type": "image", "url": f"{server.base}/cat.png"})

    assert response.status_code == 409
    assert server.hits == []
