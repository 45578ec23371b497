"""The sandbox against the real pinned wa-js bundle: every WPP function and event the engine
relies on (sessions_app/engine/wpp_contract.py) must exist in wa-js AND in the sandbox, and
the sandbox must offer nothing the engine could come to rely on that wa-js lacks."""

import functools
import http.server
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from sessions_app.engine import wpp_contract

pytestmark = pytest.mark.browser

# The sandbox's WPP, in parts (templates/sandbox/page.html loads them all).
SANDBOX_WPP = Path(settings.BASE_DIR) / "static" / "sandbox" / "wpp"
# Functions the sandbox has beyond the contract; each must exist in wa-js too (checked below).
SANDBOX_EXTRAS = {"off"}

# Every function under window.WPP, two levels deep (WPP.x and WPP.ns.x). Some wa-js getters
# reach into WhatsApp's modules and throw on a blank page: those are skipped.
LIST_FUNCTIONS_JS = """
const names = [];
for (const key of Object.keys(window.WPP)) {
  let value;
  try { value = window.WPP[key]; } catch (e) { continue; }
  if (typeof value === 'function') names.push(key);
  else if (value && typeof value === 'object') {
    for (const inner of Object.keys(value)) {
      let fn;
      try { fn = value[inner]; } catch (e) { continue; }
      if (typeof fn === 'function') names.push(key + '.' + inner);
    }
  }
}
return names;
"""


def bundle_source() -> str:
    path = wpp_contract.wajs_bundle_path()
    if not path.exists():
        pytest.fail(f"The wa-js bundle is missing at {path}: run `make install` (npm ci).")
    return path.read_text()


@pytest.fixture(scope="module")
def blank_page_server() -> Iterator[str]:
    """A local server with a blank page that loads the real bundle by a script tag."""
    bundle = bundle_source().encode()
    html = (
        b"<!doctype html><html><head><script>window.WPPConfig = {disableGoogleAnalytics: true};</script>"
        b'<script src="/wppconnect-wa.js"></script></head><body></body></html>'
    )

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body, kind = (
                (bundle, "text/javascript") if self.path == "/wppconnect-wa.js" else (html, "text/html")
            )
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=functools.partial(server.serve_forever, poll_interval=0.1), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


def resolve_functions(driver, names) -> dict[str, str]:
    """typeof each dotted name under window.WPP ('missing' when a part is absent)."""
    return driver.execute_script(
        """
        const out = {};
        for (const name of arguments[0]) {
          let value = window.WPP;
          for (const part of name.split('.')) {
            try { value = value == null ? undefined : value[part]; } catch (e) { value = undefined; }
          }
          out[name] = value === undefined ? 'missing' : typeof value;
        }
        return out;
        """,
        list(names),
    )


def load_wajs(browser, url: str) -> None:
    browser.get(url)
    assert browser.execute_script(
        "return typeof window.WPP === 'object' && typeof window.WPP.on === 'function'"
    )


def test_every_contract_function_is_a_function_in_the_real_wa_js(browser, blank_page_server):
    load_wajs(browser, blank_page_server)
    types = resolve_functions(browser, [*wpp_contract.FUNCTIONS, *SANDBOX_EXTRAS])
    assert {name: kind for name, kind in types.items() if kind != "function"} == {}
    # The flags the engine waits on exist (false on a blank page: WhatsApp is not there).
    assert browser.execute_script(
        "return [typeof WPP.isReady, typeof WPP.isInjected, typeof WPP.isFullReady]"
    ) == ["boolean", "boolean", "boolean"]


def test_every_contract_event_is_emitted_by_the_real_wa_js():
    """wa-js emits its events with `internalEv.emit("<name>", payload)` (`emitAsync` for
    `chat.new_reaction`); an event name that only appears in a type or a comment would not match."""
    source = bundle_source()
    missing = [
        name
        for name in wpp_contract.EVENTS
        if not re.search(r"\.emit(?:Async)?\(\s*\"" + re.escape(name) + '"', source)
    ]
    assert missing == []


def test_the_sandbox_has_every_contract_function_and_nothing_wa_js_lacks(open_page, sandbox_session):
    page = open_page(sandbox_session)
    types = resolve_functions(page.driver, wpp_contract.FUNCTIONS)
    assert {name: kind for name, kind in types.items() if kind != "function"} == {}
    offered = set(page.js(LIST_FUNCTIONS_JS))
    assert offered - set(wpp_contract.FUNCTIONS) == SANDBOX_EXTRAS
    assert page.js("return [WPP.isReady, WPP.isInjected, WPP.isFullReady]") == [True, True, True]


def test_the_sandbox_emits_every_contract_event():
    """Each contract event has an emit in one of the sandbox's scripts (the page tests prove
    they fire with wa-js's payload shapes)."""
    source = "\n".join(path.read_text() for path in sorted(SANDBOX_WPP.glob("*.js")))
    emitted = set(re.findall(r"emit\('([a-z_]+\.[a-z_]+)'", source))
    assert set(wpp_contract.EVENTS) - emitted == set()
    assert emitted - set(wpp_contract.EVENTS) == set()
