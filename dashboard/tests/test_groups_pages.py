"""The Groups page and the call setting without an engine: what a session that is not connected
shows, the forms' checks, and who may change what."""

from django.urls import reverse

from calls.models import CallSettings
from dashboard.tests.conftest import grant

FETCH = {"HTTP_X_REQUESTED_WITH": "fetch"}


def test_the_groups_page_of_a_session_that_is_not_connected_says_why(admin_client, make_session):
    session = make_session("idle", status="disconnected")
    page = admin_client.get(reverse("dashboard:groups", args=[session.pk]))
    assert page.status_code == 200
    assert b"not connected" in page.content and b"Create a group" in page.content


def test_creating_a_group_checks_the_numbers_before_asking_whatsapp(admin_client, make_session):
    session = make_session("idle", status="connected")
    url = reverse("dashboard:group-create", args=[session.pk])
    bad = admin_client.post(url, {"subject": "Team", "participants": "+33612345678, hello"}, **FETCH)
    assert bad.status_code == 400 and "hello" in bad.json()["message"]
    empty = admin_client.post(url, {"subject": "Team", "participants": " , "}, **FETCH)
    assert empty.status_code == 400
    not_connected = admin_client.post(url, {"subject": "Team", "participants": "+33612345678"}, **FETCH)
    assert not_connected.status_code == 409 and not_connected.json()["code"] == "session_not_connected"


def test_a_member_change_needs_a_number_or_a_lid(admin_client, make_session):
    session = make_session("idle", status="connected")
    url = reverse("dashboard:group-members", args=[session.pk, "120363041234567890@g.us"])
    assert admin_client.post(url, {"action": "add", "person": "bob"}, **FETCH).status_code == 400
    assert admin_client.post(url, {"action": "dance", "person": "+33612345678"}, **FETCH).status_code == 400


def test_the_call_setting_is_saved_from_the_session_page(admin_client, make_session):
    session = make_session("calls", status="connected")
    page = admin_client.get(reverse("dashboard:session", args=[session.pk]))
    assert b"Reject calls automatically" in page.content
    url = reverse("dashboard:call-settings", args=[session.pk])
    saved = admin_client.post(url, {"reject_calls": "on", "reject_message": "Write instead"}, **FETCH)
    assert saved.json()["ok"] is True
    row = CallSettings.objects.get(session=session)
    assert (row.reject_calls, row.reject_message) == (True, "Write instead")
    admin_client.post(url, {"reject_message": ""}, **FETCH)
    row.refresh_from_db()
    assert (row.reject_calls, row.reject_message) == (False, "")


def test_a_viewer_who_may_not_change_sessions_cannot_change_groups_or_calls(
    db, make_session, django_user_model
):
    from django.test import Client

    session = make_session("calls", status="connected")
    user = django_user_model.objects.create_user(username="viewer", password="x" * 20, is_staff=True)
    user = grant(user, "view_session")
    client = Client()
    client.force_login(user)
    assert client.get(reverse("dashboard:groups", args=[session.pk])).status_code == 200
    url = reverse("dashboard:call-settings", args=[session.pk])
    assert client.post(url, {"reject_calls": "on"}, **FETCH).status_code == 403
    assert not CallSettings.objects.filter(session=session).exists()
    leave = reverse("dashboard:group-leave", args=[session.pk, "120363041234567890@g.us"])
    assert client.post(leave, **FETCH).status_code == 403


def test_the_sandbox_phone_makes_groups_and_rings(admin_client, make_session):
    from dashboard.tests.test_sandbox_page import link
    from sandbox.models import SandboxCall, SandboxGroup

    session = make_session("play", status="connected")
    link(session)
    made = admin_client.post(
        reverse("dashboard:sandbox-group-new", args=[session.pk]),
        {
            "owner": "+4915112345678",
            "subject": "Club",
            "participants": "+4915187654321",
            "with_session": "on",
        },
        **FETCH,
    )
    assert made.json()["ok"] is True, made.json()
    group = SandboxGroup.objects.get(session=session)
    page = admin_client.get(reverse("dashboard:sandbox", args=[session.pk]))
    assert group.gid.encode() in page.content
    wrote = admin_client.post(
        reverse("dashboard:sandbox-group-write", args=[session.pk]),
        {"group_id": group.gid, "from_phone": "+4915100009999", "text": "hi"},
        **FETCH,
    )
    assert wrote.status_code == 400 and "not a member" in wrote.json()["message"]
    rang = admin_client.post(
        reverse("dashboard:sandbox-call", args=[session.pk]), {"from_phone": "+4915187654321"}, **FETCH
    )
    assert rang.json()["ok"] is True and SandboxCall.objects.filter(session=session).count() == 1
