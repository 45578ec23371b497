"""Sessions move between machines that share no disk: engine nodes in network namespaces
(sessions_app/tests/machines.py), each with its own empty DATA_DIR and Chromium, reaching
PostgreSQL, Redis and the web server only over their network links."""

import base64
import shutil
import threading
import time
from collections import Counter

import pytest
from django.conf import settings

from messaging.models import Message
from sandbox.models import SandboxMessage
from sessions_app.models import ProfileSnapshot, Session
from sessions_app.tests.helpers import create_and_link, wait_for, wait_status
from sessions_app.tests.machines import machines  # noqa: F401 - the fixture
from yesapp.tests.test_end_to_end import CONTACT, SENT, Receiver, png

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.postgres]

# The default lease (5 s); a shorter scan, so a session is claimed sooner after a link.
ENGINE_ENV = {"ENGINE_LEASE_TTL": "5", "ENGINE_SCAN_INTERVAL": "0.5", "PROFILE_SNAPSHOT_FIRST_AFTER": "1"}


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def start(machine, **env):
    machine.start_engine(SECRET_KEY=settings.SECRET_KEY, **ENGINE_ENV, **env)
    machine.wait_ready()
    return machine


def send(api, session, text: str) -> str:
    body = {"to": CONTACT, "text": text}
    response = api.post(f"/api/v1/sessions/{session.id}/messages", body, format="json")
    assert response.status_code == 202, response.content
    return response.json()["messageId"]


def receive(api, session, text: str, media: bytes | None = None) -> None:
    body = {"from": CONTACT, "name": "Ana", "text": text}
    if media:
        body["media"] = {"data": base64.b64encode(media).decode(), "filename": "photo.png"}
    response = api.post(f"/api/v1/sandbox/sessions/{session.id}/inbound", body, format="json")
    assert response.status_code == 202, response.content


def inbound(session, text: str | None):
    received = Message.objects.filter(session=session, direction="inbound")
    return received if text is None else received.filter(text=text)


def connected_on(machine, session) -> Session | None:
    """The session, once `connected` on this machine (A's last `connected` stays until then)."""
    session = Session.objects.get(pk=session.pk)
    return (
        session
        if session.status == "connected" and session.engine_node.startswith(f"{machine.name}@")
        else None
    )


def linked_on(machine, api, receiver=None) -> Session:
    session = create_and_link(api, name="mover")
    if receiver:
        response = api.put(f"/api/v1/sessions/{session.id}/webhook", {"url": receiver.url}, format="json")
        assert response.status_code == 200, response.content
    wait_for(lambda: ProfileSnapshot.objects.filter(session=session).exists(), 60, what="a first snapshot")
    assert Session.objects.get(pk=session.pk).engine_node.startswith(f"{machine.name}@")
    return session


def test_a_session_moves_to_another_machine_when_its_machine_dies_without_a_scan_or_a_lost_message(
    machines,  # noqa: F811
    api,
    start_worker,
    receiver,
    settings,
):
    settings.WEBHOOK_ALLOW_PRIVATE = True  # the receiver runs on this machine
    start_worker(queues="default,webhooks", name="hooks", WEBHOOK_ALLOW_PRIVATE="true")
    a, b = machines.add(), machines.add()
    start(a)
    session = linked_on(a, api, receiver)

    before = send(api, session, "sent before the move")
    receive(api, session, "a photo received on A", media=png((200, 30, 30)))
    wait_for(lambda: Message.objects.filter(pk=before, status__in=SENT).exists(), 60, what="sent on A")
    on_a = wait_for(lambda: inbound(session, "a photo received on A").first(), 60, what="received on A")
    wait_for(lambda: Message.objects.get(pk=on_a.pk).media_status == "stored", 60, what="media stored on A")

    a.kill()  # machine A dies with its browser; its disk is gone
    shutil.rmtree(a.data_dir)
    during = send(api, session, "sent during the move")
    receive(api, session, "received during the move")

    start(b)
    session = wait_for(lambda: connected_on(b, session), 120, what="connected on B")
    statuses = [e.to_status for e in session.events.order_by("id")]
    assert statuses.count("qr") == 1, statuses  # linked once: B restored the login, no new scan
    assert (b.data_dir / "sessions" / str(session.id) / "profile" / "Default" / "IndexedDB").is_dir()

    sent = [before, during]
    wait_for(lambda: Message.objects.filter(pk__in=sent, status__in=SENT).count() == 2, 90, what="both sent")
    moved_in = inbound(session, "received during the move")
    wait_for(moved_in.exists, 90, what="received during the move")
    received = [on_a.pk, inbound(session, "received during the move").get().pk]

    def webhooked() -> bool:
        got = {e["messageId"] for e in receiver.events("message.received")}
        acks = {e["messageId"] for e in receiver.events("message.status") if e["status"] == "sent"}
        return got >= {str(pk) for pk in received} and acks >= set(sent)

    wait_for(webhooked, 60, what="every message webhooked")
    time.sleep(3)  # room for a duplicate to show up, were there one

    outbox = Counter(m.text for m in SandboxMessage.objects.filter(session_id=session.id, direction="out"))
    assert outbox == {"sent before the move": 1, "sent during the move": 1}, outbox
    texts = Counter(inbound(session, None).values_list("text", flat=True))
    assert texts == {"a photo received on A": 1, "received during the move": 1}, texts
    hooks = Counter(e["messageId"] for e in receiver.events("message.received"))
    assert sorted(hooks.values()) == [1, 1], hooks
    acks = Counter(e["messageId"] for e in receiver.events("message.status") if e["status"] == "sent")
    assert acks == {before: 1, during: 1}, acks


def test_media_received_on_a_dead_machine_still_download_from_the_web_server(
    machines,  # noqa: F811
    api,
    s3_storage,
):
    """Media go to the shared file storage (FILE_STORAGE=s3; moto's emulator here, the package
    registries offer no real S3 server), never only to the receiving machine's disk."""
    a = machines.add()
    start(a, **{**s3_storage.env, "S3_ENDPOINT_URL": machines.offer(s3_storage.env["S3_ENDPOINT_URL"])})
    session = linked_on(a, api)
    photo = png((20, 160, 90))
    receive(api, session, "a photo received on A", media=photo)
    on_a = wait_for(lambda: inbound(session, "a photo received on A").first(), 60, what="received on A")
    wait_for(lambda: Message.objects.get(pk=on_a.pk).media_status == "stored", 60, what="media stored on A")
    a.kill()
    shutil.rmtree(a.data_dir)
    media = api.get(f"/api/v1/media/{on_a.pk}")
    assert media.status_code == 200, media.content
    assert b"".join(media.streaming_content) == photo
    assert any(s3_storage.read(name) == photo for name in s3_storage.names()), "not in the bucket"


class BrowserSampler:
    """Counts each machine's browsers every 0.2 s in a thread: [(t, browsers of a, of b), ...]."""

    def __init__(self, a, b):
        self.a, self.b, self.samples, self.stop = a, b, [], threading.Event()
        self.thread = threading.Thread(target=self._run, name="browser-sampler", daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop.is_set():
            self.samples.append((time.monotonic(), len(self.a.browser_pids()), len(self.b.browser_pids())))
            self.stop.wait(0.2)

    def close(self):
        self.stop.set()
        self.thread.join(10)

    def first(self, predicate, after: float) -> float | None:
        return next((t for t, na, nb in self.samples if t >= after and predicate(na, nb)), None)


def test_a_machine_cut_off_from_redis_closes_its_browser_before_another_machine_takes_over(
    machines,  # noqa: F811
    api,
):
    a, b = machines.add(), machines.add()
    start(a)
    session = linked_on(a, api)
    start(b)
    sampler = BrowserSampler(a, b)
    try:
        wait_for(a.browser_pids, 30, what="A's browser")
        cut_at = time.monotonic()
        a.cut()  # A keeps running but reaches nothing: not Redis, not the database
        moved = lambda: Session.objects.get(pk=session.pk).engine_node.startswith(f"{b.name}@")  # noqa: E731
        wait_for(moved, 120, what="B took the session over")
        session = wait_status(session.id, "connected", timeout=120)
        wait_for(b.browser_pids, 30, what="B's browser")
        a.uncut()  # A comes back: the session is B's now, A must not take it back
        time.sleep(2 * int(ENGINE_ENV["ENGINE_LEASE_TTL"]))
        assert Session.objects.get(pk=session.pk).engine_node.startswith(f"{b.name}@")
    finally:
        sampler.close()

    both = [(round(t - cut_at, 1), na, nb) for t, na, nb in sampler.samples if na and nb]
    assert not both, f"two browsers ran the session at once (s after the cut, A, B): {both}"
    a_closed = sampler.first(lambda na, nb: na == 0, after=cut_at)
    b_opened = sampler.first(lambda na, nb: nb > 0, after=cut_at)
    assert a_closed is not None and b_opened is not None and a_closed <= b_opened
    # Within the lease (5 s here); the margin is for a loaded machine's sampling and scheduling.
    assert a_closed - cut_at < int(ENGINE_ENV["ENGINE_LEASE_TTL"]) + 4, a_closed - cut_at
    assert not a.browser_pids()


def test_a_machine_frozen_for_half_its_lease_keeps_its_session_and_one_frozen_past_it_loses_it_cleanly(
    machines,  # noqa: F811
    api,
):
    """SIGSTOP of A's engine worker, B standing by. Half a lease: A renews on waking (its keeper
    renews every second), B never takes the session, its browser's fence leaves it alone, A
    sends. Past the lease: the fence kills A's browser while A is still frozen, before B's is
    connected; B takes the session over and sends; A, woken with a message queued, sends
    nothing."""
    ttl = int(ENGINE_ENV["ENGINE_LEASE_TTL"])
    a, b = machines.add(), machines.add()
    start(a)
    session = linked_on(a, api)
    start(b)
    token = Session.objects.get(pk=session.pk).lease_token
    browser = set(a.browser_pids(helpers=True))
    a.freeze()
    time.sleep(ttl / 2)
    a.thaw()
    time.sleep(2)  # a renewal after the thaw, and B's scans: nothing may move meanwhile
    session = Session.objects.get(pk=session.pk)
    assert session.engine_node.startswith(f"{a.name}@") and session.lease_token == token
    assert browser and browser <= set(a.browser_pids(helpers=True)), "a browser killed for a late lease"
    after = send(api, session, "after a short freeze")
    wait_for(lambda: Message.objects.filter(pk=after, status__in=SENT).exists(), 60, what="sent by A")
    assert Session.objects.get(pk=session.pk).engine_node.startswith(f"{a.name}@")

    a.freeze()
    try:
        # Only A's fence, a process beside its browser, can close that browser now.
        wait_for(lambda: not a.browser_pids(helpers=True), ttl + 15, what="A's browser killed, A frozen")
        assert not connected_on(b, session), "B connected while A's browser was still open"
        wait_for(lambda: connected_on(b, session), 120, what="connected on B")
        during = send(api, session, "queued as A wakes")
    finally:
        a.thaw()
    wait_for(lambda: Message.objects.filter(pk=during, status__in=SENT).exists(), 60, what="sent by B")
    wait_for(lambda: not a.browser_pids(), 30, what="A's browser closed")
    time.sleep(2)  # room for a duplicate from A, were there one
    outbox = Counter(m.text for m in SandboxMessage.objects.filter(session_id=session.id, direction="out"))
    assert outbox == {"after a short freeze": 1, "queued as A wakes": 1}, outbox
    assert connected_on(b, session)
