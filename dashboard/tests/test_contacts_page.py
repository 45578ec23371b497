"""The Contacts page: its WhatsApp contacts with a search, a number check and block / unblock.
In a test client against stored rows (a session that is not connected), then in a real
Chromium against a linked sandbox session through a real engine worker."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from dashboard.tests.test_browser import sign_in, toast_texts, wait
from messaging.models import Contact
from sessions_app.tests.helpers import create_and_link

ALICE = "+33698765401"


def test_a_session_that_is_not_connected_shows_the_stored_list_and_the_reason(admin_client, make_session):
    session = make_session(status="disconnected")
    Contact.objects.create(session=session, wa_id="33612345678@c.us", phone="+33612345678", name="Alice")
    Contact.objects.create(session=session, wa_id="33612345679@c.us", phone="+33612345679", push_name="Bob")
    Contact.objects.create(session=session, wa_id="33612345670@c.us", name="Gone")  # no longer listed
    Contact.objects.filter(name__in=["Alice"]).update(listed_at="2026-11-27T10:00:00Z")
    Contact.objects.filter(push_name="Bob").update(listed_at="2026-11-27T10:00:00Z")

    page = admin_client.get(f"/sessions/{session.pk}/contacts/")
    found = admin_client.get(f"/sessions/{session.pk}/contacts/", {"q": "bob"})

    assert page.status_code == 200
    body = page.content.decode()
    assert "not connected" in body and "Alice" in body and "Bob" in body and "Gone" not in body
    assert "Bob" in found.content.decode() and "Alice" not in found.content.decode()


def test_blocking_through_a_session_that_is_not_connected_says_why(admin_client, make_session):
    session = make_session(status="disconnected")

    response = admin_client.post(
        f"/sessions/{session.pk}/contacts/33612345678@c.us/block",
        {"block": "1"},
        HTTP_X_REQUESTED_WITH="fetch",
    )

    assert response.status_code == 409
    assert response.json()["code"] == "session_not_connected"


def test_blocking_an_id_that_is_not_a_person_is_refused(admin_client, make_session):
    session = make_session(status="connected")

    response = admin_client.post(f"/sessions/{session.pk}/contacts/1203630@g.us/block", {"block": "1"})

    assert response.status_code == 302  # back to the list with the reason as a flash message
    assert Contact.objects.count() == 0


@pytest.mark.browser
@pytest.mark.slow
def test_contacts_page_searches_checks_and_blocks_in_the_browser(
    browser, live_server, api, raw_api_key, engine_worker, screenshot
):
    engine_worker("engine-contacts")
    session = create_and_link(api, name="contacts-page")
    sign_in(browser, live_server, raw_api_key)

    # The contact's profile, set from the sandbox phone page.
    browser.get(f"{live_server.url}/sessions/{session.pk}/phone/")
    phone = wait(browser).until(EC.presence_of_element_located((By.ID, "profile-phone")))
    phone.clear()
    phone.send_keys(ALICE)
    browser.find_element(By.ID, "profile-saved_name").send_keys("Alice Martin")
    browser.find_element(By.ID, "profile-business").click()
    browser.find_element(By.CSS_SELECTOR, "#profile-form button[type=submit]").click()
    wait(browser, 20).until(lambda b: any("profile is set" in t for t in toast_texts(b)))

    browser.get(f"{live_server.url}/sessions/{session.pk}/contacts/")
    row = wait(browser, 20).until(
        EC.presence_of_element_located((By.CSS_SELECTOR, "[data-contact='33698765401@c.us']"))
    )
    assert "Alice Martin" in row.text and ALICE in row.text and "business" in row.text

    browser.find_element(By.ID, "check_phone").send_keys("+33698760000")
    browser.find_element(By.CSS_SELECTOR, "#contact-check-form button[type=submit]").click()
    wait(browser, 20).until(lambda b: any("not on WhatsApp" in t for t in toast_texts(b)))

    row.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(browser, 20).until(
        EC.presence_of_element_located((By.CSS_SELECTOR, "[data-contact='33698765401@c.us'] [data-blocked]"))
    )
    assert api.get(f"/api/v1/sandbox/sessions/{session.id}/contacts/{ALICE}").json()["blocked"] is True
    screenshot("40-contacts-blocked")

    search = browser.find_element(By.ID, "contact-search")
    search.send_keys("nobody")
    search.submit()
    wait(browser).until(lambda b: "No contact matches" in b.page_source)


def test_the_sandbox_phone_sets_a_contacts_profile(admin_client, make_session):
    session = make_session(status="connected")

    response = admin_client.post(
        f"/sessions/{session.pk}/phone/profile",
        {"phone": "+33612345678", "saved_name": "Bakery", "about": "Fresh bread", "business": "on"},
        HTTP_X_REQUESTED_WITH="fetch",
    )
    absent = admin_client.post(
        f"/sessions/{session.pk}/phone/profile", {"phone": "+33612340000"}, HTTP_X_REQUESTED_WITH="fetch"
    )

    assert response.status_code == 200, response.content
    contact = session.sandbox_contacts.get()
    assert (contact.saved_name, contact.about, contact.business, contact.picture) == (
        "Bakery",
        "Fresh bread",
        True,
        False,
    )
    assert absent.status_code == 400
    assert absent.json()["code"] == "not_on_whatsapp"
