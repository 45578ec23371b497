"""The Selenium engine in real headless Chromium: wa-js injection, the bridge, bounded waits,
stale profile locks. The full session flow on the sandbox is in test_engine_flow.py."""

import contextlib
import http.server
import os
import signal
import stat
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from sessions_app.engine.base import EngineCrashed, EngineError
from sessions_app.engine.browser_process import clear_stale_profile_lock, profile_dir_for
from sessions_app.engine.chromium import ChromiumEngine

pytestmark = pytest.mark.browser

BLANK_PAGE = b"""<!doctype html><html><head><title>blank</title>
<script>window.__seenAtStart = typeof window.WPP + '/' + typeof window.__yesapp;</script>
</head><body>blank</body></html>"""


@contextlib.contextmanager
def serving(page: bytes) -> Iterator[str]:
    """A local server answering every GET with `page`; yields its URL."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()


@pytest.fixture(scope="module")
def blank_page_url():
    with serving(BLANK_PAGE) as url:
        yield url


@pytest.fixture
def engine_factory():
    engines = []

    def make(url, inject_wajs=True):
        engine = ChromiumEngine(session_id=uuid.uuid4(), page_url=url, inject_wajs=inject_wajs)
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.stop()
        engine.delete_profile()


def test_wajs_and_the_bridge_run_before_the_page_and_the_user_agent_is_not_headless(
    blank_page_url, engine_factory, monkeypatch
):
    engine = engine_factory(blank_page_url)
    # On a blank page WPP.isReady stays false (no WhatsApp modules), so skip that wait here.
    monkeypatch.setattr(ChromiumEngine, "_wait_for_wpp", lambda self: None)
    engine.start()
    seen, functions, ua, config = engine.driver.execute_script(
        "return [window.__seenAtStart, [typeof WPP.on, typeof WPP.conn.getAuthCode, "
        "typeof WPP.chat.sendTextMessage], navigator.userAgent, window.WPPConfig]"
    )
    assert seen == "object/object"  # both existed before the page's first script ran
    assert functions == ["function", "function", "function"]
    assert "HeadlessChrome" not in ua and "Chrome/" in ua
    assert config["disableGoogleAnalytics"] is True and config["poweredBy"] == "YesApp"
    # The bridge subscribed and announced itself; draining returns at once when events exist.
    start = time.monotonic()
    events = engine.drain_events(wait=30)
    assert [e.name for e in events] == ["bridge.ready"] and time.monotonic() - start < 10
    assert engine.is_alive() and engine.memory_pids()


def test_events_stay_in_the_page_until_acknowledged_and_come_in_bounded_batches(
    blank_page_url, engine_factory, monkeypatch
):
    engine = engine_factory(blank_page_url)
    monkeypatch.setattr(ChromiumEngine, "_wait_for_wpp", lambda self: None)
    engine.start()
    first = engine.drain_events(wait=5)
    assert [e.name for e in first] == ["bridge.ready"] and first[0].seq == 1
    assert engine.drain_events(wait=0.1) == first  # not acknowledged: handed over again
    engine.acknowledge(first[-1].seq)
    assert engine.drain_events(wait=0.1) == []

    engine.driver.execute_script(
        "for (let i = 0; i < 250; i++) WPP.emit('chat.new_message',"
        " {id: {_serialized: 'false_1@c.us_' + i}, type: 'chat', body: 'm' + i, t: 1});"
    )
    batch = engine.drain_events(wait=1)
    assert len(batch) == 200 and batch[0].data["body"] == "m0"
    engine.acknowledge(batch[99].seq)  # half of them stored when the worker died
    rest = engine.drain_events(wait=1)
    assert len(rest) == 150 and rest[0].data["body"] == "m100" and rest[-1].data["body"] == "m249"

    # A new page load numbers its events from 1 again: the last page's acknowledgement
    # (seq 251) must not make the new page forget its own.
    engine.acknowledge(rest[-1].seq)
    engine.driver.refresh()
    after_reload = engine.drain_events(wait=5)
    assert [e.name for e in after_reload] == ["bridge.ready"] and after_reload[0].seq == 1


def test_the_browser_gets_none_of_the_apps_secrets_in_its_environment(
    blank_page_url, engine_factory, monkeypatch
):
    secrets = {
        "SECRET_KEY": "secret-key-canary-1",
        "DATABASE_URL": "postgres://app:db-password-canary@db/yesapp",
        "REDIS_URL": "redis://:redis-password-canary@redis:6379/0",
        "WEBHOOK_SECRET": "webhook-secret-canary",
        "METRICS_TOKEN": "metrics-token-canary",
    }
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(ChromiumEngine, "_wait_for_wpp", lambda self: None)
    engine = engine_factory(blank_page_url)
    engine.start()
    pids = engine.memory_pids()  # ChromeDriver and every Chromium process
    assert len(pids) >= 2
    environs = {pid: Path(f"/proc/{pid}/environ").read_bytes().decode(errors="replace") for pid in pids}
    assert "PATH=" in environs[pids[0]]  # ChromeDriver got an environment, just not the secrets
    for pid, environ in environs.items():  # (Chromium's helpers reuse that memory for their title)
        for value in secrets.values():
            assert value not in environ, f"process {pid} sees {value}"


def test_the_browser_profile_is_private_to_the_app_user(blank_page_url, engine_factory, monkeypatch):
    monkeypatch.setattr(ChromiumEngine, "_wait_for_wpp", lambda self: None)
    engine = engine_factory(blank_page_url)
    engine.start()
    engine.drain_events(wait=1)
    root = engine.profile_dir.parent
    paths = [root, *root.rglob("*")]
    assert len(paths) > 10  # Chromium wrote its profile
    wrong = {
        str(path): oct(stat.S_IMODE(path.lstat().st_mode))
        for path in paths
        if not path.is_symlink()  # Chromium's Singleton* links (their mode means nothing)
        and (stat.S_IMODE(path.lstat().st_mode) & 0o077)
    }
    assert not wrong, f"readable by others: {wrong}"


def test_a_page_where_wpp_never_gets_ready_fails_with_the_step_that_hung(
    blank_page_url, engine_factory, settings
):
    settings.ENGINE_START_TIMEOUT = 10
    engine = engine_factory(blank_page_url)
    started = time.monotonic()
    with pytest.raises(EngineCrashed) as info:
        engine.start()
    assert info.value.step == "wait for WPP.isReady"
    assert time.monotonic() - started < 40
    assert engine.driver is None  # the browser was closed


def test_missing_chromium_is_a_permanent_error_with_a_hint(engine_factory, settings):
    settings.CHROMIUM_PATH = "/nonexistent/chromium"
    with pytest.raises(EngineError) as info:
        engine_factory("http://127.0.0.1:9/").start()
    assert info.value.permanent and "install-browser.sh" in str(info.value)


def test_a_browser_killed_under_the_engine_surfaces_as_crashed(blank_page_url, engine_factory, monkeypatch):
    engine = engine_factory(blank_page_url)
    monkeypatch.setattr(ChromiumEngine, "_wait_for_wpp", lambda self: None)
    engine.start()
    for pid in engine.memory_pids()[1:]:  # every Chromium process, not chromedriver
        with contextlib.suppress(ProcessLookupError):  # a helper process may end on its own
            os.kill(pid, 9)
    with pytest.raises(EngineCrashed):
        for _ in range(3):
            engine.drain_events(wait=0.1)
    assert not engine.is_alive()


def test_a_hung_browser_is_noticed_within_seconds_and_stop_cleans_up(
    blank_page_url, engine_factory, monkeypatch
):
    engine = engine_factory(blank_page_url)
    monkeypatch.setattr(ChromiumEngine, "_wait_for_wpp", lambda self: None)
    engine.start()
    engine.drain_events(wait=0.1)
    pids = engine.memory_pids()
    for pid in pids[1:]:
        os.kill(pid, signal.SIGSTOP)
    started = time.monotonic()
    with pytest.raises(EngineCrashed):
        engine.drain_events(wait=0.5)
    assert time.monotonic() - started < 15
    started = time.monotonic()
    engine.stop()
    assert time.monotonic() - started < 20
    time.sleep(0.5)
    assert not [
        pid
        for pid in pids
        if os.path.exists(f"/proc/{pid}") and "Z" not in Path(f"/proc/{pid}/stat").read_text().split()[2]
    ]


def test_an_orphaned_browser_holding_the_profile_is_cleared(tmp_path, settings):
    settings.SESSIONS_DIR = tmp_path
    session_id = uuid.uuid4()
    profile = profile_dir_for(session_id)
    profile.mkdir(parents=True)
    orphan = subprocess.Popen(
        [
            settings.CHROMIUM_PATH,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            f"--user-data-dir={profile}",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            if (profile / "SingletonLock").is_symlink():
                break
            time.sleep(0.1)
        assert (profile / "SingletonLock").is_symlink()
        clear_stale_profile_lock(profile)
        assert not (profile / "SingletonLock").is_symlink()
        orphan.wait(10)  # it was killed
    finally:
        orphan.kill()


def fake_wpp_page(functions) -> bytes:
    """A page whose WPP has only `functions` (dotted names), as if WhatsApp Web dropped the rest."""
    script = ["window.Debug = {VERSION: '2.3000.1017'};", "window.WPP = {isReady: true};"]
    for name in functions:
        parts = name.split(".")
        for depth in range(1, len(parts)):
            path = ".".join(parts[:depth])
            script.append(f"WPP.{path} = WPP.{path} || {{}};")
        script.append(f"WPP.{name} = function () {{ return Promise.resolve(null); }};")
    return ("<!doctype html><html><head><script>" + "\n".join(script) + "</script></head></html>").encode()


def test_a_page_lacking_a_contract_function_refuses_to_start_with_the_version_and_the_name(engine_factory):
    from sessions_app.engine import wpp_contract

    page = fake_wpp_page([name for name in wpp_contract.FUNCTIONS if name != "chat.sendTextMessage"])
    with serving(page) as url:
        engine = engine_factory(url, inject_wajs=False)
        with pytest.raises(EngineError) as caught:
            engine.start()
    assert caught.value.permanent
    assert str(caught.value) == (
        "WhatsApp Web 2.3000.1017 lacks WPP.chat.sendTextMessage: update wa-js (docs/UPGRADING_WAJS.md)"
    )
    assert engine.driver is None  # the browser was closed, not left running
