import pytest
from django.core.management import CommandError, call_command

from sessions_app.models import Session, SessionStatus

pytestmark = pytest.mark.django_db


def test_list_shows_every_session_with_status_and_error(capsys):
    Session.objects.create(name="shop", status=SessionStatus.FAILED, last_error="Chromium is missing")
    Session.objects.create(name="desk", status=SessionStatus.CONNECTED, phone="+33612345678")
    call_command("sessions", "list")
    out = capsys.readouterr().out
    assert "desk" in out and "connected" in out and "+33612345678" in out
    assert "shop" in out and "failed" in out and "Chromium is missing" in out


def test_stop_and_start_by_name_go_through_the_services(capsys):
    session = Session.objects.create(name="desk", status=SessionStatus.CONNECTED)
    call_command("sessions", "stop", "desk")
    session.refresh_from_db()
    assert session.status == "stopped" and session.desired_state == "stopped"
    call_command("sessions", "start", str(session.id))
    session.refresh_from_db()
    assert session.status == "starting" and session.desired_state == "running"


def test_unknown_session_and_invalid_action_are_clear_errors():
    with pytest.raises(CommandError, match="No session"):
        call_command("sessions", "stop", "nope")
    with pytest.raises(CommandError, match="Which session"):
        call_command("sessions", "stop")
    Session.objects.create(name="desk", status=SessionStatus.CONNECTED)
    with pytest.raises(CommandError, match="already running"):
        call_command("sessions", "start", "desk")
