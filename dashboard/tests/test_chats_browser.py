"""The Chats page (the inbox) in a real headless Chromium against the live server, at a
desktop's and a phone's width: it fits the screen (nothing scrolls sideways), the reply box
is in view when a chat is open, and groups read by their subject. Screenshots go to
test-artifacts/dashboard/."""

from datetime import timedelta

import pytest
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from dashboard.tests.test_browser import sign_in, wait
from groups.subjects import remember_subjects
from messaging.models import Direction, Message, MessageStatus
from sessions_app.models import Session
from yesapp.apikeys import apikey_ensure_initial

pytestmark = pytest.mark.browser

ANNA = "4915112345678@c.us"
TEAM = "120363025246125888@g.us"
SUBJECT = "Spring fair volunteers — stalls, cakes, parking and the raffle (2027 edition)"
LONG_LINK = "https://example.com/orders/" + "a1b2c3d4e5" * 12


@pytest.fixture
def printed_key(transactional_db) -> str:
    return apikey_ensure_initial()


@pytest.fixture
def shop(transactional_db) -> Session:
    session = Session.objects.create(name="shop", sandbox=True, status="connected", phone="+33612345678")
    now = timezone.now()
    said = [
        (ANNA, Direction.INBOUND, "Is my order on its way? " + LONG_LINK),
        (ANNA, Direction.OUTBOUND, "It left this morning, tracking to follow."),
        (TEAM, Direction.INBOUND, "Who brings the cake?"),
        (TEAM, Direction.OUTBOUND, "I do! " + "🎂" * 40),
        (TEAM, Direction.INBOUND, "Parking is behind the hall, gate B" + "." * 200),
    ]
    for n, (chat, direction, text) in enumerate(said):
        message = Message.objects.create(
            session=session,
            direction=direction,
            chat_id=chat,
            phone="+4915112345678" if chat == ANNA else "",
            author="4915100000000@c.us" if chat == TEAM and direction == Direction.INBOUND else "",
            contact_name="Anna" if chat == ANNA else "Carl",
            text=text,
            status=MessageStatus.RECEIVED if direction == Direction.INBOUND else MessageStatus.SENT,
        )
        Message.objects.filter(pk=message.pk).update(created_at=now - timedelta(minutes=10 - n))
    remember_subjects(session_id=session.pk, groups=[{"id": TEAM, "subject": SUBJECT}])
    return session


def layout(browser) -> dict:
    """The page's width against the window's, and where the reply box is, if any."""
    return browser.execute_script(
        """
        const box = document.querySelector('#reply-form textarea');
        const r = box && box.getBoundingClientRect();
        return {
          scrollWidth: document.documentElement.scrollWidth,
          innerWidth: window.innerWidth,
          innerHeight: window.innerHeight,
          box: r && {left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width},
        };
        """
    )


def open_page(browser, url: str) -> None:
    browser.get(url)
    wait(browser).until(EC.presence_of_element_located((By.CSS_SELECTOR, "#chat-list .chat-list")))


@pytest.mark.parametrize(("width", "height", "name"), [(1280, 800, "desktop"), (390, 844, "phone")])
def test_chats_fit_the_screen_with_the_reply_box_in_view(
    browser, live_server, printed_key, shop, screenshot, width, height, name
):
    browser.set_window_size(width, height)
    sign_in(browser, live_server, printed_key)
    base = f"{live_server.url}/sessions/{shop.pk}/chats/"

    open_page(browser, base)
    names = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#chat-list .chat-name")]
    assert names[0].startswith("👥 Spring fair volunteers") and names[1] == "Anna", names
    seen = layout(browser)
    assert seen["scrollWidth"] <= seen["innerWidth"], seen
    screenshot(f"chats-list-{name}", width=width)

    open_page(browser, f"{base}{TEAM}/")
    title = browser.find_element(By.ID, "thread-title")
    assert title.get_attribute("title") == SUBJECT and title.is_displayed()
    assert title.size["height"] < 60  # one line, cut short with an ellipsis when too long
    # On a phone the open chat has the screen, the list one tap back; a desktop shows both.
    back = browser.find_element(By.CSS_SELECTOR, ".inbox-back")
    assert back.is_displayed() == (width < 760)
    assert browser.find_element(By.ID, "chat-list").is_displayed() == (width >= 760)
    seen = layout(browser)
    assert seen["scrollWidth"] <= seen["innerWidth"], seen
    box = seen["box"]
    # The reply box is on screen as the page opens, wide enough to write in.
    assert box and box["left"] >= 0 and box["right"] <= seen["innerWidth"], seen
    assert box["top"] >= 0 and box["bottom"] <= seen["innerHeight"], seen
    assert box["width"] >= min(200, width / 2), seen
    assert browser.find_element(By.CSS_SELECTOR, "#reply-form textarea").is_displayed()
    screenshot(f"chats-thread-{name}", width=width)


@pytest.mark.slow
def test_a_sandbox_group_reads_by_its_subject_and_a_rename_follows(browser, live_server, api, engine_worker):
    """Through every real part: a simulated person makes a group with the session (the page's
    group.participant_changed has the engine read its subject), a member writes in it, and the
    Chats list names it; renamed through the API, the list follows without a reload."""
    from sessions_app.tests.helpers import PHONE, create_and_link, wait_for

    owner, ana = "+4915112345678", "+4915187654321"
    engine_worker("engine-chats")
    session = create_and_link(api, name="chats-groups")
    sandbox = f"/api/v1/sandbox/sessions/{session.id}"
    created = api.post(
        f"{sandbox}/groups", {"owner": owner, "subject": "Club", "participants": [ana]}, format="json"
    )
    assert created.status_code == 201, created.content
    gid = created.json()["id"]
    api.post(f"{sandbox}/groups/{gid}/messages", {"from": ana, "text": "hi from the club"}, format="json")
    wait_for(
        lambda: Message.objects.filter(session_id=session.id, chat_id=gid).exists() or None,
        30,
        what="message",
    )

    sign_in(browser, live_server, api._credentials["HTTP_X_API_KEY"])
    browser.set_window_size(1280, 800)
    browser.get(f"{live_server.url}/sessions/{session.id}/chats/")
    row = f'#chat-list [data-chat="{gid}"] .chat-name'
    wait(browser, 20).until(lambda b: b.find_element(By.CSS_SELECTOR, row).text.endswith("Club"))
    browser.execute_script("window.__notReloaded = true")

    # The owner makes the session an admin; the session renames the group through the API.
    api.post(
        f"{sandbox}/groups/{gid}/participants",
        {"by": owner, "action": "promote", "participants": [PHONE]},
        format="json",
    )
    renamed = wait_for(
        lambda: (
            (
                r := api.patch(
                    f"/api/v1/sessions/{session.id}/groups/{gid}", {"subject": "Club 2027"}, format="json"
                )
            ).status_code
            == 200
            and r
        ),
        30,
        what="the rename",
    )
    assert renamed.json()["subject"] == "Club 2027"
    wait(browser, 20).until(lambda b: b.find_element(By.CSS_SELECTOR, row).text.endswith("Club 2027"))
    assert browser.execute_script("return window.__notReloaded") is True
    browser.get(f"{live_server.url}/sessions/{session.id}/chats/{gid}/")
    assert browser.find_element(By.ID, "thread-title").text == "Club 2027"
