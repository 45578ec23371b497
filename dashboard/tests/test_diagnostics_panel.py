"""The session page's diagnostics panel (the report of sessions_app/diagnostics.py)."""

from django.urls import reverse

FETCH = {"HTTP_X_REQUESTED_WITH": "fetch"}


def test_the_session_page_loads_the_diagnostics_panel_after_itself(admin_client, make_session):
    session = make_session("diag")
    html = admin_client.get(reverse("dashboard:session", args=[session.pk])).content.decode()
    assert reverse("dashboard:session-diagnostics", args=[session.pk]) in html


def test_the_diagnostics_panel_of_a_session_no_engine_runs_says_so(admin_client, make_session):
    session = make_session("diag-stopped")
    response = admin_client.get(reverse("dashboard:session-diagnostics", args=[session.pk]), **FETCH)
    assert response.status_code == 200
    assert "The session is not running" in response.content.decode()
