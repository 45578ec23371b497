"""The facade's endpoints through DRF with a Bearer key: shapes, the queue, Graph errors."""

import base64
import hashlib

import pytest
from django.test import TestCase

from cloud_api.ids import media_id_for, message_id_from_wamid, wamid_for
from cloud_api.models import UploadedMedia
from messaging.models import Direction, MediaStatus, Message, MessageStatus

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
TO = "33612345678"


def send(cloud, session, body, version="23.0"):
    return cloud.post(
        f"/v{version}/{session.pk}/messages", {"messaging_product": "whatsapp", **body}, format="json"
    )


def graph_error(response, status, code):
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert set(error) >= {"message", "type", "code", "error_subcode", "fbtrace_id"}
    assert error["type"] == "OAuthException" and error["code"] == code
    return error


def inbound(session, **fields) -> Message:
    defaults = dict(
        session=session,
        direction=Direction.INBOUND,
        chat_id=f"{TO}@c.us",
        phone="+" + TO,
        status=MessageStatus.RECEIVED,
        wa_id=f"false_{TO}@c.us_IN1",
        text="hi",
    )
    return Message.objects.create(**(defaults | fields))


def test_text_is_queued_and_answered_with_a_wamid_of_the_message(cloud, session):
    response = send(
        cloud, session, {"to": TO, "type": "text", "text": {"body": "Hello", "preview_url": True}}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["messaging_product"] == "whatsapp"
    assert body["contacts"] == [{"input": TO, "wa_id": TO}]
    message = Message.objects.get(pk=message_id_from_wamid(body["messages"][0]["id"]))
    assert (message.chat_id, message.text, message.status) == (f"{TO}@c.us", "Hello", MessageStatus.QUEUED)


@pytest.mark.parametrize("version", ["17.0", "23.0", "1"])
def test_any_version_is_accepted(cloud, session, version):
    assert send(cloud, session, {"to": "+" + TO, "text": {"body": "v"}}, version=version).status_code == 200


def test_uploaded_image_is_sent_by_id_with_its_caption_and_fetched_back(cloud, session, media_root):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("dot.png", PNG, content_type="image/png")
    response = cloud.post(
        f"/v23.0/{session.pk}/media",
        {"file": upload, "messaging_product": "whatsapp", "type": "image/png"},
        format="multipart",
    )
    assert response.status_code == 200, response.content
    media_id = response.json()["id"]
    assert media_id.isdigit()
    info = cloud.get(f"/v23.0/{media_id}").json()
    assert info["mime_type"] == "image/png" and info["file_size"] == len(PNG)
    assert info["sha256"] == hashlib.sha256(PNG).hexdigest() and info["id"] == media_id
    download = cloud.get(info["url"].replace("http://testserver", ""))
    assert download.status_code == 200 and b"".join(download.streaming_content) == PNG
    sent = send(cloud, session, {"to": TO, "type": "image", "image": {"id": media_id, "caption": "a dot"}})
    assert sent.status_code == 200, sent.content
    message = Message.objects.get(pk=message_id_from_wamid(sent.json()["messages"][0]["id"]))
    assert (message.type, message.text, message.media_mimetype) == ("image", "a dot", "image/png")
    assert cloud.delete(f"/v23.0/{media_id}").json() == {"success": True}
    assert not UploadedMedia.objects.exists()
    graph_error(cloud.get(f"/v23.0/{media_id}"), 404, 100)


def test_image_by_link_waits_for_its_fetch(cloud, session, settings):
    settings.MEDIA_URL_ALLOW_PRIVATE = True
    body = {
        "to": TO,
        "type": "document",
        "document": {"link": "https://example.com/a.pdf", "filename": "a.pdf"},
    }
    response = send(cloud, session, body)
    assert response.status_code == 200, response.content
    message = Message.objects.get(pk=message_id_from_wamid(response.json()["messages"][0]["id"]))
    assert (message.status, message.media_source_url) == (MessageStatus.PENDING, "https://example.com/a.pdf")


def test_a_reply_quotes_the_message_its_wamid_names(cloud, session):
    quoted = inbound(session)
    response = send(
        cloud, session, {"to": TO, "text": {"body": "yes"}, "context": {"message_id": wamid_for(quoted.pk)}}
    )
    assert response.status_code == 200, response.content
    message = Message.objects.get(pk=message_id_from_wamid(response.json()["messages"][0]["id"]))
    assert message.reply_to_id == quoted.pk


def test_reaction_read_receipt_and_typing_are_queued_actions(cloud, session):
    target = inbound(session)
    wamid = wamid_for(target.pk)
    reacted = send(
        cloud, session, {"to": TO, "type": "reaction", "reaction": {"message_id": wamid, "emoji": "👍"}}
    )
    assert reacted.status_code == 200, reacted.content
    action = Message.objects.get(pk=message_id_from_wamid(reacted.json()["messages"][0]["id"]))
    assert (action.action, action.target_id, action.text) == ("reaction", target.pk, "👍")
    read = send(cloud, session, {"status": "read", "message_id": wamid, "typing_indicator": {"type": "text"}})
    assert read.status_code == 200 and read.json() == {"success": True}
    actions = Message.objects.filter(action__in=["read", "presence"]).order_by("created_at")
    assert [(a.action, a.text, a.chat_id) for a in actions] == [
        ("read", "", target.chat_id),
        ("presence", "typing", target.chat_id),
    ]


def test_location_and_contacts_become_yesapp_content(cloud, session):
    location = {"latitude": 48.8584, "longitude": 2.2945, "name": "Eiffel Tower", "address": "Paris"}
    response = send(cloud, session, {"to": TO, "type": "location", "location": location})
    message = Message.objects.get(pk=message_id_from_wamid(response.json()["messages"][0]["id"]))
    assert message.type == "location" and message.content["location"]["name"] == "Eiffel Tower"
    card = {"name": {"formatted_name": "Support"}, "phones": [{"phone": "+33 1 44 55 66 77", "type": "WORK"}]}
    response = send(cloud, session, {"to": TO, "type": "contacts", "contacts": [card]})
    assert response.status_code == 200, response.content
    message = Message.objects.get(pk=message_id_from_wamid(response.json()["messages"][0]["id"]))
    assert message.content["contacts"][0]["phone"] == "+33144556677"


@pytest.mark.parametrize(
    ("kind", "words"),
    [("template", "template"), ("interactive", "Interactive messages")],
)
def test_what_only_the_business_platform_has_is_refused_plainly(cloud, session, kind, words):
    response = send(cloud, session, {"to": TO, "type": kind, kind: {"name": "hello_world"}})
    error = graph_error(response, 400, 131051)
    assert words in error["message"] and "linked" in error["message"]
    assert not Message.objects.exists()


def test_errors_are_in_graph_shape(cloud, anon_api, session):
    error = graph_error(anon_api.post(f"/v23.0/{session.pk}/messages", {}, format="json"), 401, 190)
    assert error["error_subcode"] is None
    anon_api.credentials(HTTP_AUTHORIZATION="Bearer wrong")
    graph_error(anon_api.post(f"/v23.0/{session.pk}/messages", {}, format="json"), 401, 190)
    graph_error(cloud.post("/v23.0/not-a-session/messages", {}, format="json"), 404, 100)
    error = graph_error(send(cloud, session, {"to": TO, "type": "text"}), 400, 100)
    assert "text" in error["message"]
    error = graph_error(
        send(cloud, session, {"to": TO, "text": {"body": "x"}, "context": {"message_id": "nope"}}), 400, 100
    )
    error = graph_error(
        send(cloud, session, {"status": "read", "message_id": wamid_for(session.pk)}), 404, 100
    )
    assert error["error_subcode"] == 33
    session.status = "disconnected"
    session.save()
    error = graph_error(send(cloud, session, {"to": TO, "text": {"body": "x"}}), 409, 133010)
    assert error["error_data"]["details"].startswith("session_not_connected")


def test_media_of_another_session_is_not_found(cloud, session, media_root, db):
    from sessions_app.models import Session

    other = Session.objects.create(name="other", status="connected", wid="33700000001@c.us")
    message = inbound(other, type="image", media_status=MediaStatus.STORED, media_mimetype="image/png")
    media_root.mkdir(parents=True, exist_ok=True)
    (media_root / f"{message.pk}.png").write_bytes(PNG)
    message.media_name = f"{message.pk}.png"
    message.save()
    media_id = media_id_for(message.pk)
    assert cloud.get(f"/v23.0/{media_id}").json()["mime_type"] == "image/png"  # an admin key sees it
    graph_error(
        send(cloud, session, {"to": TO, "type": "image", "image": {"id": media_id}}), 404, 100
    )  # but this phone number id does not own it
    graph_error(cloud.delete(f"/v23.0/{media_id}"), 400, 100)  # it goes with its message


def test_an_unknown_path_under_a_version_is_a_graph_404(cloud, anon_api):
    for client in (cloud, anon_api):
        error = graph_error(client.get("/v23.0/123/phone_numbers/x"), 404, 100)
        assert "GET /v23.0/123/phone_numbers/x" in error["message"]
    graph_error(cloud.post("/vx/1/messages", {}, format="json"), 404, 100)


def test_old_uploads_are_pruned_with_their_files(cloud, session, media_root, settings):
    from datetime import timedelta

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from cloud_api.media import uploads_prune

    upload = SimpleUploadedFile("dot.png", PNG, content_type="image/png")
    cloud.post(f"/v23.0/{session.pk}/media", {"file": upload}, format="multipart")
    row = UploadedMedia.objects.get()
    assert (media_root / row.name).is_file()
    settings.MEDIA_RETENTION_DAYS = 30
    assert uploads_prune() == 0
    UploadedMedia.objects.update(created_at=timezone.now() - timedelta(days=31))
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert uploads_prune() == 1
    assert not (media_root / row.name).exists() and not UploadedMedia.objects.exists()
