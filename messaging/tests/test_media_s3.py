"""FILE_STORAGE=s3: media sent, received, downloaded, pruned and deleted, and profile pictures,
all through an S3 bucket with nothing on the local disk. The bucket is moto's emulator in
server mode on a loopback port (yesapp/tests/s3.py): no real S3 server is reachable here."""

import base64
from datetime import timedelta

import pytest
from django.utils import timezone

from messaging import inbound, outbound
from messaging.media import MediaSource
from messaging.models import MediaStatus, Message
from messaging.services import message_send
from messaging.storage import media_prune
from messaging.tests.conftest import IMG_ID, PNG, TO, image_message
from messaging.tests.test_directory_api import ALICE, url
from messaging.tests.test_directory_api import PNG as PICTURE
from messaging.tests.test_directory_api import page as directory_page
from sessions_app.services import session_delete


def _disk_files(media_root) -> list:
    return [p for p in media_root.rglob("*") if p.is_file()] if media_root.exists() else []


def test_sent_media_is_stored_in_the_bucket_and_sent_from_it(
    session, engine, unlimited, s3_storage, media_root
):
    message, _ = message_send(
        session=session,
        to=TO,
        text="pic",
        media=MediaSource(kind="image", data=base64.b64encode(PNG).decode()),
    )

    assert s3_storage.names() == [message.media_name] and s3_storage.read(message.media_name) == PNG
    assert _disk_files(media_root) == []
    outbound.send_due(session_id=session.pk, engine=engine)
    [call] = engine.sent
    assert (call.method, call.media.data, call.media.mimetype) == ("send_media", PNG, "image/png")


def test_sent_media_gone_from_the_bucket_fails_readably(session, engine, unlimited, s3_storage):
    message, _ = message_send(session=session, to=TO, media=MediaSource(data=base64.b64encode(PNG).decode()))
    s3_storage.client.delete_object(Bucket=s3_storage.name, Key=f"yesapp/{message.media_name}")

    outbound.send_due(session_id=session.pk, engine=engine)

    message.refresh_from_db()
    assert (message.status, message.error_code) == ("failed", "media_missing")


def test_received_media_lands_in_the_bucket_and_the_api_streams_it_back(
    api, session, engine, emitted, s3_storage, media_root
):
    engine.media[IMG_ID] = (PNG, "image/png")
    inbound.handle_new_message(session_id=session.pk, data=image_message(), engine=engine)

    message = Message.objects.get()
    assert message.media_status == MediaStatus.STORED and s3_storage.names() == [f"{message.pk}.png"]
    assert _disk_files(media_root) == []
    response = api.get(f"/api/v1/media/{message.pk}", HTTP_ACCEPT="image/*")
    assert response.status_code == 200
    assert (response["Content-Type"], response["Content-Length"]) == ("image/png", str(len(PNG)))
    assert b"".join(response.streaming_content) == PNG
    assert "sandbox" in response["Content-Security-Policy"]

    s3_storage.client.delete_object(Bucket=s3_storage.name, Key=f"yesapp/{message.media_name}")
    gone = api.get(f"/api/v1/media/{message.pk}")
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "media_not_available"


@pytest.mark.django_db(transaction=True)
def test_deleting_messages_or_their_session_deletes_their_objects(session, s3_storage):
    first, _ = message_send(session=session, to=TO, media=MediaSource(data=base64.b64encode(PNG).decode()))
    second, _ = message_send(session=session, to=TO, media=MediaSource(data=base64.b64encode(PNG).decode()))
    assert len(s3_storage.names()) == 2

    Message.objects.get(pk=first.pk).delete()
    assert s3_storage.names() == [second.media_name]
    session_delete(session=session)
    assert s3_storage.names() == []


def test_old_media_are_pruned_from_the_bucket(session, engine, emitted, s3_storage, settings):
    engine.media[IMG_ID] = (PNG, "image/png")
    inbound.handle_new_message(session_id=session.pk, data=image_message(), engine=engine)
    Message.objects.update(created_at=timezone.now() - timedelta(days=40))

    assert media_prune(older_than_days=30) == 1
    assert s3_storage.names() == []
    assert Message.objects.get().media_status == MediaStatus.EXPIRED


page = directory_page  # the fake session page that answers contacts_profile with PICTURE


def test_profile_pictures_are_kept_in_the_bucket_and_served_from_it(
    api,
    session,
    page,
    s3_storage,
    media_root,
    django_capture_on_commit_callbacks,
):
    contact = api.get(url(session, f"contacts/{ALICE}")).json()
    [key] = s3_storage.names()
    assert key.startswith(f"contacts/{session.pk}/") and s3_storage.read(key) == PICTURE
    assert _disk_files(media_root) == []

    picture = api.get(contact["picture"]["url"])
    assert picture.status_code == 200 and b"".join(picture.streaming_content) == PICTURE
    with django_capture_on_commit_callbacks(execute=True):
        session.delete()
    assert s3_storage.names() == []
