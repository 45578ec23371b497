"""A real session on a machine that cannot reach WhatsApp Web: it keeps retrying with a capped
backoff, and says why and what to do (issue 15, item 3). Real engine worker and Chromium; the
unreachable address is a name under `.invalid`, which never resolves."""

import re

import pytest

from sessions_app.advice import session_problem
from sessions_app.models import Session
from sessions_app.tests.helpers import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_real_session_that_cannot_reach_whatsapp_web_keeps_retrying_and_says_why(api, engine_worker):
    engine_worker("engine-a", WHATSAPP_WEB_URL="http://web.whatsapp.invalid/")
    session_id = api.post("/api/v1/sessions", {"name": "offline"}, format="json").json()["id"]

    def failed_starts():
        events = Session.objects.get(pk=session_id).events.filter(reason__contains="restarting in")
        return list(events.order_by("created_at")) if events.count() >= 3 else None

    retries = wait_for(failed_starts, timeout=90, what="three failed starts")
    session = Session.objects.get(pk=session_id)
    assert session.status == "starting"  # not failed: it goes on trying
    assert "Opening WhatsApp Web failed" in session.last_error
    delays = [int(re.search(r"restarting in (\d+)s", event.reason).group(1)) for event in retries]
    assert delays[:3] == [1, 2, 4]  # backoff, capped at 30 s (sessions_app/engine/actor.py)
    problem = session_problem(session)
    assert problem.title == "This server cannot reach WhatsApp Web" and problem.retrying
    body = api.get(f"/api/v1/sessions/{session_id}").json()
    assert body["status"] == "starting" and "WhatsApp Web" in body["lastError"]
