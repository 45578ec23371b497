"""GET /api/v1/sessions/{id}/diagnostics and `manage.py sessions doctor`: the page's own report."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from sessions_app.engine.lease import lease_acquire
from sessions_app.engine.wpp_contract import FUNCTIONS
from sessions_app.models import DesiredState, Session
from sessions_app.tests.helpers import create_and_link, wait_for


def test_diagnostics_of_a_session_no_engine_runs_is_409(api, db):
    session = Session.objects.create(name="idle")
    response = api.get(f"/api/v1/sessions/{session.id}/diagnostics")
    assert response.status_code == 409, response.content
    assert "not running" in response.json()["error"]["message"]
    with pytest.raises(CommandError, match="not running"):
        call_command("sessions", "doctor", "idle")


def test_diagnostics_is_504_when_no_engine_answers_in_time(api, db, settings):
    """The lease names a node whose queue nobody consumes: the answer never comes."""
    settings.ENGINE_DIAGNOSTICS_TIMEOUT = 1
    settings.ENGINE_COMMAND_TIMEOUT = 1
    session = Session.objects.create(name="ghost", desired_state=DesiredState.RUNNING)
    assert lease_acquire(session_id=session.id, node="ghost-node")
    response = api.get(f"/api/v1/sessions/{session.id}/diagnostics")
    assert response.status_code == 504, response.content
    assert response.json()["error"]["code"] == "engine_timeout"


@pytest.mark.browser
@pytest.mark.slow
def test_a_linked_sandbox_session_diagnoses_itself_healthy(api, engine_worker, admin_client):
    engine_worker("engine-a")
    session = create_and_link(api, name="doc")
    report = wait_for(
        lambda: (r := api.get(f"/api/v1/sessions/{session.id}/diagnostics")).status_code == 200 and r.json(),
        60,
        what="a diagnostics report",
    )
    checks = {check["name"]: check for check in report["checks"]}
    assert report["wajsVersion"].startswith("4.6.0")
    assert checks["contract functions"]["ok"] is True
    assert checks["contract functions"]["verdict"] == f"all {len(FUNCTIONS)} present"
    assert checks["contract events"]["ok"] is True
    assert checks["last event"]["ok"] is True  # at least the link's own events
    assert checks["last errors"]["ok"] is True
    assert report["healthy"] is True
    out = io.StringIO()

    def doctor() -> bool:
        # A lease renewal late on a loaded machine briefly leaves the session without a node.
        try:
            call_command("sessions", "doctor", "doc", stdout=out)
        except CommandError:
            return False
        return True

    wait_for(doctor, 60, what="the doctor's report")
    assert "ok   contract functions" in out.getvalue()
    panel = admin_client.get(reverse("dashboard:session-diagnostics", args=[session.pk])).content.decode()
    assert "Healthy." in panel and f"all {len(FUNCTIONS)} present" in panel
