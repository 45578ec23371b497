"""Outbound HTTP against a real local server: private targets, redirects, bounds."""

import os
import socket
import threading
import time

import pytest

from webhooks.attempts import webhook_delivery_attempt
from webhooks.models import DeliveryStatus, WebhookDelivery
from webhooks.services import webhook_configure
from webhooks.tests.conftest import Answer, emit_message
from webhooks.transport import post_webhook
from yesapp import outbound_http
from yesapp.tests.helpers import DripServer


def _post(url: str, timeout: float = 5):
    return post_webhook(url=url, body=b"{}", headers={"Content-Type": "application/json"}, timeout=timeout)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_private_targets_are_refused_at_connect_time_when_the_setting_is_off(settings, receiver, host):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    result = _post(receiver.url(host=host))
    assert result.permanent_error and result.status_code is None
    assert "private" in result.error and "WEBHOOK_ALLOW_PRIVATE" in result.error
    assert receiver.received() == []


def test_dns_rebinding_after_the_save_is_refused_at_delivery(settings, make_session, receiver, monkeypatch):
    """The host was public when saved and resolves to 127.0.0.1 when sent: nothing goes out."""
    settings.WEBHOOK_ALLOW_PRIVATE = False
    real_getaddrinfo = socket.getaddrinfo
    answers = iter(["93.184.215.14"])  # public for the first lookup (the save), loopback afterwards

    def rebinding_dns(host, port, *args, **kwargs):
        if host == "hooks.rebind.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers, "127.0.0.1"), port))]
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding_dns)
    session = make_session()
    webhook_configure(session=session, url=f"http://hooks.rebind.test:{receiver.port}/hook")
    emit_message(session, "m1")
    delivery = webhook_delivery_attempt(delivery_id=WebhookDelivery.objects.get().pk)
    assert delivery.status == DeliveryStatus.FAILED  # permanent: not retried
    assert "127.0.0.1" in delivery.last_error and "private" in delivery.last_error
    assert receiver.received() == []


@pytest.fixture
def slow_dns_host(monkeypatch) -> str:
    """A host name whose DNS lookup takes 20 s (a receiver's slow or hostile DNS server): far
    longer than any bound below, so the bounds can leave room for a loaded machine."""
    real_getaddrinfo = socket.getaddrinfo

    def slow_dns(host, port, *args, **kwargs):
        if host == "hooks.slow-dns.test":
            time.sleep(20)
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", slow_dns)
    return "hooks.slow-dns.test"


def test_a_dns_server_that_never_answers_cannot_hold_an_attempt(settings, slow_dns_host):
    """getaddrinfo has no timeout of its own; the attempt stops waiting at its own."""
    settings.WEBHOOK_ALLOW_PRIVATE = False
    started = time.monotonic()
    result = _post(f"http://{slow_dns_host}/hook", timeout=1)
    assert time.monotonic() - started < 6
    assert result.status_code is None and not result.permanent_error  # retried later
    assert result.error == "Timed out after 1 s" or result.error.startswith("Could not resolve")


def test_redirects_are_not_followed(settings, receiver):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    receiver.script("/hook", Answer(302, body=b""))
    result = _post(receiver.url())
    assert result.status_code == 302 and "not followed" in result.error
    assert len(receiver.received()) == 1


def test_the_response_read_is_bounded(settings, receiver):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    settings.WEBHOOK_RESPONSE_EXCERPT_BYTES = 100
    receiver.script("/hook", Answer(200, body=b"x" * 5_000_000))
    result = _post(receiver.url())
    assert result.succeeded and result.response_excerpt == "x" * 100


def test_a_slow_receiver_times_out_within_the_bound(settings, receiver):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    receiver.script("/hook", Answer(200, delay=20))
    started = time.monotonic()
    result = _post(receiver.url(), timeout=0.5)
    assert time.monotonic() - started < 5
    assert result.status_code is None and "Timed out" in result.error and not result.permanent_error


@pytest.mark.parametrize("part", ["headers", "body"])
def test_a_receiver_dripping_its_answer_is_cut_at_the_timeout(settings, part):
    """Each byte comes well within the read timeout; the bound is on the whole attempt, so the
    sweep never takes an attempt still in flight for a lost one and sends it twice."""
    settings.WEBHOOK_ALLOW_PRIVATE = True
    server = DripServer(part)
    try:
        started = time.monotonic()
        result = _post(server.url, timeout=1)
        elapsed = time.monotonic() - started
    finally:
        server.close()
    assert elapsed < 6  # cut at 1 s; without the bound the drip never ends
    if part == "headers":
        assert result.status_code is None and result.error == "Timed out after 1 s"
    else:  # the status line came in time: the receiver answered, its body is cut
        assert result.status_code == 200


@pytest.mark.slow  # the deadlines must lie seconds apart to tell them apart on a loaded machine
def test_many_attempts_at_once_are_each_cut_at_their_own_deadline(settings):
    """One thread watches every deadline: the earliest is not kept waiting by later ones."""
    settings.WEBHOOK_ALLOW_PRIVATE = True
    server = DripServer("headers")
    results: dict[float, tuple[float, str]] = {}

    def attempt(timeout: float) -> None:
        started = time.monotonic()
        result = _post(server.url, timeout=timeout)
        results[timeout] = (time.monotonic() - started, result.error)

    threads = [threading.Thread(target=attempt, args=(t,)) for t in (3.0, 0.5, 1.5)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
    finally:
        server.close()
    for timeout, (elapsed, error) in results.items():
        assert error == f"Timed out after {timeout:g} s" and timeout <= elapsed < timeout + 1.0
    assert len(results) == 3


def test_a_forked_worker_still_cuts_a_dripping_receiver_at_the_deadline(settings):
    """Celery's prefork workers are forked children: the deadline watch starts again there."""
    settings.WEBHOOK_ALLOW_PRIVATE = True
    server = DripServer("headers")
    try:
        _post(server.url, timeout=0.3)  # the parent's watch is running when it forks
        child = os.fork()
        if child == 0:  # pragma: no cover (runs in the child)
            # Whatever happens, the child leaves here: an exception unwinding into the copy of
            # pytest would run the rest of the session a second time (under xdist, it would
            # report to the controller as if it were the worker).
            passed = False
            try:
                started = time.monotonic()
                result = _post(server.url, timeout=0.5)
                passed = "Timed out" in result.error and time.monotonic() - started < 1.5
            finally:
                os._exit(0 if passed else 1)
        _, status = os.waitpid(child, 0)
    finally:
        server.close()
    assert os.waitstatus_to_exitcode(status) == 0


def test_a_tls_handshake_that_never_ends_is_cut_at_the_timeout(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    server = DripServer("tls")
    try:
        started = time.monotonic()
        result = _post(server.url.replace("http://", "https://"), timeout=1)
        elapsed = time.monotonic() - started
    finally:
        server.close()
    assert elapsed < 6 and result.error == "Timed out after 1 s"


def test_many_dead_addresses_share_one_deadline(settings, monkeypatch):
    """A host with many addresses that never answer: each connect gets only what is left."""
    settings.WEBHOOK_ALLOW_PRIVATE = False
    real_getaddrinfo = socket.getaddrinfo

    def many_addresses(host, port, *args, **kwargs):
        if host == "hooks.many.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (f"93.184.216.{n}", port)) for n in range(20)]
        return real_getaddrinfo(host, port, *args, **kwargs)

    def black_hole(address, timeout, **kwargs):
        time.sleep(timeout)
        raise TimeoutError

    monkeypatch.setattr(socket, "getaddrinfo", many_addresses)
    monkeypatch.setattr(outbound_http, "create_connection", black_hole)
    started = time.monotonic()
    result = _post("http://hooks.many.test/hook", timeout=1)
    assert time.monotonic() - started < 6  # 20 s if each address had the whole second
    assert result.status_code is None and not result.permanent_error and "1 s" in result.error


def test_hung_dns_lookups_for_one_receiver_do_not_delay_another(settings, slow_dns_host, receiver):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    stuck = [
        threading.Thread(target=_post, args=(f"http://{slow_dns_host}/hook",), kwargs={"timeout": 0.5})
        for _ in range(8)
    ]
    for thread in stuck:
        thread.start()
    for thread in stuck:
        thread.join()  # each gave up after 0.5 s; their lookups still hang
    started = time.monotonic()
    result = _post(receiver.url(), timeout=1)
    # Milliseconds when nothing waits on the hung lookups (each hangs 20 s).
    assert result.succeeded and time.monotonic() - started < 5


def test_a_closed_port_is_a_transient_connection_error(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = _post(f"http://127.0.0.1:{port}/hook")
    assert result.status_code is None and "refused" in result.error.lower() and not result.permanent_error


@pytest.fixture
def https_receiver(tmp_path):
    """An HTTPS server with a self-signed certificate for `localhost`."""
    import shutil
    import ssl
    import subprocess
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    if not shutil.which("openssl"):
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield server.server_address[1], cert
    server.shutdown()
    server.server_close()


def test_https_connects_to_the_checked_address_and_still_verifies_the_certificate(settings, https_receiver):
    from webhooks import transport

    settings.WEBHOOK_ALLOW_PRIVATE = True
    port, cert = https_receiver
    untrusted = _post(f"https://localhost:{port}/hook")
    assert untrusted.status_code is None and "CERTIFICATE_VERIFY_FAILED" in untrusted.error
    session = transport._session()
    session.verify = str(cert)  # trust the test certificate, for this thread only
    try:
        assert _post(f"https://localhost:{port}/hook").succeeded
        # Connecting by address doesn't loosen hostname checks: the name must match the certificate.
        mismatch = _post(f"https://127.0.0.1:{port}/hook")
        assert mismatch.status_code is None and "mismatch" in mismatch.error
    finally:
        session.verify = True


def test_a_header_value_we_cannot_send_fails_for_good_and_a_garbled_answer_is_retried(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    ours = post_webhook(url="http://127.0.0.1:9/hook", body=b"{}", headers={"X-Bad": "a\nb"}, timeout=1)
    assert ours.permanent_error and ours.status_code is None

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def answer_garbled() -> None:
        conn, _ = server.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok")

    threading.Thread(target=answer_garbled, daemon=True).start()
    try:
        theirs = _post(f"http://127.0.0.1:{server.getsockname()[1]}/hook")
    finally:
        server.close()
    assert theirs.error and not theirs.permanent_error  # the receiver may answer properly next time
