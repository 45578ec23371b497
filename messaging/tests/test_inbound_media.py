"""messaging.inbound_media with a recording Engine: received media downloaded to the media
folder, failed downloads recorded and retried later, and the limits that end the retries."""

from datetime import timedelta

import pytest
from django.utils import timezone

from messaging import inbound, inbound_media, outbound
from messaging.models import Direction, MediaStatus, Message, MessageStatus
from messaging.tests.conftest import CHAT, IMG_ID, PNG, image_message
from sessions_app.engine.base import EngineCrashed, EngineError


def test_inbound_media_is_downloaded_to_media_root(session, engine, emitted, media_root):
    engine.media[IMG_ID] = (PNG, "image/png")

    inbound.handle_new_message(session_id=session.pk, data=image_message(), engine=engine)

    message = Message.objects.get()
    assert (message.type, message.text, message.media_status) == ("image", "a photo", MediaStatus.STORED)
    assert message.media_name == f"{message.pk}.png"
    assert (media_root / message.media_name).read_bytes() == PNG
    assert (message.media_mimetype, message.media_size) == ("image/png", len(PNG))
    [(event, _, payload)] = emitted
    assert event == "message.received" and payload["mediaUrl"].endswith(f"/api/v1/media/{message.pk}")
    assert payload["media"]["status"] == "stored"


def test_failed_download_is_recorded_text_stored_and_retried_later(session, engine, emitted, media_root):
    engine.media[IMG_ID] = EngineError("downloadMedia: media not available")

    inbound.handle_new_message(session_id=session.pk, data=image_message(), engine=engine)

    message = Message.objects.get()
    assert (message.text, message.media_status, message.media_attempts) == ("a photo", MediaStatus.PENDING, 1)
    assert "media not available" in message.media_error
    assert message.media_retry_at > timezone.now()
    assert [event for event, _, _ in emitted] == ["message.received"]
    assert emitted[0][2]["media"]["status"] == "pending"

    # Not due yet: the next loop does not retry.
    assert outbound.send_due(session_id=session.pk, engine=engine) == 0
    assert len([c for c in engine.calls if c.method == "download_media"]) == 1

    Message.objects.filter(pk=message.pk).update(media_retry_at=timezone.now() - timedelta(seconds=1))
    engine.media[IMG_ID] = (PNG, "image/png")
    inbound_media._last_media_check.clear()
    outbound.send_due(session_id=session.pk, engine=engine)

    message.refresh_from_db()
    assert (message.media_status, message.media_attempts, message.media_error) == (MediaStatus.STORED, 2, "")
    assert (media_root / message.media_name).read_bytes() == PNG
    assert len(emitted) == 1  # message.received went out once


def test_download_gives_up_after_max_attempts(session, engine, settings):
    settings.MEDIA_DOWNLOAD_MAX_ATTEMPTS = 2
    engine.media[IMG_ID] = EngineError("gone")
    inbound.handle_new_message(session_id=session.pk, data=image_message(), engine=engine)

    Message.objects.update(media_retry_at=None)
    inbound_media.retry_media(session_id=session.pk, engine=engine)

    message = Message.objects.get()
    assert (message.media_status, message.media_attempts, message.media_error) == (
        MediaStatus.FAILED,
        2,
        "gone",
    )
    assert inbound_media.retry_media(session_id=session.pk, engine=engine) == 0


def test_browser_crash_during_download_is_recorded_and_reraised(session, engine, emitted):
    engine.media[IMG_ID] = EngineCrashed("chrome not reachable")

    with pytest.raises(EngineCrashed):
        inbound.handle_new_message(session_id=session.pk, data=image_message(), engine=engine)

    message = Message.objects.get()
    assert message.media_status == MediaStatus.PENDING and message.text == "a photo"
    assert [event for event, _, _ in emitted] == ["message.received"]


def test_event_owed_by_a_worker_that_died_before_the_download_is_sent_on_retry(session, engine, emitted):
    # What a crash right after storing leaves behind: pending media, no event yet.
    message = Message.objects.create(
        session=session,
        direction=Direction.INBOUND,
        wa_id=IMG_ID,
        chat_id=CHAT,
        type="image",
        status=MessageStatus.RECEIVED,
        media_status=MediaStatus.PENDING,
        text="a photo",
    )
    engine.media[IMG_ID] = (PNG, "image/png")

    outbound.send_due(session_id=session.pk, engine=engine)

    message.refresh_from_db()
    assert message.media_status == MediaStatus.STORED and message.notified_at is not None
    assert [event for event, _, _ in emitted] == ["message.received"]


def test_media_too_large_to_download_fails_without_trying(session, engine, settings):
    settings.MEDIA_DOWNLOAD_MAX_BYTES = 100

    inbound.handle_new_message(session_id=session.pk, data=image_message(size=5000), engine=engine)

    message = Message.objects.get()
    assert message.media_status == MediaStatus.FAILED and "MEDIA_DOWNLOAD_MAX_BYTES" in message.media_error
    assert engine.calls == []


def test_empty_download_is_a_failed_attempt(session, engine):
    engine.media[IMG_ID] = (b"", "image/png")

    inbound.handle_new_message(session_id=session.pk, data=image_message(), engine=engine)

    message = Message.objects.get()
    assert (message.media_status, message.media_attempts) == (MediaStatus.PENDING, 1)
    assert "empty" in message.media_error
