import pytest

from sessions_app.models import Session, SessionStatus

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/sessions_app/session/"


def test_sessions_are_listed_filterable_and_cannot_be_added_by_hand(admin_client):
    Session.objects.create(name="desk", status=SessionStatus.CONNECTED, phone="+33612345678")
    response = admin_client.get(CHANGELIST, {"status__exact": "connected"})
    assert response.status_code == 200 and b"desk" in response.content
    assert admin_client.get(CHANGELIST + "add/").status_code == 403


def test_admin_actions_go_through_the_services(admin_client):
    session = Session.objects.create(name="desk", status=SessionStatus.CONNECTED)
    response = admin_client.post(
        CHANGELIST, {"action": "stop_sessions", "_selected_action": [session.pk]}, follow=True
    )
    session.refresh_from_db()
    assert session.status == "stopped" and session.desired_state == "stopped"
    assert b"Stop requested for 1 session" in response.content
    # Logout of a session no node runs is refused with the service's own message.
    session.status = SessionStatus.CONNECTED
    session.save()
    response = admin_client.post(
        CHANGELIST, {"action": "logout_sessions", "_selected_action": [session.pk]}, follow=True
    )
    assert b"No engine node runs this session" in response.content


def test_status_and_link_fields_are_read_only(admin_client):
    session = Session.objects.create(name="desk", status=SessionStatus.CONNECTED, sandbox=True)
    admin_client.post(
        f"{CHANGELIST}{session.pk}/change/",
        {
            "name": "renamed",
            "status": "failed",
            "sandbox": "",
            "events-TOTAL_FORMS": "0",
            "events-INITIAL_FORMS": "0",
            "desired_state": "running",
        },
    )
    session.refresh_from_db()
    assert session.name == "renamed" and session.status == "connected" and session.sandbox is True
