"""The dashboard's layout and live updates in a real headless Chromium: the message log keeps
the reader's place while it refreshes, and links read on one line at any width."""

import time

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from dashboard.tests.test_browser import sign_in, wait
from messaging.models import Direction, Message, MessageStatus
from sessions_app.models import Session
from yesapp.apikeys import apikey_ensure_initial

pytestmark = pytest.mark.browser


@pytest.fixture
def printed_key(transactional_db) -> str:
    return apikey_ensure_initial()


def test_message_log_keeps_its_scroll_and_the_readers_place_as_messages_arrive(
    browser, live_server, printed_key
):
    session = Session.objects.create(name="busy", sandbox=True, status="connected", phone="+33612345678")

    def message(n: int, **fields) -> Message:
        fields.setdefault("direction", Direction.INBOUND)
        fields.setdefault("status", MessageStatus.RECEIVED)
        return Message.objects.create(
            session=session,
            chat_id="4915112345678@c.us",
            phone="+4915112345678",
            text=f"Message {n}",
            **fields,
        )

    messages = [message(n) for n in range(30)]
    outbound = message(30, direction=Direction.OUTBOUND, status=MessageStatus.SENT)
    browser.set_window_size(1000, 800)
    sign_in(browser, live_server, printed_key)
    browser.get(f"{live_server.url}/sessions/{session.pk}/")
    log = wait(browser).until(EC.presence_of_element_located((By.CSS_SELECTOR, "#message-log .msglog")))
    # The reader scrolls down the log and reads an older message.
    browser.execute_script("arguments[0].scrollTop = 600", log)
    place = """
        const log = document.querySelector('#message-log .msglog');
        const top = log.getBoundingClientRect().top;
        const item = [...log.children].find(li => li.getBoundingClientRect().bottom > top + 1);
        const offset = item.getBoundingClientRect().top - top;
        return [log.scrollTop, item.dataset.messageId, offset, log === arguments[0]];
    """
    scroll, reading, offset, _ = browser.execute_script(place, log)
    assert scroll > 0 and reading
    time.sleep(4)  # past the first poll, which used to replace the list 3 s after load
    assert browser.execute_script(place, log)[:3] == [scroll, reading, offset]

    # New messages arrive at the top and a status changes: the list is updated in place.
    newer = [message(n) for n in range(31, 34)]
    Message.objects.filter(pk=outbound.pk).update(status=MessageStatus.READ)
    new_item = f'#message-log [data-message-id="{newer[-1].pk}"]'
    wait(browser, 15).until(EC.presence_of_element_located((By.CSS_SELECTOR, new_item)))
    wait(browser).until(
        lambda b: (
            b.find_element(
                By.CSS_SELECTOR, f'[data-message-id="{outbound.pk}"] [data-msg-status]'
            ).get_attribute("data-msg-status")
            == "read"
        )
    )
    now_scroll, now_reading, now_offset, same_list = browser.execute_script(place, log)
    assert same_list, "the list element was replaced"
    assert now_reading == reading and abs(now_offset - offset) <= 2, (offset, now_offset)
    assert now_scroll > scroll  # it moved down by the height of what arrived above
    assert str(messages[0].pk) in browser.find_element(By.CSS_SELECTOR, "#message-log").get_attribute(
        "innerHTML"
    )


def test_the_sandbox_phone_link_reads_on_one_line_on_any_screen(browser, live_server, printed_key):
    session = Session.objects.create(
        name="a-sandbox-session-with-a-long-name", sandbox=True, status="connected", phone="+33612345678"
    )
    sign_in(browser, live_server, printed_key)
    for width in (1280, 820, 390):
        browser.set_window_size(width, 900)
        browser.get(f"{live_server.url}/sessions/{session.pk}/")
        link = wait(browser).until(
            EC.presence_of_element_located(
                (By.CSS_SELECTOR, f'.facts a[href="/sessions/{session.pk}/phone/"]')
            )
        )
        lines, right, card_right = browser.execute_script(
            "const r = arguments[0].getClientRects();"
            "return [r.length, arguments[0].getBoundingClientRect().right,"
            " arguments[0].closest('.card').getBoundingClientRect().right];",
            link,
        )
        assert lines == 1 and right <= card_right, (width, lines, right, card_right)
