"""The Groups page, the call setting and the sandbox phone's groups and calls, in a real headless
Chromium against the live server, with a real engine worker running the session's own Chromium
on the sandbox page."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from dashboard.tests.test_browser import sign_in, toast_texts, wait
from sandbox.models import SandboxGroup
from sessions_app.tests.helpers import PHONE, create_and_link, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]
OWNER, ANA, BOB = "+4915112345678", "+4915187654321", "+4915100001111"


def fill(browser, form_id: str, values: dict) -> None:
    for name, value in values.items():
        field = browser.find_element(By.CSS_SELECTOR, f"#{form_id} [name={name}]")
        if field.get_attribute("type") == "checkbox":
            if field.is_selected() != value:
                field.click()
        elif field.tag_name == "select":
            field.find_element(By.CSS_SELECTOR, f"option[value={value}]").click()
        else:
            field.clear()
            field.send_keys(value)
    browser.find_element(By.CSS_SELECTOR, f"#{form_id} button[type=submit]").click()


def flash(browser) -> str:
    return " ".join(
        e.text for e in browser.find_elements(By.CSS_SELECTOR, ".flash, .messages li, [role=status]")
    )


def test_groups_and_calls_from_the_dashboard(browser, live_server, api, engine_worker, screenshot):
    engine_worker("engine-dg")
    session = create_and_link(api, name="dash-groups")
    raw_key = api._credentials["HTTP_X_API_KEY"]
    sign_in(browser, live_server, raw_key)

    # A simulated person makes a group with the session, from the sandbox phone page.
    browser.get(f"{live_server.url}/sessions/{session.pk}/phone/")
    fill(browser, "sandbox-group-form", {"owner": OWNER, "subject": "Club", "participants": ANA})
    wait(browser).until(lambda b: any("created 'Club'" in t for t in toast_texts(b)))
    gid = SandboxGroup.objects.get(session=session).gid
    fill(
        browser, "sandbox-group-write-form", {"group_id": gid, "from_phone": ANA, "text": "hi from the club"}
    )
    wait(browser).until(lambda b: any("wrote in the group" in t for t in toast_texts(b)))

    # The Groups page shows it with roles; the session is not an admin, so it cannot add.
    browser.get(f"{live_server.url}/sessions/{session.pk}/groups/")
    card = wait(browser, 20).until(EC.presence_of_element_located((By.CSS_SELECTOR, f"[data-group='{gid}']")))
    assert "Club" in card.text and "superadmin" in card.text and PHONE in card.text
    screenshot("40-groups-page")
    card.find_element(By.CSS_SELECTOR, "form.row2 [name=person]").send_keys(BOB)
    card.find_element(By.CSS_SELECTOR, "form.row2 button[type=submit]").click()
    wait(browser).until(lambda b: "admin" in b.page_source and "Only the group's admins" in b.page_source)

    # The session creates its own group and adds someone.
    fill(browser, "group-create-form", {"subject": "Shop", "participants": ANA})
    wait(browser, 20).until(lambda b: "Group 'Shop' created" in b.page_source)
    shop = wait(browser, 20).until(
        lambda b: [c for c in b.find_elements(By.CSS_SELECTOR, "[data-group]") if "Shop" in c.text]
    )[0]
    shop.find_element(By.CSS_SELECTOR, "form.row2 [name=person]").send_keys(BOB)
    shop.find_element(By.CSS_SELECTOR, "form.row2 button[type=submit]").click()
    wait(browser, 20).until(lambda b: f"{BOB}: added" in b.page_source)
    shop = [c for c in browser.find_elements(By.CSS_SELECTOR, "[data-group]") if "Shop" in c.text][0]
    assert BOB in shop.text
    shop.find_element(By.XPATH, ".//button[text()='Show the invite link']").click()
    wait(browser, 20).until(lambda b: "https://chat.whatsapp.com/" in b.page_source)
    screenshot("41-groups-invite")

    # The call setting, then a call from the sandbox phone: rejected, and reported.
    browser.get(f"{live_server.url}/sessions/{session.pk}/")
    fill(browser, "call-settings-form", {"reject_calls": True, "reject_message": "Please write."})
    wait(browser).until(lambda b: any("rejected automatically" in t for t in toast_texts(b)))
    browser.get(f"{live_server.url}/sessions/{session.pk}/phone/")
    fill(browser, "sandbox-ring-form", {"from_phone": ANA, "video": True})
    wait(browser).until(lambda b: any("is calling" in t for t in toast_texts(b)))
    events = wait_for(
        lambda: api.get("/api/v1/events", {"session": str(session.pk), "types": "call.received"}).json()[
            "items"
        ],
        30,
        what="call.received",
    )
    assert events[0]["data"]["rejected"] is True and events[0]["data"]["video"] is True
