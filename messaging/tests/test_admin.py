"""The admin's read-only pages for what the engine writes (contacts)."""

import pytest

from messaging.models import Contact
from sessions_app.models import Session

pytestmark = pytest.mark.django_db
CONTACTS = "/admin/messaging/contact/"


def test_contacts_are_found_by_number_and_name_and_cannot_be_added_or_changed(admin_client):
    session = Session.objects.create(name="desk")
    ana = Contact.objects.create(session=session, wa_id="33611111111@c.us", phone="+33611111111", name="Ana")
    Contact.objects.create(session=session, wa_id="33622222222@c.us", phone="+33622222222", push_name="Bo")

    found = admin_client.get(CONTACTS, {"q": "+3361111"}).content.decode()
    assert "33611111111@c.us" in found and "33622222222@c.us" not in found
    assert "33622222222@c.us" in admin_client.get(CONTACTS, {"q": "Bo"}).content.decode()
    assert admin_client.get(CONTACTS + "add/").status_code == 403
    page = admin_client.get(f"{CONTACTS}{ana.pk}/change/")
    assert page.status_code == 200 and b'name="name"' not in page.content  # shown, not editable
    admin_client.post(f"{CONTACTS}{ana.pk}/change/", {"name": "Changed"})
    ana.refresh_from_db()
    assert ana.name == "Ana"
