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
