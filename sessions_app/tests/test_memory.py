"""Each running session's browser memory: measured by its node, shown by /metrics and the
dashboard. A real process stands in for the browser (its PSS is read from /proc)."""

import os
import subprocess
import sys
import time

import pytest
from django.test import Client
from django.urls import reverse

from dashboard.tests.conftest import sign_in_with_key
from sessions_app.engine.host import SessionHost
from sessions_app.engine.memory import MEMORY_KEY, browser_memory_all, browser_memory_of, pss_bytes
from sessions_app.models import Session, SessionStatus
from yesapp.redis import get_redis
from yesapp.tests.test_metrics import scrape

pytestmark = pytest.mark.django_db


class RunningActor:
    """What the host asks of an actor here: the pids of its browser."""

    def __init__(self, pids):
        self.pids = pids

    def memory_pids(self):
        return self.pids

    def js_heap(self):
        return None

    def request_recycle(self, reason):
        return False


@pytest.fixture
def big_process():
    """A process holding 64 MB of its own memory, as a browser would."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; b = bytearray(64 << 20); print('ok', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
    )
    assert proc.stdout.readline().strip() == b"ok"
    yield proc
    proc.kill()
    proc.wait()


def test_the_node_measures_each_browser_and_any_web_process_reads_it(big_process, settings, raw_api_key):
    settings.METRICS_ENABLED, settings.METRICS_TOKEN = True, ""
    session = Session.objects.create(name="big", status=SessionStatus.CONNECTED)
    idle = Session.objects.create(name="stopped", status=SessionStatus.STOPPED)
    host = SessionHost("test-node@here")
    host.actors = {str(session.pk): RunningActor([big_process.pid]), "gone": RunningActor([999_999_999])}
    host.report_memory()

    size = browser_memory_of([session.pk, idle.pk])[str(session.pk)]
    assert 64 << 20 <= size < 256 << 20  # its 64 MB, plus Python itself
    assert set(browser_memory_all()) == {str(session.pk)}  # nothing for a pid that is gone
    assert browser_memory_of([idle.pk]) == {}
    assert scrape()[("yesapp_session_browser_memory_bytes", (("session_id", str(session.pk)),))] == size

    client = Client()
    sign_in_with_key(client, raw_api_key)
    header = client.get(reverse("dashboard:session-header", args=[session.pk])).content.decode()
    assert "Browser memory" in header and "MB" in header
    assert (
        "Browser memory"
        not in client.get(reverse("dashboard:session-header", args=[idle.pk])).content.decode()
    )


def test_a_figure_no_node_renews_goes_stale_and_is_dropped(big_process, monkeypatch):
    session = Session.objects.create(name="big", status=SessionStatus.CONNECTED)
    host = SessionHost("test-node@here")
    host.actors = {str(session.pk): RunningActor([big_process.pid])}
    host.report_memory()
    assert str(session.pk) in browser_memory_all()
    later = time.time() + 61  # the node stopped measuring a minute ago
    monkeypatch.setattr(time, "time", lambda: later)
    assert browser_memory_of([session.pk]) == {} and browser_memory_all() == {}
    assert not get_redis().hexists(MEMORY_KEY, str(session.pk))


def test_a_new_browser_is_measured_at_the_next_scan_then_every_30_s():
    host = SessionHost("test-node@here")
    host.actors = {"a": RunningActor([]), "b": RunningActor([os.getpid()])}
    assert host._new_browser()  # b runs and was never measured
    host.report_memory()
    assert host._memory_measured == {"b"} and not host._new_browser()  # a has no browser yet


def test_pss_of_processes_that_are_gone_is_zero():
    assert pss_bytes([999_999_999]) == 0 and pss_bytes([os.getpid()]) > 0


@pytest.mark.browser
@pytest.mark.slow
def test_the_engine_reads_its_pages_js_heap_over_devtools_from_another_thread():
    import threading
    import uuid

    from sessions_app.engine.chromium import ChromiumEngine
    from sessions_app.tests.test_chromium_engine import serving
    from sessions_app.tests.test_page_push import FAKE_WPP_PAGE

    with serving(FAKE_WPP_PAGE) as url:
        engine = ChromiumEngine(session_id=uuid.uuid4(), page_url=url, inject_wajs=False)
        engine.on_push = lambda: None
        engine._check_contract = lambda: None  # the stand-in WPP has no functions
        try:
            engine.start()
            heaps = []
            reader = threading.Thread(target=lambda: heaps.append(engine.js_heap()))
            reader.start()
            assert engine.drain_events(0) is not None  # the actor's WebDriver call meanwhile
            reader.join(10)
            used, total = heaps[0]
            assert 0 < used <= total < 512 << 20
            engine.driver.execute_script("window.__big = new Array(4 << 20).fill(1);")  # 32 MB
            assert engine.js_heap()[0] > used + (16 << 20)
        finally:
            engine.stop()
            engine.delete_profile()
    assert engine.js_heap() is None  # no browser, no figure
