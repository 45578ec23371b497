"""Security promises of messaging: media is served by id only and no file name from a client
or from WhatsApp ever becomes a path; media URLs reach only the address that was checked."""

import base64
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from messaging import media as media_module
from messaging.media_url import message_fetch_media
from messaging.models import MediaStatus, Message
from messaging.tests.conftest import PDF, PNG
from sessions_app.tests.helpers import create_and_link, wait_for

HOSTILE_NAMES = [
    "../../../../etc/passwd",
    "..\\..\\..\\windows\\win.ini",
    "/etc/cron.d/evil",
    "media/../../secret_key",
    "./.hidden\t.pdf",
]


def files_under(root: Path) -> set[Path]:
    return {path for path in root.rglob("*") if path.is_file()}


@pytest.mark.parametrize("hostile", HOSTILE_NAMES)
def test_a_clients_file_name_never_becomes_a_path(api, session, media_root, tmp_path, hostile):
    before = files_under(tmp_path)
    body = {
        "to": "+33612345678",
        "media": {"type": "document", "data": base64.b64encode(PDF).decode(), "filename": hostile},
    }
    response = api.post(f"/api/v1/sessions/{session.pk}/messages", body, format="json")

    assert response.status_code == 202, response.content
    message = Message.objects.get()
    # Stored under its id only, inside the media folder, and nowhere else.
    assert message.media_name == f"{message.pk}.pdf"
    assert files_under(tmp_path) - before == {media_root / message.media_name}
    for forbidden in ("/", "\\", "\x00"):
        assert forbidden not in message.media_filename
    assert not message.media_filename.startswith(".")
    download = api.get(f"/api/v1/media/{message.pk}")
    assert b"".join(download.streaming_content) == PDF
    disposition = download["Content-Disposition"]
    assert "/" not in disposition.split("filename", 1)[1] and "\\" not in disposition


def test_media_is_served_by_message_id_only(api, session, media_root):
    media_root.mkdir(parents=True, exist_ok=True)
    (media_root.parent / "secret.txt").write_text("not yours")
    # Paths, names and encoded traversals are not message ids: the route does not even match.
    for attempt in ("../secret.txt", "..%2Fsecret.txt", "secret.txt", f"{session.pk}/../../secret.txt"):
        response = api.get(f"/api/v1/media/{attempt}")
        assert response.status_code == 404, attempt
        assert b"not yours" not in response.content


class PngServer:
    """Serves one PNG on `host:port` and records the paths asked for."""

    def __init__(self, host: str, port: int = 0):
        hits = self.hits = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                hits.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(PNG)))
                self.end_headers()
                self.wfile.write(PNG)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def two_servers():
    """A "public" server on 127.0.0.2 and a "private" one on 127.0.0.1, on the same port, so
    one URL reaches either, depending on what its host resolves to."""
    private = PngServer("127.0.0.1")
    try:
        public = PngServer("127.0.0.2", private.port)
    except OSError:
        private.close()
        pytest.skip("that port is taken on 127.0.0.2")
    yield public, private, private.port
    public.close()
    private.close()


@pytest.fixture
def resolver(monkeypatch):
    """`media.rebind.test` resolves to what the test says, lookup after lookup."""
    real = socket.getaddrinfo
    answers: list[list[str]] = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host == "media.rebind.test":
            addresses = answers.pop(0) if len(answers) > 1 else answers[0]
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    # 127.0.0.2 plays a public address; every other loopback address stays private.
    monkeypatch.setattr(media_module, "address_allowed", lambda address: address == "127.0.0.2")
    return answers


def test_a_media_url_connects_only_to_the_address_that_was_checked(api, session, two_servers, resolver):
    public, private, port = two_servers
    # Public at the check, private at any later lookup: a second resolution would reach inside.
    resolver.extend([["127.0.0.2"], ["127.0.0.1"]])

    response = api.post(
        f"/api/v1/sessions/{session.pk}/messages",
        {"to": "+33612345678", "media": {"type": "image", "url": f"http://media.rebind.test:{port}/cat.png"}},
        format="json",
    )

    assert response.status_code == 202, response.content
    assert message_fetch_media(message_id=response.json()["messageId"]) == "queued"
    assert public.hits == ["/cat.png"] and private.hits == []


def test_a_media_url_whose_host_also_resolves_to_a_private_address_is_refused(
    api, session, two_servers, resolver
):
    public, private, port = two_servers
    resolver.append(["127.0.0.2", "127.0.0.1"])

    response = api.post(
        f"/api/v1/sessions/{session.pk}/messages",
        {"to": "+33612345678", "media": {"type": "image", "url": f"http://media.rebind.test:{port}/cat.png"}},
        format="json",
    )

    assert response.status_code == 202, response.content
    assert message_fetch_media(message_id=response.json()["messageId"]) == "failed"
    assert Message.objects.get().error_code == "media_url_refused"
    assert public.hits == [] and private.hits == []


@pytest.mark.browser
@pytest.mark.slow
def test_a_file_name_from_whatsapp_never_becomes_a_path(api, engine_worker, settings):
    """A contact sends a photo named `../../etc/passwd` through the sandbox: the engine stores
    it as DATA_DIR/media/<messageId>.png, and the name is only shown, never used on disk."""
    settings.MEDIA_ROOT = Path(settings.DATA_DIR) / "media"  # where the engine worker writes
    data_dir = Path(settings.DATA_DIR)
    engine_worker("engine-a")
    session = create_and_link(api, name="hostile-name")
    before = files_under(data_dir)
    response = api.post(
        f"/api/v1/sandbox/sessions/{session.id}/inbound",
        {
            "from": "+33698765432",
            "text": "look",
            "media": {"data": base64.b64encode(PNG).decode(), "filename": "../../etc/passwd"},
        },
        format="json",
    )
    assert response.status_code == 202, response.content
    message = wait_for(
        lambda: Message.objects.filter(session=session, media_status=MediaStatus.STORED).first(),
        30,
        what="the photo stored",
    )
    assert message.media_name == f"{message.pk}.png"
    assert message.media_filename in ("passwd", "")
    created = {p for p in files_under(data_dir) - before if "sessions" not in p.relative_to(data_dir).parts}
    # The engine's file, the sandbox phone's own copy (named by its WhatsApp key), logs.
    assert Path(settings.MEDIA_ROOT) / message.media_name in created
    for path in created:
        assert path.resolve().is_relative_to(data_dir.resolve())
        assert "passwd" not in path.name and ".." not in path.parts
    download = api.get(f"/api/v1/media/{message.pk}")
    assert b"".join(download.streaming_content) == PNG
