"""`GET /api/v1/events/stream` through a real client library (httpx-sse) against the web
server as `make run` starts it (gunicorn with uvicorn workers, a process of its own).

Messages arrive through messaging's own handler of wa-js `chat.new_message` (what the engine
calls for a page event), run here in the test's process: the stream sees what the database
commits, from whichever process commits it.
"""

import json
import os
import signal
import socket
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone
from httpx_sse import connect_sse

from events.log import events_prune
from events.models import Event
from events.tests.conftest import emit_received
from messaging.inbound import handle_new_message
from messaging.tests.conftest import new_message
from messaging.tests.engine_double import RecordingEngine
from sessions_app.tests.helpers import wait_for
from webhooks.models import WebhookConfig, WebhookDelivery
from yesapp.apikeys import apikey_create

pytestmark = pytest.mark.slow

STREAM = "/api/v1/events/stream"


def receive(session, n: int) -> None:
    handle_new_message(
        session_id=session.pk,
        data=new_message(f"false_33612345678@c.us_M{n}", body=f"message {n}"),
        engine=RecordingEngine(),
    )


def client_for(url: str, raw_key: str | None = None, **kwargs) -> httpx.Client:
    headers = {"X-API-Key": raw_key} if raw_key else {}
    return httpx.Client(base_url=url, headers=headers, timeout=httpx.Timeout(10.0), **kwargs)


def take(events, n: int) -> list:
    return [next(events) for _ in range(n)]


def test_messages_arrive_in_order_and_a_reconnect_resumes_exactly_after_the_last_seen(
    web_server, make_session, settings
):
    session = make_session()
    # A webhook, to check the stream carries the very body the webhook gets.
    WebhookConfig.objects.create(session=session, url="https://hooks.example.com/in", secret="s" * 32)
    _, raw = apikey_create(name="stream")
    with client_for(web_server, raw) as client:
        with connect_sse(client, "GET", STREAM) as source:
            assert source.response.headers["content-type"].startswith("text/event-stream")
            events = source.iter_sse()
            for n in range(5):
                receive(session, n)
            first = take(events, 5)
        assert [e.event for e in first] == ["message.received"] * 5
        assert [json.loads(e.data)["text"] for e in first] == [f"message {n}" for n in range(5)]
        ids = [int(e.id) for e in first]
        assert ids == sorted(ids) and len(set(ids)) == 5
        delivery = WebhookDelivery.objects.get(log_entry_id=ids[0])
        assert delivery.body == first[0].data

        # Disconnected: three more arrive meanwhile.
        for n in range(5, 8):
            receive(session, n)
        with connect_sse(client, "GET", STREAM, headers={"Last-Event-ID": str(ids[-1])}) as source:
            events = source.iter_sse()
            missed = take(events, 3)
            # Exactly those three: the next one is one sent after the reconnect.
            emit_received(session, "after the reconnect")
            marker = next(events)
        assert [json.loads(e.data)["text"] for e in missed] == ["message 5", "message 6", "message 7"]
        assert int(missed[0].id) > ids[-1]
        assert json.loads(marker.data)["text"] == "after the reconnect"

        # `after` in the query does the same (for clients that cannot set headers).
        with connect_sse(client, "GET", STREAM, params={"after": missed[-1].id}) as source:
            assert json.loads(next(source.iter_sse()).data)["text"] == "after the reconnect"


def test_a_key_limited_to_a_session_never_sees_another_sessions_events(web_server, make_session, scoped_key):
    shop, clinic = make_session("shop"), make_session("clinic")
    raw, _ = scoped_key(shop)
    with client_for(web_server, raw) as client, connect_sse(client, "GET", STREAM) as source:
        events = source.iter_sse()
        emit_received(clinic, "not yours")
        emit_received(shop, "yours")
        emit_received(clinic, "not yours either")
        emit_received(shop, "yours too")
        seen = [json.loads(e.data)["text"] for e in take(events, 2)]
    assert seen == ["yours", "yours too"]
    # Asking for the other session by id: unknown to this key.
    with client_for(web_server, raw) as client:
        other = client.get(STREAM, params={"session": str(clinic.pk)})
    assert other.status_code == 404 and other.json()["error"]["code"] == "not_found"


def test_the_key_goes_in_the_header_or_the_dashboard_cookie_never_the_url(web_server, make_session):
    session = make_session()
    key, raw = apikey_create(name="url")
    with client_for(web_server) as client:
        refused = client.get(STREAM, params={"api_key": raw})
        assert refused.status_code == 401
        assert "never in the URL" in refused.json()["error"]["message"]
        assert client.get(STREAM).status_code == 401
    # Signed in to the dashboard with a key: its session cookie opens the stream.
    signed_in = SessionStore()
    signed_in["dashboard_api_key_id"] = key.pk
    signed_in.save()
    cookies = {settings_cookie_name(): signed_in.session_key}
    with client_for(web_server, cookies=cookies) as client, connect_sse(client, "GET", STREAM) as source:
        events = source.iter_sse()
        emit_received(session, "for the dashboard")
        assert json.loads(next(events).data)["text"] == "for the dashboard"


def settings_cookie_name() -> str:
    from django.conf import settings

    return settings.SESSION_COOKIE_NAME


def test_filters_heartbeats_and_a_position_past_the_retention(web_server, make_session):
    session = make_session()
    _, raw = apikey_create(name="filters")
    emit_received(session, "old")
    emit_received(session, "older")
    old_ids = list(Event.objects.values_list("id", flat=True))
    Event.objects.update(created_at=timezone.now() - timedelta(days=30))
    events_prune()
    with client_for(web_server, raw) as client:
        with connect_sse(client, "GET", STREAM, params={"after": old_ids[0]}) as source:
            pruned = list(source.iter_sse())  # one error event, then the stream ends
        assert [e.event for e in pruned] == ["error"]
        error = json.loads(pruned[0].data)["error"]
        assert error["code"] == "events_pruned"
        assert error["details"] == {"after": old_ids[0], "prunedThrough": old_ids[1]}

        # Quiet: a comment line every EVENT_STREAM_HEARTBEAT (1 s here), then only the wanted type.
        with client.stream("GET", STREAM, params={"types": "session.status"}) as response:
            lines = response.iter_lines()
            assert next(lines) == ": stream open"
            assert ": heartbeat" in [next(lines) for _ in range(3)]
            emit_received(session, "a message")
            emit_received(session, "a status", event="session.status")
            body = [next(lines) for _ in range(4)]
        assert [line for line in body if line.startswith("event:")] == ["event: session.status"]


def test_a_stream_cut_by_a_web_server_restart_resumes_without_a_gap(web_server_process, make_session):
    session = make_session()
    _, raw = apikey_create(name="restart")
    with client_for(web_server_process.url, raw) as client, connect_sse(client, "GET", STREAM) as source:
        events = source.iter_sse()
        receive(session, 1)
        last = next(events)
        web_server_process.stop()  # a deploy: the worker cuts its streams and exits
        try:
            rest = [e.id for e in events]
        except httpx.RemoteProtocolError:
            rest = []  # cut mid-body: what an SSE client reconnects after
        assert rest == []
    receive(session, 2)  # while no web server runs
    web_server_process.start()
    assert json.loads(last.data)["text"] == "message 1"
    assert resume_after(web_server_process.url, raw, last.id, session) == ["message 2", "message 3"]


def resume_after(url: str, raw_key: str, last_id: str, session) -> list[str]:
    """Reconnects with `Last-Event-ID`, has message 3 arrive, and gives the texts of the first
    two events: what was missed (message 2), then message 3."""
    with (
        client_for(url, raw_key) as client,
        connect_sse(client, "GET", STREAM, headers={"Last-Event-ID": last_id}) as source,
    ):
        events = source.iter_sse()
        receive(session, 3)
        return [json.loads(e.data)["text"] for e in take(events, 2)]


def worker_pids(master_pid: int) -> list[int]:
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    return [int(pid) for pid in children]


def test_a_stream_cut_by_a_crashed_web_worker_resumes_on_its_replacement(web_server_process, make_session):
    """The worker dies at once (SIGKILL, the OOM killer): no graceful end, the client sees the
    connection break; gunicorn starts a new worker and the client resumes there."""
    session = make_session()
    _, raw = apikey_create(name="crash")
    (worker,) = worker_pids(web_server_process.proc.pid)
    with client_for(web_server_process.url, raw) as client, connect_sse(client, "GET", STREAM) as source:
        events = source.iter_sse()
        receive(session, 1)
        last = next(events)
        os.kill(worker, signal.SIGKILL)
        with pytest.raises(httpx.TransportError):
            next(events)
    receive(session, 2)  # while the worker is being replaced
    wait_for(
        lambda: worker_pids(web_server_process.proc.pid) not in ([], [worker]),
        timeout=60,
        what="a new worker",
    )
    wait_for(web_server_process._up, timeout=60, what="the new worker")
    assert resume_after(web_server_process.url, raw, last.id, session) == ["message 2", "message 3"]


def thread_count(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split("Threads:", 1)[1].split()[0])


def open_raw_stream(url: str, raw_key: str) -> socket.socket:
    """A stream opened with a bare socket, read until it is open, then left unread."""
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=30)
    sock.sendall(f"GET {STREAM} HTTP/1.1\r\nHost: {host}:{port}\r\nX-API-Key: {raw_key}\r\n\r\n".encode())
    received = b""
    while b": stream open" not in received:
        chunk = sock.recv(4096)
        assert chunk, received
        received += chunk
    return sock


def test_open_streams_do_not_park_a_thread_each(web_server_process):
    """yesapp/asgi.py: the streams' requests share one thread per worker process."""
    _, raw = apikey_create(name="threads")
    (worker,) = worker_pids(web_server_process.proc.pid)
    open_raw_stream(web_server_process.url, raw).close()  # the first stream starts what is shared
    before = thread_count(worker)
    streams = [open_raw_stream(web_server_process.url, raw) for _ in range(20)]
    try:
        during = thread_count(worker)
    finally:
        for sock in streams:
            sock.close()
    # The event loop's own pool (at most 6 threads on 2 cores) may grow meanwhile; not 20 more.
    assert during <= before + 8, (before, during)
