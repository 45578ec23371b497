import pytest

from messaging.models import Message
from sessions_app.services import session_delete

pytestmark = pytest.mark.django_db(transaction=True)


def make_media_message(session, media_root, name):
    media_root.mkdir(parents=True, exist_ok=True)
    (media_root / name).write_bytes(b"data")
    return Message.objects.create(
        session=session,
        direction="inbound",
        status="received",
        chat_id="33698765432@c.us",
        type="image",
        media_name=name,
        media_mimetype="image/png",
        media_size=4,
    )


def test_deleting_a_message_deletes_its_media_file(session, media_root):
    message = make_media_message(session, media_root, "a.png")
    message.delete()
    assert not (media_root / "a.png").exists()


def test_deleting_a_session_deletes_the_media_of_all_its_messages(session, media_root):
    make_media_message(session, media_root, "b.png")
    make_media_message(session, media_root, "c.png")
    session_delete(session=session)
    assert not list(media_root.iterdir())
