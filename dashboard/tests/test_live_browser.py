"""The dashboard live, in a real headless Chromium: the Chats page follows the event stream
(static/dashboard/live.js) and shows an inbound message and a status change without a reload,
and falls back to polling when the browser has no EventSource.

The web server is the one `make run` starts (gunicorn with uvicorn workers, events/tests'
WebServer): the stream needs ASGI, which pytest-django's live server is not. The message is
stored and announced as the engine does for a sandbox contact's message (stored, then
message_emit_received), so the stream carries exactly what a real one would.
"""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from dashboard.tests.test_browser import sign_in, wait
from events.tests.conftest import WebServer, web_server_process  # noqa: F401 (a fixture)
from messaging.inbound_media import message_emit_received
from messaging.models import Direction, Message, MessageStatus
from sessions_app.models import Session
from sessions_app.services import session_set_status
from yesapp.apikeys import apikey_create

pytestmark = pytest.mark.browser

ANNA = "4915112345678@c.us"
# Set once on the open page: still there later means the page was never reloaded.
MARKER = "window.__yesappPageMarker"


@pytest.fixture
def web(web_server_process) -> WebServer:  # noqa: F811 (pytest hands in the imported fixture)
    return web_server_process


@pytest.fixture
def shop(transactional_db) -> Session:
    session = Session.objects.create(name="shop", sandbox=True, status="connected", phone="+33612345678")
    inbound(session, "Is my order on its way?", announce=False)
    return session


def inbound(session: Session, text: str, *, announce: bool = True) -> Message:
    message = Message.objects.create(
        session=session,
        direction=Direction.INBOUND,
        chat_id=ANNA,
        phone="+4915112345678",
        contact_name="Anna",
        text=text,
        status=MessageStatus.RECEIVED,
        wa_id=f"false_{ANNA}_{text[:8]}",
    )
    if announce:
        message_emit_received(message=message)
    return message


def open_chat(browser, web: WebServer, session: Session) -> None:
    _, raw = apikey_create(name="browser")
    sign_in(browser, web, raw)  # sign_in reads `.url`, as of a live server
    browser.get(f"{web.url}/sessions/{session.pk}/chats/{ANNA}/")
    wait(browser).until(EC.presence_of_element_located((By.CSS_SELECTOR, "#chat-thread .thread")))
    browser.execute_script(f"{MARKER} = 'first load'")


def thread_texts(browser) -> list[str]:
    return [p.text for p in browser.find_elements(By.CSS_SELECTOR, "#chat-thread .bubble .msg-text")]


def live_state(browser) -> str:
    return browser.execute_script("return document.documentElement.getAttribute('data-live-state')")


def test_an_inbound_message_and_a_status_change_arrive_by_the_stream_without_a_reload(
    browser, web, shop, screenshot
):
    open_chat(browser, web, shop)
    wait(browser, 20).until(lambda b: live_state(b) == "streaming")

    inbound(shop, "Hello? Anyone there?")
    # While the stream is open the fragments are polled every 30 s only: seeing it this soon
    # means the stream brought it (20 s: generous for a loaded machine, not a latency figure).
    wait(browser, 20).until(lambda b: "Hello? Anyone there?" in thread_texts(b))
    assert thread_texts(browser) == ["Is my order on its way?", "Hello? Anyone there?"]
    last = browser.find_element(By.CSS_SELECTOR, f'#chat-list [data-chat="{ANNA}"] .chat-last')
    wait(browser, 20).until(lambda _: "Anyone there" in last.text)
    assert browser.execute_script(f"return {MARKER}") == "first load"
    assert browser.execute_script("return window.yesappLive.events") >= 1
    screenshot("chats-live")

    session_set_status(session_id=shop.pk, status="disconnected", reason="test")
    badge = "#chats-session-status"
    wait(browser, 20).until(
        lambda b: b.find_element(By.CSS_SELECTOR, badge).get_attribute("data-status") == "disconnected"
    )
    assert browser.execute_script(f"return {MARKER}") == "first load"


def test_without_event_source_the_page_polls_and_still_shows_new_messages(browser, web, shop):
    # A browser (or proxy) without Server-Sent Events: live.js leaves the page to app.js's polls.
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": "delete window.EventSource;"})
    open_chat(browser, web, shop)
    wait(browser, 10).until(lambda b: live_state(b) == "polling")

    inbound(shop, "Polled in")
    wait(browser, 20).until(lambda b: "Polled in" in thread_texts(b))
    assert browser.execute_script(f"return {MARKER}") == "first load"
    assert browser.execute_script("return window.yesappLive.events") == 0
