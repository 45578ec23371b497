"""The dashboard in a real headless Chromium against pytest-django's live server.

The first tests use sessions written straight to the database (no engine), so every page is
exercised quickly; `test_full_sandbox_flow_in_the_browser` runs the whole product: a real
engine worker, the sandbox page in its own Chromium, and this dashboard driving it.
Screenshots go to test-artifacts/dashboard/ (gitignored) for a person to look at.
"""

import time

import pytest
from PIL import Image
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from messaging.models import Direction, Message, MessageStatus
from sessions_app.models import Session
from yesapp.apikeys import apikey_ensure_initial

pytestmark = pytest.mark.browser

CONTACT = "+14155550142"


def sign_in(browser, live_server, raw_key: str) -> None:
    browser.get(live_server.url + "/login/")
    try:
        field = WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.NAME, "key-api_key")))
    except TimeoutException:
        raise AssertionError(
            f"no sign-in form at {browser.current_url}:\n{browser.page_source[:2000]}"
        ) from None
    field.send_keys(raw_key)
    button = browser.find_element(By.CSS_SELECTOR, "#key-login button[type=submit]")
    button.click()
    WebDriverWait(browser, 10).until(lambda _: _replaced(button))  # the answer page has loaded


def _replaced(element) -> bool:
    # Not EC.staleness_of: ChromeDriver may answer a look at a node of the old page with "Node
    # with given id does not belong to the document" rather than a stale-element error.
    try:
        element.is_enabled()
    except WebDriverException:
        return True
    return False


def wait(browser, timeout: float = 10):
    # Polled fragments replace their elements: a reference can go stale between two looks.
    return WebDriverWait(
        browser, timeout, poll_frequency=0.1, ignored_exceptions=[StaleElementReferenceException]
    )


def badge_status(browser, css: str) -> str:
    return browser.find_element(By.CSS_SELECTOR, css).get_attribute("data-status")


def toast_texts(browser) -> list[str]:
    return [t.text for t in browser.find_elements(By.CSS_SELECTOR, "#toasts .toast")]


def csp_violations(browser) -> list[str]:
    return [
        entry["message"]
        for entry in browser.get_log("browser")
        if "Content Security Policy" in entry["message"] or "Refused to" in entry["message"]
    ]


def requests_to(browser, fragment: str) -> int:
    return browser.execute_script(
        "return performance.getEntriesByType('resource').filter(e => e.name.includes(arguments[0])).length",
        fragment,
    )


@pytest.fixture
def printed_key(transactional_db) -> str:
    """The key a first start prints (`API Key: ...`): what a new user has in hand."""
    key = apikey_ensure_initial()
    assert key
    return key


def test_a_wrong_key_cannot_sign_in(browser, live_server, printed_key, screenshot):
    sign_in(browser, live_server, "0" * 64)
    alert = wait(browser).until(EC.visibility_of_element_located((By.CSS_SELECTOR, ".alert-bad")))
    assert "wrong or revoked" in alert.text
    assert browser.current_url.startswith(live_server.url + "/login/")
    assert browser.find_element(By.NAME, "key-api_key").get_attribute("value") == ""
    screenshot("01-sign-in-wrong-key")
    browser.get(live_server.url + "/")
    assert "/login/" in browser.current_url


def test_pages_poll_and_validate_in_the_browser(browser, live_server, printed_key, screenshot):
    connected = Session.objects.create(
        name="support", sandbox=True, status="connected", phone="+33612345678", push_name="Shop"
    )
    waiting = Session.objects.create(
        name="sales", sandbox=False, status="qr", qr_raw="2@ref,key1,key2,secret"
    )
    Session.objects.create(name="archive", sandbox=False, status="stopped", desired_state="stopped")
    for i, (direction, text) in enumerate(
        [
            (Direction.INBOUND, "Hi! Is my order on its way?"),
            (Direction.OUTBOUND, "Yes, it left this morning."),
            (Direction.INBOUND, "<script>alert('x')</script>"),
            (Direction.INBOUND, '<img src=x onerror="alert(1)">'),
        ]
    ):
        Message.objects.create(
            session=connected,
            direction=direction,
            chat_id="4915112345678@c.us",
            phone="+4915112345678",
            contact_name="Anna" if direction == Direction.INBOUND else "",
            text=text,
            status=MessageStatus.RECEIVED if direction == Direction.INBOUND else MessageStatus.READ,
        )

    sign_in(browser, live_server, printed_key)
    wait(browser).until(EC.presence_of_element_located((By.CSS_SELECTOR, "#sessions-table table")))
    row = f'[data-session-row="{waiting.pk}"] .badge'
    assert badge_status(browser, row) == "qr"
    assert printed_key not in browser.page_source
    screenshot("02-sessions")

    # The list refreshes by itself: the badge follows the database within the 3 s poll.
    Session.objects.filter(pk=waiting.pk).update(status="connected", qr_raw="", phone="+33699999999")
    wait(browser, 15).until(lambda b: badge_status(b, row) == "connected")
    assert "badge-ok" in browser.find_element(By.CSS_SELECTOR, row).get_attribute("class")

    # The session page: WhatsApp's text is shown as text, never run.
    browser.get(f"{live_server.url}/sessions/{connected.pk}/")
    texts = [p.text for p in browser.find_elements(By.CSS_SELECTOR, "#message-log .msg-text")]
    assert "<script>alert('x')</script>" in texts and '<img src=x onerror="alert(1)">' in texts
    assert browser.find_elements(By.CSS_SELECTOR, "#message-log img") == []
    screenshot("03-session-connected")

    # An invalid number is refused in the browser: an error, and no request at all.
    before = requests_to(browser, "/send")
    browser.find_element(By.NAME, "to").send_keys("0612345678")
    browser.find_element(By.NAME, "text").send_keys("hello")
    browser.find_element(By.CSS_SELECTOR, "#send-form button[type=submit]").click()
    error = wait(browser).until(EC.visibility_of_element_located((By.CSS_SELECTOR, '[data-error-for="to"]')))
    assert "international format" in error.text
    time.sleep(0.5)
    assert requests_to(browser, "/send") == before
    assert not Message.objects.filter(direction=Direction.OUTBOUND, text="hello").exists()

    # Filters: inbound only.
    browser.find_element(By.CSS_SELECTOR, '[data-filter-for="message-log"][data-value="inbound"]').click()
    wait(browser).until(
        lambda b: all(
            "msg-inbound" in li.get_attribute("class")
            for li in b.find_elements(By.CSS_SELECTOR, "#message-log li.msg")
        )
    )
    assert "direction=inbound" in browser.current_url

    # A session waiting for a scan shows its QR and the steps, and the pairing-code form.
    browser.get(f"{live_server.url}/sessions/{waiting.pk}/")
    Session.objects.filter(pk=waiting.pk).update(status="qr", qr_raw="2@ref2,k,k,s", phone="")
    qr = wait(browser, 8).until(EC.visibility_of_element_located((By.CSS_SELECTOR, "#link-panel img.qr")))
    assert qr.get_attribute("src").startswith("data:image/png;base64,")
    assert "Linked devices" in browser.find_element(By.ID, "link-panel").text
    wait(browser, 5).until(EC.visibility_of_element_located((By.ID, "pairing-form")))
    screenshot("04-session-qr")

    for name, path in [("05-stats", "/stats/"), ("06-logs", "/logs/")]:
        browser.get(live_server.url + path)
        wait(browser).until(EC.presence_of_element_located((By.CSS_SELECTOR, "main h1")))
        screenshot(name)

    # A phone-sized screen.
    browser.set_window_size(390, 844)
    browser.get(live_server.url + "/")
    wait(browser).until(EC.presence_of_element_located((By.CSS_SELECTOR, "#sessions-table table")))
    screenshot("07-sessions-phone", width=390)
    browser.get(f"{live_server.url}/sessions/{connected.pk}/")
    screenshot("08-session-phone", width=390)
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 390
    assert csp_violations(browser) == []


@pytest.mark.slow
def test_full_sandbox_flow_in_the_browser(
    browser, live_server, printed_key, engine_worker, screenshot, tmp_path
):
    photo, invoice = tmp_path / "parcel.png", tmp_path / "invoice.pdf"
    Image.new("RGB", (320, 200), (18, 140, 94)).save(photo)
    invoice.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    engine_worker("engine-dash")
    sign_in(browser, live_server, printed_key)

    # New session: a sandbox one, made from the form.
    name = wait(browser).until(EC.element_to_be_clickable((By.NAME, "name")))
    name.send_keys("demo")
    browser.find_element(By.CSS_SELECTOR, "#new-session-form button[type=submit]").click()
    wait(browser).until(EC.url_contains("/sessions/"))
    session = Session.objects.get(name="demo")
    assert session.sandbox

    # The QR appears by itself.
    qr = wait(browser, 90).until(EC.visibility_of_element_located((By.CSS_SELECTOR, "#link-panel img.qr")))
    assert qr.get_attribute("src").startswith("data:image/png;base64,")
    screenshot("10-flow-qr")

    # Link it from the sandbox phone.
    browser.find_element(By.LINK_TEXT, "No phone? Scan it with the sandbox phone").click()
    wait(browser).until(EC.presence_of_element_located((By.ID, "scan-form")))
    browser.find_element(By.CSS_SELECTOR, "#scan-form button[type=submit]").click()
    wait(browser).until(lambda b: any("Scanned" in t for t in toast_texts(b)))
    screenshot("11-flow-sandbox-scanned")

    # Back on the session page, the badge turns green within the polling interval.
    browser.get(f"{live_server.url}/sessions/{session.pk}/")
    deadline = time.monotonic() + 30
    while Session.objects.get(pk=session.pk).status != "connected":
        assert time.monotonic() < deadline, Session.objects.get(pk=session.pk).status
        time.sleep(0.1)
    wait(browser, 4).until(lambda b: badge_status(b, "#session-header .badge") == "connected")
    assert not browser.find_element(By.ID, "link-panel").is_displayed()

    # Send a message from the form.
    browser.find_element(By.NAME, "to").send_keys(CONTACT)
    browser.find_element(By.NAME, "text").send_keys("Hello from the dashboard")
    browser.find_element(By.CSS_SELECTOR, "#send-form button[type=submit]").click()
    wait(browser).until(lambda b: any("queued" in t for t in toast_texts(b)))
    sent = wait(browser, 10).until(
        EC.presence_of_element_located(
            (By.XPATH, "//*[@id='message-log']//p[text()='Hello from the dashboard']")
        )
    )
    assert sent
    wait(browser, 20).until(
        lambda b: (
            b.find_element(By.CSS_SELECTOR, "#message-log li.msg [data-msg-status]").get_attribute(
                "data-msg-status"
            )
            in ("sent", "delivered", "read")
        )
    )

    # The contact received it, with receipts.
    browser.get(f"{live_server.url}/sessions/{session.pk}/phone/")
    received = wait(browser, 15).until(
        EC.presence_of_element_located(
            (By.XPATH, "//*[@id='sandbox-outbox']//p[text()='Hello from the dashboard']")
        )
    )
    assert received
    wait(browser, 15).until(
        lambda b: (
            b.find_element(By.CSS_SELECTOR, "#sandbox-outbox [data-ack]").get_attribute("data-ack") == "read"
        )
    )

    # The contact replies, with text and then a photo; both show in the session's log.
    browser.find_element(By.NAME, "text").send_keys("Thanks, got it!")
    browser.find_element(By.CSS_SELECTOR, "#write-form button[type=submit]").click()
    wait(browser).until(lambda b: any("sent the message" in t for t in toast_texts(b)))
    browser.find_element(By.NAME, "text").send_keys("Here is the parcel")
    browser.find_element(By.NAME, "file").send_keys(str(photo))
    browser.find_element(By.CSS_SELECTOR, "#write-form button[type=submit]").click()
    wait(browser).until(lambda b: len([t for t in toast_texts(b) if "sent the message" in t]) >= 2)
    screenshot("12-flow-sandbox-phone")

    browser.get(f"{live_server.url}/sessions/{session.pk}/")
    wait(browser, 20).until(
        EC.presence_of_element_located((By.XPATH, "//*[@id='message-log']//p[text()='Thanks, got it!']"))
    )
    reply = Message.objects.get(text="Thanks, got it!")
    assert reply.direction == Direction.INBOUND and reply.phone == CONTACT
    # The photo is downloaded from the page by the engine, then previewed; a click opens the lightbox.
    thumb = wait(browser, 30).until(
        EC.element_to_be_clickable((By.CSS_SELECTOR, "#message-log a[data-lightbox] img"))
    )
    wait(browser).until(
        lambda b: b.execute_script("return arguments[0].complete && arguments[0].naturalWidth", thumb) == 320
    )
    thumb.click()
    big = wait(browser).until(EC.visibility_of_element_located((By.CSS_SELECTOR, "#lightbox img")))
    assert "/media/" in big.get_attribute("src")
    screenshot("13-flow-lightbox")
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
    wait(browser).until(EC.invisibility_of_element_located((By.ID, "lightbox")))

    # A document from the form reaches the contact, who gets a download link.
    browser.find_element(By.NAME, "to").send_keys(CONTACT)
    browser.find_element(By.NAME, "text").send_keys("Your invoice")
    browser.find_element(By.NAME, "file").send_keys(str(invoice))
    browser.find_element(By.CSS_SELECTOR, "#send-form button[type=submit]").click()
    wait(browser, 20).until(
        EC.presence_of_element_located((By.XPATH, "//*[@id='message-log']//a[contains(., 'invoice.pdf')]"))
    )
    screenshot("14-flow-session-conversation")
    browser.get(f"{live_server.url}/sessions/{session.pk}/phone/")
    wait(browser, 20).until(
        EC.presence_of_element_located((By.XPATH, "//*[@id='sandbox-outbox']//a[contains(., 'invoice.pdf')]"))
    )
    screenshot("15-flow-sandbox-outbox")

    # Log out is destructive: it asks first; dismissing changes nothing, accepting unlinks.
    browser.get(f"{live_server.url}/sessions/{session.pk}/")
    logout = '#session-header button[data-action="logout"]'
    wait(browser).until(EC.element_to_be_clickable((By.CSS_SELECTOR, logout))).click()
    wait(browser).until(EC.alert_is_present()).dismiss()
    time.sleep(0.5)
    assert Session.objects.get(pk=session.pk).status == "connected"
    wait(browser).until(EC.element_to_be_clickable((By.CSS_SELECTOR, logout))).click()
    wait(browser).until(EC.alert_is_present()).accept()
    wait(browser, 30).until(lambda b: badge_status(b, "#session-header .badge") == "qr")
    wait(browser, 10).until(EC.visibility_of_element_located((By.CSS_SELECTOR, "#link-panel img.qr")))

    # Linking again, with the pairing code instead of the QR.
    browser.find_element(By.CSS_SELECTOR, "#pairing-form input[name=phone]").send_keys("+14155550199")
    browser.find_element(By.CSS_SELECTOR, "#pairing-form button[type=submit]").click()
    # In the form's reply when the engine answered within ENGINE_COMMAND_WAIT, else in the
    # link panel on its next refresh.
    shown = (By.CSS_SELECTOR, "[data-pairing-code], [data-pairing-ready]")
    code = wait(browser, 30).until(EC.visibility_of_any_elements_located(shown))[0].text
    assert len(code) == 8
    screenshot("16-flow-pairing-code")
    browser.get(f"{live_server.url}/sessions/{session.pk}/phone/")
    phone = wait(browser).until(
        EC.visibility_of_element_located((By.CSS_SELECTOR, "#scan-form input[name=phone]"))
    )
    phone.clear()
    phone.send_keys("+14155550199")
    browser.find_element(By.CSS_SELECTOR, "#scan-form input[name=code]").send_keys(code)
    browser.find_element(By.CSS_SELECTOR, "#scan-form button[type=submit]").click()
    wait(browser).until(lambda b: any("Code accepted" in t for t in toast_texts(b)))
    wait(browser, 30).until(lambda b: "linked to +14155550199" in b.find_element(By.ID, "sandbox-state").text)
    wait(browser, 30).until(lambda b: Session.objects.get(pk=session.pk).phone == "+14155550199")
    wait(browser, 5).until(lambda b: "connected" in b.find_element(By.ID, "sandbox-state").text)
    assert csp_violations(browser) == []


def test_webhook_card_in_the_browser(browser, live_server, printed_key, screenshot, settings):
    from django.utils import timezone

    from webhooks.models import DeliveryStatus, WebhookConfig, WebhookDelivery

    settings.WEBHOOK_ALLOW_PRIVATE = True
    session = Session.objects.create(name="shop", sandbox=True, status="connected", phone="+33612345678")
    sign_in(browser, live_server, printed_key)
    browser.get(f"{live_server.url}/sessions/{session.pk}/")
    browser.find_element(By.NAME, "url").send_keys("http://127.0.0.1:9/whatsapp")
    browser.find_element(By.CSS_SELECTOR, 'input[name=events][value="message.received"]').click()
    browser.find_element(By.CSS_SELECTOR, "#webhook-form button[type=submit]").click()
    secret = wait(browser).until(EC.visibility_of_element_located((By.CSS_SELECTOR, "[data-secret]"))).text
    assert secret == WebhookConfig.objects.get(session=session).secret
    config = WebhookConfig.objects.get(session=session)
    now = timezone.now()
    for status, code, error in [
        (DeliveryStatus.SUCCEEDED, 200, ""),
        (DeliveryStatus.FAILED, 500, "HTTP 500 from the receiver"),
        (DeliveryStatus.PENDING, None, ""),
    ]:
        WebhookDelivery.objects.create(
            config=config,
            session=session,
            event="message.received",
            body="{}",
            status=status,
            attempts=3,
            last_status_code=code,
            last_error=error,
            next_attempt_at=now + timezone.timedelta(hours=1),
        )
    retry = wait(browser, 8).until(
        EC.element_to_be_clickable((By.CSS_SELECTOR, "#webhook-deliveries button"))
    )
    screenshot("09-webhook-card")
    retry.click()
    wait(browser).until(lambda b: any("queued again" in t for t in toast_texts(b)))
    # The secret is shown once: a reload does not show it again.
    browser.refresh()
    assert secret not in browser.page_source
    assert csp_violations(browser) == []
