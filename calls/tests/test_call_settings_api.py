"""The call setting over the API: defaults, partial changes, validation, scope."""

import pytest

from sessions_app.models import Session


@pytest.fixture
def session(db):
    return Session.objects.create(name="calls-api", sandbox=True)


def test_the_setting_starts_off_and_changes_in_parts(api, session):
    url = f"/api/v1/sessions/{session.id}/calls/settings"
    assert api.get(url).json() == {"rejectCalls": False, "rejectMessage": None, "updatedAt": None}
    assert api.patch(url, {"rejectCalls": True}, format="json").json()["rejectCalls"] is True
    body = api.patch(url, {"rejectMessage": "  Busy  "}, format="json").json()
    assert (body["rejectCalls"], body["rejectMessage"]) == (True, "Busy")
    assert api.patch(url, {"rejectMessage": None}, format="json").json()["rejectMessage"] is None


@pytest.mark.parametrize("body", [{}, {"rejectCalls": "maybe"}, {"rejectMessage": "x" * 1001}])
def test_bad_settings_are_400_and_change_nothing(api, session, body):
    url = f"/api/v1/sessions/{session.id}/calls/settings"
    response = api.patch(url, body, format="json")
    assert response.status_code == 400, response.content
    assert api.get(url).json()["rejectCalls"] is False


def test_an_unknown_session_is_404(api, db):
    assert api.get("/api/v1/sessions/00000000-0000-0000-0000-000000000000/calls/settings").status_code == 404


def test_a_call_handed_over_twice_is_reported_once(session):
    from calls.models import Call
    from calls.services import call_received
    from yesapp.events import domain_event

    seen = []

    def receiver(sender, event, session_id, payload, **kwargs):
        seen.append(event)

    domain_event.connect(receiver)
    try:
        call = {"id": "C1", "isGroup": False, "isVideo": False, "offerTime": 1, "sender": "33612345678@c.us"}
        call_received(session_id=session.id, data=call, engine=None)
        call_received(session_id=session.id, data=call, engine=None)
    finally:
        domain_event.disconnect(receiver)
    assert seen == ["call.received"]
    assert Call.objects.get(session=session).caller == "33612345678@c.us"


@pytest.mark.parametrize("data", [None, {}, {"id": "C2"}, {"sender": "33612345678@c.us"}])
def test_a_malformed_call_event_is_refused_for_quarantine(session, data):
    from calls.services import call_received
    from messaging.inbound import MalformedEvent

    with pytest.raises(MalformedEvent):
        call_received(session_id=session.id, data=data, engine=None)


@pytest.mark.parametrize(
    "path",
    [
        "/admin/calls/call/",
        "/admin/calls/callsettings/",
        "/admin/sandbox/sandboxgroup/",
        "/admin/sandbox/sandboxcall/",
    ],
)
def test_the_admin_lists_calls_and_the_sandbox_groups(admin_client, path):
    assert admin_client.get(path).status_code == 200
