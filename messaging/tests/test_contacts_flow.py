"""Contact questions through every real part: API → Celery → engine worker → Chromium on the
sandbox page (its WPP.contact.queryWidExists and getPnLidEntry) → the sandbox's directory."""

import pytest

from sandbox.contacts import sandbox_lid_of
from sessions_app.tests.helpers import create_and_link, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ON = "+33698765432"
OFF = "+33698760000"  # the sandbox's rule: numbers ending in 0000 are not on WhatsApp
STRANGER = "+33698761234"  # known only by lid until they message the session


def test_check_numbers_look_up_lids_and_pair_senders_in_the_browser(api, engine_worker):
    engine_worker("engine-a")
    session = create_and_link(api, name="contacts")
    base = f"/api/v1/sessions/{session.id}/contacts"

    response = api.post(f"{base}/check", {"phones": [ON, OFF]}, format="json")
    assert response.status_code == 200, response.content
    on, off = response.json()["results"]
    assert (on["phone"], on["exists"], on["chatId"]) == (ON, True, "33698765432@c.us")
    assert on["lid"] == sandbox_lid_of(ON)
    assert (off["phone"], off["exists"], off["chatId"], off["lid"]) == (OFF, False, None, None)
    assert api.get(f"{base}/check", {"phone": ON}).json() == on  # from the cache

    refused = api.post(f"/api/v1/sessions/{session.id}/messages", {"to": OFF, "text": "hi"}, format="json")
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "not_on_whatsapp"

    hidden = sandbox_lid_of(STRANGER)
    assert api.get(f"{base}/lid/{hidden}").json() == {"phone": None, "lid": hidden}
    inbound = api.post(
        f"/api/v1/sandbox/sessions/{session.id}/inbound", {"from": STRANGER, "text": "hi"}, format="json"
    )
    assert inbound.status_code in (200, 201, 202), inbound.content
    assert api.get(f"{base}/lid/{hidden}").json() == {"phone": STRANGER, "lid": hidden}
    received = wait_for(
        lambda: api.get(f"/api/v1/sessions/{session.id}/messages", {"direction": "inbound"}).json()["items"],
        30,
        what="the stranger's message",
    )
    assert received[0]["from"] == "33698761234@c.us"
    assert received[0]["contact"] == {"phone": STRANGER, "lid": hidden}

    lid = api.get(f"{base}/phone/+33698765431/lid").json()
    assert lid == {"phone": "+33698765431", "lid": sandbox_lid_of("+33698765431")}
