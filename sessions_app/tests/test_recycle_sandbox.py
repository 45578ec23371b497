"""A session pushed over ENGINE_SESSION_MEMORY_MAX through real Chromium on the sandbox page:
its browser is restarted on its profile, the session stays linked (no new QR), and every
message sent or received around the recycle is stored exactly once (engine/recycle.py)."""

import pytest

from messaging.models import Message
from sandbox.models import SandboxMessage
from sessions_app.engine.recycle import RECYCLE_REASON
from sessions_app.tests.helpers import browser_pids, create_and_link, wait_for, wait_status
from yesapp.tests.test_metrics import scrape

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CONTACT = "+33698765432"


def exchange(api, session, label: str, n: int = 3) -> list[str]:
    texts = []
    for i in range(n):
        out, into = f"{label} out {i}", f"{label} in {i}"
        response = api.post(
            f"/api/v1/sessions/{session.id}/messages", {"to": CONTACT, "text": out}, format="json"
        )
        assert response.status_code in (201, 202), response.content
        response = api.post(
            f"/api/v1/sandbox/sessions/{session.id}/inbound", {"from": CONTACT, "text": into}, format="json"
        )
        assert response.status_code == 202, response.content
        texts += [out, into]
    return texts


def test_a_session_over_the_memory_cap_is_recycled_with_nothing_lost(api, engine_worker, settings):
    settings.METRICS_ENABLED, settings.METRICS_TOKEN = True, ""
    # 1 MB: any browser is over it, so the node asks for a recycle as soon as it measures one.
    engine_worker("engine-a", ENGINE_SESSION_MEMORY_MAX="1")
    session = create_and_link(api, name="recycle")
    pids_before = set(browser_pids(session.id))
    texts = exchange(api, session, "before")
    recycled = wait_for(
        lambda: session.events.filter(reason__contains=RECYCLE_REASON).first(), 120, what="the recycle"
    )
    assert recycled.to_status == "connected"
    texts += exchange(api, session, "after")

    def all_done():
        done = Message.objects.filter(
            session=session, text__in=texts, status__in=["sent", "delivered", "read", "received"]
        )
        return done.count() >= len(texts)

    wait_for(all_done, 120, what="every message sent or stored")
    for text in texts:
        assert Message.objects.filter(session=session, text=text).count() == 1, text
    outbound = [t for t in texts if " out " in t]
    for text in outbound:  # sent once: the contact's phone has it once
        assert SandboxMessage.objects.filter(session=session, text=text).count() == 1, text
    session = wait_status(session.id, "connected")
    statuses = list(session.events.order_by("id").values_list("to_status", flat=True))
    assert statuses.count("qr") == 1, statuses  # linked once: no new scan
    assert not pids_before & set(browser_pids(session.id))  # a new browser
    assert scrape()[("yesapp_engine_recycles_total", (("session_id", str(session.id)),))] == 1
