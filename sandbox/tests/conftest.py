"""Sandbox test fixtures: sandbox sessions, a page in real Chromium, and helpers to read what
WPP fired in it."""

import base64
import json
import time
from collections.abc import Iterator

import pytest
from django.conf import settings
from selenium import webdriver

from sandbox.services.page_url import sandbox_page_url
from sessions_app.engine import wpp_contract
from sessions_app.models import Session
from yesapp.tests.browser import new_test_driver

# Subscribes to every contract event as soon as window.WPP exists (the way the engine's
# bridge does) and records each payload as JSON, plus whether its Wids have a toString.
RECORDER_JS = """
window.__rec = [];
(function subscribe() {
  if (!window.WPP || typeof window.WPP.on !== 'function') { setTimeout(subscribe, 5); return; }
  %s.forEach(function (name) {
    window.WPP.on(name, function (payload) {
      var entry = {name: name, at: Date.now()};
      entry.data = payload === undefined ? null : JSON.parse(JSON.stringify(payload));
      if (payload && payload.from && typeof payload.from === 'object') {
        entry.fromToString = String(payload.from);
        entry.idToString = String(payload.id);
      }
      window.__rec.push(entry);
    });
  });
})();
"""

# A minimal valid PNG (1x1, red) and a tiny PDF, for media round trips.
PNG_BYTES = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)
PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Count 0/Kids[]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


@pytest.fixture
def sandbox_session(db) -> Session:
    return Session.objects.create(name="sandbox-test", sandbox=True)


@pytest.fixture
def real_session(db) -> Session:
    return Session.objects.create(name="real-test", sandbox=False)


def new_driver(profile_dir) -> webdriver.Chrome:
    return new_test_driver(profile_dir=profile_dir)


@pytest.fixture
def browser(tmp_path) -> Iterator[webdriver.Chrome]:
    """A headless Chromium with its own profile, always quit, even when the test fails."""
    driver = new_driver(tmp_path / "profile")
    try:
        yield driver
    finally:
        driver.quit()


class SandboxPage:
    """The sandbox page of one session open in `driver`, with WPP events recorded."""

    def __init__(self, driver: webdriver.Chrome, *, base_url: str, session: Session):
        self.driver, self.session = driver, session
        path = sandbox_page_url(session=session).removeprefix(settings.INTERNAL_BASE_URL)
        self.url = base_url + path
        driver.execute_cdp_cmd(
            "Page.addScriptToEvaluateOnNewDocument",
            {"source": RECORDER_JS % json.dumps(list(wpp_contract.EVENTS))},
        )

    def open(self) -> "SandboxPage":
        self.driver.get(self.url)
        self.wait_for(lambda: self.js("return !!(window.WPP && WPP.isReady)"), what="WPP.isReady")
        return self

    def js(self, script: str, *args):
        return self.driver.execute_script(script, *args)

    def call(self, body: str, *args):
        """Runs an async function body in the page; returns {ok, value} or {ok: false, error, code}."""
        script = (
            "const done = arguments[arguments.length - 1];"
            "const args = Array.prototype.slice.call(arguments, 0, -1);"
            f"(async () => {{ {body} }})().then(v => done({{ok: true, value: v === undefined ? null : v}}),"
            " e => done({ok: false, error: String(e && e.message || e), code: e && e.code || ''}));"
        )
        return self.driver.execute_async_script(script, *args)

    def value(self, body: str, *args):
        answer = self.call(body, *args)
        assert answer["ok"], answer
        return answer["value"]

    def events(self, name: str | None = None) -> list[dict]:
        recorded = self.js("return window.__rec || []")
        return [e for e in recorded if name is None or e["name"] == name]

    def clear_events(self) -> None:
        self.js("window.__rec.length = 0")

    def wait_event(self, name: str, predicate=lambda data: True, timeout: float = 10) -> dict:
        found: list[dict] = []

        def check() -> bool:
            found[:] = [e for e in self.events(name) if predicate(e["data"])]
            return bool(found)

        self.wait_for(check, timeout=timeout, what=f"event {name}")
        return found[0]

    def wait_for(self, condition, *, timeout: float = 10, what: str = "condition"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = condition()
            if result:
                return result
            time.sleep(0.05)
        names = [e["name"] for e in self.events()]
        raise AssertionError(f"timed out after {timeout}s waiting for {what}; events so far: {names}")

    def mode(self) -> str:
        return self.js("return WPP.conn.getStreamData().mode")


@pytest.fixture
def open_page(live_server, browser, transactional_db):
    """Opens a session's sandbox page in the test browser: `open_page(session)`."""

    def open_(session: Session, driver: webdriver.Chrome | None = None) -> SandboxPage:
        return SandboxPage(driver or browser, base_url=live_server.url, session=session).open()

    return open_
