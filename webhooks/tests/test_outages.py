"""Webhook delivery through a database blip, with a real worker: the attempt that reached the
receiver is recorded once the database is back, not sent again."""

import time

import pytest

from webhooks.models import DeliveryStatus, WebhookDelivery
from webhooks.services import webhook_configure
from webhooks.tests.conftest import Answer, emit_message
from webhooks.tests.test_delivery import attempts_of, finished, webhook_worker  # noqa: F401
from yesapp.tests.fixtures import BLIP_APP_NAME


@pytest.mark.slow
def test_a_database_blip_while_a_webhook_is_posted_is_waited_out_and_the_attempt_recorded_once(
    webhook_worker,  # noqa: F811
    make_session,
    receiver,
    database_blips,
):
    """PostgreSQL: the worker's connections are terminated while it waits for the receiver;
    SQLite: the lock is held past the worker's busy timeout. Before, recording the attempt
    failed, the delivery stayed `sending` until its claim lapsed, and the sweep then posted it
    a second time."""
    webhook_worker(PGAPPNAME=BLIP_APP_NAME, SQLITE_BUSY_TIMEOUT="0.5")
    session = make_session()
    webhook_configure(session=session, url=receiver.url())
    receiver.script("/hook", Answer(delay=1.5))
    emit_message(session, "m1")

    receiver.wait_for(1)  # the POST is in flight: the receiver holds it for 1.5 s
    database_blips.blip(seconds=3.0)

    delivery = finished(WebhookDelivery.objects.get().pk)
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert attempts_of(delivery) == [(200, "success")]
    time.sleep(2)
    assert len(receiver.received()) == 1
