"""The web server never waits on the outside world: 16 sends at once whose media URL drips a
byte a second, under gunicorn started exactly as `make run` starts it (scripts/serve.sh web),
while /health and another key's GET /api/v1/sessions keep answering. Before media URLs were
fetched by a worker, those 16 requests took every gunicorn thread for MEDIA_URL_TIMEOUT (15 s).
Timing figures are bench/web_bench.py's; here the bound is generous."""

import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from django.conf import settings

from messaging.models import Message, MessageStatus
from sessions_app.models import Session
from sessions_app.tests.helpers import wait_for
from yesapp.apikeys import apikey_create
from yesapp.tests.fixtures import ROOT, child_env
from yesapp.tests.helpers import DripServer, closed_port, stop_process_group

pytestmark = pytest.mark.slow

SENDS = 16
# Generous on a loaded 2-core machine; a probe stuck behind a media fetch would wait 15 s.
PROBE_BOUND_S = 3.0


@pytest.fixture
def web_server(transactional_db):
    """gunicorn as `make run` starts it (scripts/serve.sh web), on the test database."""
    port = closed_port()
    log_path = Path(settings.DATA_DIR) / "logs" / "web-never-waits.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    env = child_env(PORT=str(port), MEDIA_URL_ALLOW_PRIVATE="true", LOG_LEVEL="WARNING")
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            [str(ROOT / "scripts" / "serve.sh"), "web"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"

    def up():
        try:
            return requests.get(f"{url}/health", timeout=1).ok
        except requests.RequestException:
            return proc.poll() is not None  # ended: stop waiting, the assert below says so

    wait_for(up, timeout=60, what="gunicorn")
    assert proc.poll() is None, log_path.read_text(errors="replace")[-2000:]
    yield url
    stop_process_group(proc)


def probe(url: str, headers: dict | None = None) -> tuple[int, float]:
    started = time.monotonic()
    try:
        status = requests.get(url, headers=headers or {}, timeout=30).status_code
    except requests.RequestException:
        status = 0
    return status, time.monotonic() - started


def test_dripping_media_urls_never_hold_up_health_or_another_keys_calls(web_server, start_worker):
    session = Session.objects.create(name="main", status="connected", wid="33700000000@c.us")
    sender = {"X-API-Key": apikey_create(name="sender")[1]}
    reader = {"X-API-Key": apikey_create(name="reader")[1]}
    drip = DripServer("body", every=1.0)
    start_worker(queues="default", name="media", MEDIA_URL_ALLOW_PRIVATE="true", MEDIA_URL_TIMEOUT="4")
    body = {"to": "+33612345678", "media": {"type": "image", "url": drip.url}}

    def send(_):
        return requests.post(
            f"{web_server}/api/v1/sessions/{session.pk}/messages", json=body, headers=sender, timeout=60
        )

    probes = []
    try:
        with ThreadPoolExecutor(SENDS) as pool:
            sends = [pool.submit(send, n) for n in range(SENDS)]
            until = time.monotonic() + 6  # the sends, then the worker's fetches, under way
            while time.monotonic() < until:
                probes.append(probe(f"{web_server}/health"))
                probes.append(probe(f"{web_server}/api/v1/sessions", reader))
                time.sleep(0.1)  # a reader at ~10 calls a second: under its key's API_RATE_LIMIT
            answers = [future.result() for future in sends]
        assert [answer.status_code for answer in answers] == [202] * SENDS, answers[0].text
        assert {answer.json()["status"] for answer in answers} == {"pending"}
        assert {status for status, _ in probes} == {200}
        slowest = max(elapsed for _, elapsed in probes)
        assert slowest < PROBE_BOUND_S, f"a probe took {slowest:.1f} s"

        # The worker gives up on each drip at MEDIA_URL_TIMEOUT and says why.
        def all_failed():
            rows = list(Message.objects.values_list("status", "error_code", "error"))
            return rows if {row[0] for row in rows} == {MessageStatus.FAILED} else None

        rows = wait_for(all_failed, timeout=120, what="the fetches to time out")
    finally:
        drip.close()
    assert len(rows) == SENDS
    assert {(code, "took longer than 4" in error) for _, code, error in rows} == {
        ("media_fetch_failed", True)
    }
