"""Storage bounds: a media quota per session (nothing half stored past it) and retention
periods that prune messages, media files and session events in batches."""

import base64
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from messaging import inbound
from messaging.models import Direction, MediaStatus, Message, MessageStatus
from messaging.tests.conftest import IMG_ID, PNG, image_message
from sessions_app.models import SessionEvent

pytestmark = pytest.mark.django_db

CONTACT = "+33698765432"


def _send_png(api, session):
    body = {"to": CONTACT, "media": {"type": "image", "data": base64.b64encode(PNG).decode()}}
    return api.post(f"/api/v1/sessions/{session.id}/messages", body, format="json")


def test_sending_media_past_the_sessions_quota_is_a_clear_507_that_stores_nothing(
    api, session, other_session, media_root, settings
):
    settings.MEDIA_QUOTA_BYTES = len(PNG) * 2
    for _ in range(2):
        assert _send_png(api, session).status_code == 202
    files = sorted(media_root.iterdir())

    refused = _send_png(api, session)
    assert refused.status_code == 507, refused.content
    error = refused.json()["error"]
    assert error["code"] == "media_quota_exceeded" and "MEDIA_QUOTA_BYTES" in error["message"]
    assert Message.objects.filter(session=session).count() == 2
    assert sorted(media_root.iterdir()) == files  # no file of the refused message, not even half
    # Text still goes out, and the quota is per session.
    text = api.post(f"/api/v1/sessions/{session.id}/messages", {"to": CONTACT, "text": "hi"}, format="json")
    assert text.status_code == 202
    assert _send_png(api, other_session).status_code == 202


def test_received_media_past_the_quota_is_not_stored_and_the_reason_is_recorded(
    session, engine, emitted, media_root, settings
):
    settings.MEDIA_QUOTA_BYTES = len(PNG) - 1
    engine.media[IMG_ID] = (PNG, "image/png")

    inbound.handle_new_message(session_id=session.pk, data=image_message(), engine=engine)

    message = Message.objects.get()
    assert message.text == "a photo" and message.media_status == MediaStatus.FAILED
    assert "MEDIA_QUOTA_BYTES" in message.media_error and message.media_name == ""
    assert not media_root.exists() or list(media_root.iterdir()) == []


def _aged(message: Message, days: int) -> Message:
    Message.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(days=days))
    return message


def _message(session, *, status=MessageStatus.RECEIVED, media_name="", days=0, direction=Direction.INBOUND):
    message = Message.objects.create(
        session=session, direction=direction, chat_id="33698765432@c.us", status=status, text="x"
    )
    if media_name:
        Message.objects.filter(pk=message.pk).update(
            media_name=media_name, media_size=3, media_status=MediaStatus.STORED
        )
    return _aged(message, days)


def test_prunedata_applies_each_retention_in_batches_and_keeps_what_is_still_to_be_sent(
    session, media_root, settings, django_capture_on_commit_callbacks
):
    settings.MESSAGE_RETENTION_DAYS, settings.MEDIA_RETENTION_DAYS = 90, 30
    settings.SESSION_EVENT_RETENTION_DAYS = 30
    media_root.mkdir(parents=True, exist_ok=True)
    for name in ("ancient.png", "old.png", "new.png", "queued.png"):
        (media_root / name).write_bytes(b"png")
    ancient = [_message(session, media_name="ancient.png", days=100)]
    ancient += [_message(session, days=100) for _ in range(4)]
    old = _message(session, media_name="old.png", days=40)
    new = _message(session, media_name="new.png", days=1)
    queued = _message(
        session, status=MessageStatus.QUEUED, media_name="queued.png", days=100, direction=Direction.OUTBOUND
    )
    for days in (40, 1):
        event = SessionEvent.objects.create(session=session, from_status="stopped", to_status="starting")
        SessionEvent.objects.filter(pk=event.pk).update(created_at=timezone.now() - timedelta(days=days))

    with django_capture_on_commit_callbacks(execute=True):  # files go once the deletes commit
        call_command("prunedata", "--batch-size", "2", stdout=open("/dev/null", "w"))  # noqa: SIM115

    assert not Message.objects.filter(pk__in=[m.pk for m in ancient]).exists()
    assert not (media_root / "ancient.png").exists()
    old.refresh_from_db()
    assert old.media_status == MediaStatus.EXPIRED and old.media_name == ""
    assert "MEDIA_RETENTION_DAYS" in old.media_error and not (media_root / "old.png").exists()
    new.refresh_from_db()
    assert new.media_status == MediaStatus.STORED and (media_root / "new.png").exists()
    queued.refresh_from_db()  # still waiting to be sent: kept, with its file
    assert queued.media_name == "queued.png" and (media_root / "queued.png").exists()
    assert SessionEvent.objects.count() == 1


def test_zero_retention_keeps_everything(session, settings):
    settings.MESSAGE_RETENTION_DAYS = settings.MEDIA_RETENTION_DAYS = 0
    settings.SESSION_EVENT_RETENTION_DAYS = 0
    _message(session, days=5000)
    from messaging.tasks import prune_storage

    assert prune_storage() == {"messages": 0, "media": 0, "sessionEvents": 0}
    assert Message.objects.count() == 1


def test_the_prune_runs_hourly_under_beat(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["storage-prune"]
    assert entry["task"] == "messaging.tasks.prune_storage" and entry["schedule"] <= 3600


@pytest.mark.parametrize(
    "name",
    [
        "list by phone",
        "sent today",
        "failed today",
        "retention",
        "media retry",
        "session history",
        "deliveries",
    ],
)
def test_every_list_stat_and_prune_filter_reads_an_index(session, name):
    """SQLite's plan for each filter: an index search, never a scan of the whole table."""
    from django.db import connection

    from webhooks.models import WebhookDelivery

    if connection.vendor != "sqlite":
        pytest.skip("the plan text checked here is SQLite's")
    day_ago = timezone.now() - timedelta(days=1)
    queries = {
        "list by phone": Message.objects.filter(session=session, phone="+33698765432").order_by(
            "-created_at"
        ),
        "sent today": Message.objects.filter(direction=Direction.OUTBOUND, sent_at__gte=day_ago),
        "failed today": Message.objects.filter(direction=Direction.OUTBOUND, failed_at__gte=day_ago),
        "retention": Message.objects.filter(created_at__lt=day_ago),
        "media retry": Message.objects.filter(session=session, media_status=MediaStatus.PENDING),
        "session history": SessionEvent.objects.filter(session=session).order_by("-created_at"),
        "deliveries": WebhookDelivery.objects.filter(session=session, status="failed").order_by("-id"),
    }
    plan = queries[name].explain()
    # "SEARCH <table> USING INDEX ...", not "SCAN <table>" (a walk over every row, or index entry).
    scans = [
        line
        for line in plan.splitlines()
        if re.search(r"\bSCAN (messaging_message|sessions_app_sessionevent|webhooks_webhookdelivery)\b", line)
    ]
    assert "USING" in plan and not scans, plan
