"""Catching up after a restart, through every real part: a browser killed after its page
received messages and before the engine stored them loses nothing (WPP.chat.list and
WPP.chat.getMessages on the next connect), and nothing is stored twice."""

import os
import signal
import time

import pytest

from messaging.models import Direction, Message
from messaging.tests.test_faults import CONTACT, inbound_texts, send_inbound
from sandbox.models import SandboxMessage
from sessions_app.tests.helpers import browser_pids, create_and_link, wait_for, wait_status
from webhooks.models import WebhookDelivery

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def delivered_to_page(session) -> int:
    return SandboxMessage.objects.filter(
        session_id=session.id, direction="in", delivered_at__isnull=False
    ).count()


def test_messages_the_page_received_before_its_browser_was_killed_are_stored_once(
    api, engine_worker, settings
):
    worker = engine_worker("engine-a")
    session = create_and_link(api, name="catch-up")
    settings.WEBHOOK_ALLOW_PRIVATE = True  # deliveries are recorded; no receiver is needed
    response = api.put(
        f"/api/v1/sessions/{session.id}/webhook", {"url": "http://127.0.0.1:9/"}, format="json"
    )
    assert response.status_code == 200, response.content
    response = api.post(
        f"/api/v1/sandbox/sessions/{session.id}/inbound", {"from": CONTACT, "text": "first"}, format="json"
    )
    assert response.status_code == 202
    wait_for(lambda: inbound_texts(session) == ["first"], 30, what="the first message stored")

    os.kill(worker.proc.pid, signal.SIGSTOP)  # the engine stores nothing; its page goes on receiving
    try:
        arrived = send_inbound(api, session, 3)
        wait_for(lambda: delivered_to_page(session) == 4, 30, what="the page to receive all three")
        assert inbound_texts(session) == ["first"]  # received by WhatsApp Web, not stored
        for pid in browser_pids(session.id):
            os.kill(pid, signal.SIGKILL)
    finally:
        os.kill(worker.proc.pid, signal.SIGCONT)

    wait_for(lambda: len(inbound_texts(session)) == 4, 90, what="the three caught up")
    wait_status(session.id, "connected")
    time.sleep(2)  # a late duplicate would show up now
    assert sorted(inbound_texts(session)) == sorted(["first", *arrived])
    stored = Message.objects.filter(session_id=session.id, direction=Direction.INBOUND)
    assert stored.values("wa_id").distinct().count() == 4
    received = WebhookDelivery.objects.filter(session_id=session.id, event="message.received")
    assert received.count() == 4  # one webhook each, the caught-up ones included
