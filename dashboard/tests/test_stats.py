from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from dashboard import selectors
from dashboard.charts import HourlyBars, nice_max
from messaging.models import Direction, Message, MessageAction, MessageStatus
from yesapp.models import ApiKey

ADMIN = ApiKey(name="t", is_admin=True)


def test_messages_per_hour_counts_sent_and_received_in_the_right_hours(make_session):
    session = make_session("s", status="connected")
    now = timezone.now()
    Message.objects.create(
        session=session,
        direction=Direction.OUTBOUND,
        chat_id="1@c.us",
        status=MessageStatus.SENT,
        sent_at=now,
    )
    old = Message.objects.create(
        session=session, direction=Direction.INBOUND, chat_id="1@c.us", status="received"
    )
    Message.objects.filter(pk=old.pk).update(created_at=now - timedelta(hours=3))
    ancient = Message.objects.create(
        session=session, direction=Direction.INBOUND, chat_id="1@c.us", status="received"
    )
    Message.objects.filter(pk=ancient.pk).update(created_at=now - timedelta(hours=30))
    rows = selectors.messages_per_hour(key=ADMIN, now=now)
    assert len(rows) == 24
    assert rows[-1]["sent"] == 1 and rows[-1]["received"] == 0
    assert rows[-4]["received"] == 1
    assert sum(r["received"] for r in rows) == 1


def test_messages_per_hour_leaves_out_actions(make_session):
    session = make_session("s", status="connected")
    sent = Message.objects.create(
        session=session, direction=Direction.OUTBOUND, chat_id="1@c.us", status=MessageStatus.SENT
    )
    for action in (MessageAction.REACTION, MessageAction.EDIT, MessageAction.REVOKE):
        Message.objects.create(
            session=session,
            direction=Direction.OUTBOUND,
            chat_id="1@c.us",
            status=MessageStatus.SENT,
            action=action,
            target=sent,
        )
    for action in (MessageAction.READ, MessageAction.PRESENCE):
        Message.objects.create(
            session=session, direction=Direction.OUTBOUND, chat_id="1@c.us", status="queued", action=action
        )
    assert sum(r["sent"] for r in selectors.messages_per_hour(key=ADMIN)) == 1


def test_messages_per_hour_respects_a_scoped_key(scoped_key):
    raw, mine, other = scoped_key
    Message.objects.create(session=other, direction=Direction.INBOUND, chat_id="1@c.us", status="received")
    key = ApiKey.objects.get(name="scoped")
    assert sum(r["received"] for r in selectors.messages_per_hour(key=key)) == 0
    assert sum(r["received"] for r in selectors.messages_per_hour(key=ADMIN)) == 1


def test_nice_axis_maximum():
    assert [nice_max(v) for v in (0, 1, 3, 7, 10, 11, 99, 101)] == [1, 1, 5, 10, 10, 20, 100, 200]


def test_hourly_bars_scale_to_the_plot():
    start = timezone.now()
    chart = HourlyBars.build([{"start": start, "sent": 10, "received": 5}], width=200, height=100)
    sent, received = chart.rects
    assert sent.height == chart.plot_bottom - sent.y and sent.height == 2 * received.height


def test_stats_page_shows_counts_charts_and_queues(admin_client, make_session, settings):
    make_session("a", status="connected")
    make_session("b", status="failed")
    page = admin_client.get(reverse("dashboard:stats"))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count("<svg") >= 3
    assert "Sessions by status" in html and "Celery queue" in html and "webhook success" in html


def test_celery_queue_depths_are_unknown_not_an_error_when_redis_is_down(settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    settings.REDIS_SOCKET_TIMEOUT = 0.2
    depths = selectors.celery_queue_depths()
    assert set(depths) >= {"default", "engine", "webhooks"} and set(depths.values()) == {None}
