"""`GET /api/v1/events/stream` in a real browser's `EventSource` (headless Chromium), signed
in to the dashboard, against the web server as `make run` starts it.

What only a browser shows: the dashboard's sign-in cookie opens the stream (an `EventSource`
cannot send headers), the browser parses our SSE framing, and when the connection drops the
browser itself reconnects with `Last-Event-ID` and gets exactly what it missed.

Messages arrive through messaging's own handler of wa-js `chat.new_message`, what the engine
calls for a sandbox contact's message, run in the test's process.
"""

import pytest
from selenium.webdriver.support.ui import WebDriverWait

from dashboard.tests.test_browser import sign_in
from events.tests.test_stream import receive
from yesapp.apikeys import apikey_ensure_initial
from yesapp.tests.browser import new_test_driver

pytestmark = pytest.mark.browser

# Generous: on a loaded machine the web server's restart alone can take many seconds.
WAIT = 90

OPEN_STREAM = """
window.seen = [];
window.opened = 0;
const source = new EventSource('/api/v1/events/stream');
source.addEventListener('message.received', (e) => {
  window.seen.push({id: Number(e.lastEventId), text: JSON.parse(e.data).text});
});
source.onopen = () => { window.opened += 1; };
window.source = source;
"""


@pytest.fixture
def browser():
    driver = new_test_driver(extra_flags=("--lang=en-US",))
    try:
        yield driver
    finally:
        driver.quit()


def seen(browser) -> list[dict]:
    return browser.execute_script("return window.seen")


def wait_until(browser, condition, what: str):
    WebDriverWait(browser, WAIT, poll_frequency=0.2).until(lambda _: condition(), message=what)


def test_event_source_signed_in_gets_messages_in_order_and_resumes_after_a_restart(
    browser, web_server_process, make_session
):
    session = make_session()
    session.sandbox = True
    session.save(update_fields=["sandbox"])
    sign_in(browser, web_server_process, apikey_ensure_initial())
    browser.execute_script(OPEN_STREAM)
    wait_until(browser, lambda: browser.execute_script("return window.opened") == 1, "the stream to open")

    for n in range(5):
        receive(session, n)
    wait_until(browser, lambda: len(seen(browser)) >= 5, "5 events")
    first = seen(browser)
    assert [e["text"] for e in first] == [f"message {n}" for n in range(5)]
    ids = [e["id"] for e in first]
    assert ids == sorted(ids) and len(set(ids)) == 5

    # The connection drops (a deploy restarts the web server); 3 messages arrive meanwhile.
    web_server_process.stop()
    for n in range(5, 8):
        receive(session, n)
    web_server_process.start()
    # The browser reconnects on its own, sending the id of the last event it got.
    wait_until(browser, lambda: browser.execute_script("return window.opened") >= 2, "the reconnect")
    wait_until(browser, lambda: len(seen(browser)) >= 8, "the 3 missed events")
    receive(session, 8)  # the next one after the reconnect: nothing else came in between
    wait_until(browser, lambda: len(seen(browser)) >= 9, "the event after the reconnect")
    everything = seen(browser)
    assert [e["text"] for e in everything] == [f"message {n}" for n in range(9)]
    assert len({e["id"] for e in everything}) == 9
    assert browser.execute_script("return window.source.readyState") == 1  # OPEN
