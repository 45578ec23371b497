"""POST /api/v1/sessions/{id}/messages: validation, queueing, media, idempotency, limits."""

import base64
import json
import uuid

import pytest

from messaging.media import MediaSource
from messaging.models import MediaStatus, Message
from messaging.tests.conftest import JPEG, PDF, PNG
from sessions_app.nudger import NUDGER
from yesapp.apikeys import apikey_create


def url(session_id) -> str:
    return f"/api/v1/sessions/{session_id}/messages"


def post(api, session, body, **extra):
    return api.post(url(session.pk), body, format="json", **extra)


def media_files(media_root) -> list:
    return sorted(p.name for p in media_root.iterdir()) if media_root.exists() else []


# --- text ----------------------------------------------------------------------------------------


def test_send_text_to_e164_is_202_queued_and_stored(api, session):
    response = post(api, session, {"to": "+33612345678", "text": "Hello"})

    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "queued"
    message = Message.objects.get(pk=body["messageId"])
    assert (message.direction, message.status, message.chat_id, message.phone, message.text) == (
        "outbound",
        "queued",
        "33612345678@c.us",
        "+33612345678",
        "Hello",
    )
    assert response["Location"] == f"/api/v1/sessions/{session.pk}/messages/{message.pk}"
    assert body["to"] == "33612345678@c.us" and body["from"] == session.wid


@pytest.mark.parametrize("to", ["33612345678@c.us", "120363025555555555@g.us", "123456789012345@lid"])
def test_send_to_raw_chat_id_is_accepted_as_is(api, session, to):
    response = post(api, session, {"to": to, "text": "hi"})

    assert response.status_code == 202, response.content
    assert Message.objects.get().chat_id == to


@pytest.mark.parametrize(
    "body, field",
    [
        ({"to": "+999123", "text": "hi"}, "to"),
        ({"to": "not a number", "text": "hi"}, "to"),
        ({"to": "12@x.us", "text": "hi"}, "to"),
        ({"text": "hi"}, "to"),
        ({"to": "+33612345678", "text": ""}, "text"),
        ({"to": "+33612345678", "text": "   \n"}, "text"),
        ({"to": "+33612345678"}, "text"),
        ({"to": 33612345678, "text": "hi"}, "to"),
        ({"to": "+33612345678", "text": 5}, "text"),
        ({"to": "+33612345678", "text": ["hi"]}, "text"),
        ({"to": "+33612345678", "text": "hi", "queue": "maybe"}, "queue"),
        ({"to": "+33612345678", "media": "picture.png"}, "media"),
        ({"to": "+33612345678", "text": "x" * 65537}, "text"),
    ],
)
def test_send_with_bad_input_is_400_and_stores_nothing(api, session, body, field):
    response = post(api, session, body)

    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["message"] or field in error["details"]
    assert not Message.objects.exists()


def test_send_invalid_number_says_how_to_write_it(api, session):
    response = post(api, session, {"to": "+33 1", "text": "hi"})

    assert response.status_code == 400
    assert (
        "international format" in response.json()["error"]["message"]
        or "not a" in response.json()["error"]["message"]
    )


@pytest.mark.parametrize(
    "raw, content_type",
    [
        (b'{"to": "+33612345678", "text": ', "application/json"),
        (b"\xff\xfe{\x00}\x00", "application/json"),
        (b'{"to": "+33612345678", "text": "caf\xe9"}', "application/json"),
        (b'["+33612345678", "hi"]', "application/json"),
        (b'"hello"', "application/json"),
    ],
)
def test_send_with_unparsable_body_is_400_and_stores_nothing(api, session, raw, content_type):
    response = api.generic("POST", url(session.pk), raw, content_type=content_type)

    assert response.status_code == 400, response.content
    assert set(response.json()["error"]) == {"code", "message", "details"}
    assert not Message.objects.exists()


def test_send_with_unsupported_content_type_is_415(api, session):
    response = api.generic("POST", url(session.pk), b"to=+33612345678", content_type="text/plain")

    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


def test_send_to_unknown_session_is_404(api, db):
    response = api.post(url(uuid.uuid4()), {"to": "+33612345678", "text": "hi"}, format="json")

    assert response.status_code == 404
    assert response.json()["error"]["code"] in ("not_found", "session_not_found")


def test_send_to_malformed_session_id_is_404_json(api, db):
    response = api.post(
        "/api/v1/sessions/not-a-uuid/messages", {"to": "+33612345678", "text": "hi"}, format="json"
    )

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_send_without_api_key_is_401(anon_api, session):
    response = post(anon_api, session, {"to": "+33612345678", "text": "hi"})

    assert response.status_code == 401
    assert not Message.objects.exists()


def test_key_scoped_to_another_session_gets_404(session, other_session):
    from rest_framework.test import APIClient

    _, raw = apikey_create(name="scoped", is_admin=False, session_ids=[other_session.pk])
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=raw)

    denied = post(client, session, {"to": "+33612345678", "text": "hi"})
    allowed = post(client, other_session, {"to": "+33612345678", "text": "hi"})

    assert denied.status_code == 404
    assert allowed.status_code == 202
    assert Message.objects.get().session == other_session


# --- session state and the queue ------------------------------------------------------------------


def test_send_to_session_not_connected_is_409_and_stores_nothing(api, session):
    session.status = "qr"
    session.save()

    response = post(api, session, {"to": "+33612345678", "text": "hi"})

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "session_not_connected"
    assert '"queue": true' in error["message"]
    assert not Message.objects.exists()


def test_send_with_queue_true_to_disconnected_session_is_queued(api, session):
    session.status = "disconnected"
    session.save()

    response = post(api, session, {"to": "+33612345678", "text": "later", "queue": True})

    assert response.status_code == 202
    assert Message.objects.get().status == "queued"


def test_queue_max_reached_is_429_with_retry_after_and_stores_nothing(api, session, settings):
    settings.QUEUE_MAX = 3
    for i in range(3):
        assert post(api, session, {"to": "+33612345678", "text": f"m{i}"}).status_code == 202

    response = post(api, session, {"to": "+33612345678", "text": "one too many"})

    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    error = response.json()["error"]
    assert error["code"] == "queue_full"
    assert error["details"] == {"queued": 3, "queueMax": 3}
    assert Message.objects.count() == 3


def test_queue_max_counts_one_session_only(api, session, other_session, settings):
    settings.QUEUE_MAX = 1
    assert post(api, session, {"to": "+33612345678", "text": "a"}).status_code == 202

    assert post(api, other_session, {"to": "+33612345678", "text": "b"}).status_code == 202
    assert post(api, session, {"to": "+33612345678", "text": "c"}).status_code == 429


def test_queue_max_refuses_media_before_storing_its_file(api, session, settings, media_root):
    settings.QUEUE_MAX = 0
    body = {"to": "+33612345678", "media": {"type": "image", "data": base64.b64encode(PNG).decode()}}

    response = post(api, session, body)

    assert response.status_code == 429
    assert media_files(media_root) == []


# --- idempotency ----------------------------------------------------------------------------------


def test_same_idempotency_key_returns_first_message_and_sends_once(api, session):
    first = post(api, session, {"to": "+33612345678", "text": "pay"}, HTTP_IDEMPOTENCY_KEY="order-1")
    second = post(api, session, {"to": "+33612345678", "text": "pay"}, HTTP_IDEMPOTENCY_KEY="order-1")

    assert first.status_code == second.status_code == 202
    assert first.json() == second.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Message.objects.count() == 1
    assert Message.objects.get().idempotency_key == "order-1"


def test_repeated_idempotency_key_ignores_a_changed_body(api, session):
    first = post(api, session, {"to": "+33612345678", "text": "pay"}, HTTP_IDEMPOTENCY_KEY="order-2")
    second = post(api, session, {"to": "+33699999999", "text": "other"}, HTTP_IDEMPOTENCY_KEY="order-2")

    assert second.json()["messageId"] == first.json()["messageId"]
    assert Message.objects.count() == 1


def test_same_idempotency_key_on_two_sessions_makes_two_messages(api, session, other_session):
    a = post(api, session, {"to": "+33612345678", "text": "x"}, HTTP_IDEMPOTENCY_KEY="k")
    b = post(api, other_session, {"to": "+33612345678", "text": "x"}, HTTP_IDEMPOTENCY_KEY="k")

    assert a.json()["messageId"] != b.json()["messageId"]
    assert Message.objects.count() == 2


def test_idempotency_key_replay_works_after_session_disconnects(api, session):
    first = post(api, session, {"to": "+33612345678", "text": "x"}, HTTP_IDEMPOTENCY_KEY="k2")
    session.status = "disconnected"
    session.save()

    again = post(api, session, {"to": "+33612345678", "text": "x"}, HTTP_IDEMPOTENCY_KEY="k2")

    assert again.status_code == 202
    assert again.json()["messageId"] == first.json()["messageId"]


@pytest.mark.parametrize("key", ["has space", "x" * 256, "é"])
def test_malformed_idempotency_key_is_400(api, session, key):
    response = api.post(
        url(session.pk),
        json.dumps({"to": "+33612345678", "text": "x"}).encode(),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=key,
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_idempotency_key"
    assert not Message.objects.exists()


def test_failed_request_does_not_consume_its_idempotency_key(api, session):
    session.status = "qr"
    session.save()
    assert (
        post(api, session, {"to": "+33612345678", "text": "x"}, HTTP_IDEMPOTENCY_KEY="k3").status_code == 409
    )
    session.status = "connected"
    session.save()

    assert (
        post(api, session, {"to": "+33612345678", "text": "x"}, HTTP_IDEMPOTENCY_KEY="k3").status_code == 202
    )


# --- media ----------------------------------------------------------------------------------------


def test_send_base64_image_stores_file_with_sniffed_type(api, session, media_root):
    body = {
        "to": "+33612345678",
        "caption": "look",
        "media": {"type": "image", "data": base64.b64encode(PNG).decode(), "mimetype": "image/jpeg"},
    }

    response = post(api, session, body)

    assert response.status_code == 202, response.content
    message = Message.objects.get()
    assert (message.type, message.text, message.media_mimetype, message.media_size) == (
        "image",
        "look",
        "image/png",
        len(PNG),
    )
    assert message.media_status == MediaStatus.STORED
    assert media_files(media_root) == [f"{message.pk}.png"]
    assert (media_root / f"{message.pk}.png").read_bytes() == PNG
    assert response.json()["mediaUrl"].endswith(f"/api/v1/media/{message.pk}")


def test_send_media_as_data_url_with_text_as_caption(api, session):
    data_url = "data:image/jpeg;base64," + base64.b64encode(JPEG).decode()

    response = post(api, session, {"to": "+33612345678", "text": "cap", "media": {"data": data_url}})

    assert response.status_code == 202, response.content
    message = Message.objects.get()
    assert (message.type, message.media_mimetype, message.text) == ("image", "image/jpeg", "cap")


def test_send_document_keeps_filename_and_sniffs_pdf(api, session):
    body = {
        "to": "+33612345678",
        "media": {
            "type": "document",
            "data": base64.b64encode(PDF).decode(),
            "filename": "../../etc/invoice.pdf",
            "mimetype": "text/html",
        },
    }

    response = post(api, session, body)

    assert response.status_code == 202, response.content
    message = Message.objects.get()
    assert (message.type, message.media_mimetype, message.media_filename) == (
        "document",
        "application/pdf",
        "invoice.pdf",
    )


def test_send_plain_text_document_uses_claimed_signatureless_type(api, session):
    body = {
        "to": "+33612345678",
        "media": {
            "type": "document",
            "data": base64.b64encode(b"a,b\n1,2\n").decode(),
            "filename": "rows.csv",
            "mimetype": "text/csv",
        },
    }

    assert post(api, session, body).status_code == 202
    assert Message.objects.get().media_mimetype == "text/csv"


def test_unknown_bytes_claimed_as_html_are_stored_as_octet_stream(api, session):
    body = {
        "to": "+33612345678",
        "media": {
            "type": "document",
            "data": base64.b64encode(b"\x00\x01binary").decode(),
            "mimetype": "application/x-msdownload",
        },
    }

    assert post(api, session, body).status_code == 202
    assert Message.objects.get().media_mimetype == "application/octet-stream"


def test_image_type_with_pdf_bytes_is_400_and_stores_nothing(api, session, media_root):
    body = {"to": "+33612345678", "media": {"type": "image", "data": base64.b64encode(PDF).decode()}}

    response = post(api, session, body)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "media_type_mismatch"
    assert not Message.objects.exists() and media_files(media_root) == []


@pytest.mark.parametrize(
    "media, code",
    [
        ({"type": "image", "data": "not base64!!"}, "validation_error"),
        ({"type": "image", "data": ""}, "validation_error"),
        ({"type": "image"}, "validation_error"),
        ({"type": "image", "data": "aGk=", "url": "https://example.com/a.png"}, "validation_error"),
        ({"type": "sticker", "data": "aGk="}, "validation_error"),
        ({"type": "image", "data": 12}, "validation_error"),
        ({"type": "image", "url": "ftp://example.com/a.png"}, "media_url_refused"),
    ],
)
def test_bad_media_is_400_and_stores_nothing(api, session, media, code, media_root):
    response = post(api, session, {"to": "+33612345678", "media": media})

    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == code
    assert not Message.objects.exists() and media_files(media_root) == []


def test_base64_media_one_byte_over_the_limit_is_413_and_stores_nothing(api, session, media_root, settings):
    settings.MEDIA_MAX_BYTES = 64 * 1024  # the rule at any limit; the 16 MB default is tested below
    data = base64.b64encode(PNG + b"\x00" * (64 * 1024 + 1 - len(PNG))).decode()

    response = post(api, session, {"to": "+33612345678", "media": {"type": "image", "data": data}})

    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "payload_too_large"
    assert error["details"]["limit"] == 64 * 1024
    assert not Message.objects.exists() and media_files(media_root) == []


def test_base64_media_of_exactly_the_limit_is_accepted(api, session, media_root, settings):
    settings.MEDIA_MAX_BYTES = 64 * 1024
    data = base64.b64encode(PNG + b"\x00" * (64 * 1024 - len(PNG))).decode()

    response = post(api, session, {"to": "+33612345678", "media": {"type": "image", "data": data}})

    assert response.status_code == 202, response.content[:300]
    assert Message.objects.get().media_size == 64 * 1024


# Slow: DRF checks the 22 MB JSON string character by character (surrogates), for seconds.
@pytest.mark.slow
def test_base64_media_of_exactly_16_mb_fits_the_default_limits(api, session, media_root, settings):
    assert settings.MEDIA_MAX_BYTES == 16 * 1024 * 1024
    data = base64.b64encode(PNG + b"\x00" * (16 * 1024 * 1024 - len(PNG))).decode()

    response = post(api, session, {"to": "+33612345678", "media": {"type": "image", "data": data}})

    assert response.status_code == 202, response.content[:300]
    assert Message.objects.get().media_size == 16 * 1024 * 1024


def test_multipart_upload_is_queued_with_sniffed_type(api, session, media_root):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("photo.bin", PNG, content_type="application/pdf")

    response = api.post(
        url(session.pk), {"to": "+33612345678", "caption": "pic", "file": upload}, format="multipart"
    )

    assert response.status_code == 202, response.content
    message = Message.objects.get()
    assert (message.type, message.media_mimetype, message.text, message.media_filename) == (
        "image",
        "image/png",
        "pic",
        "photo.bin",
    )
    assert media_files(media_root) == [f"{message.pk}.png"]


def test_multipart_upload_one_byte_over_16_mb_is_413_and_stores_nothing(api, session, media_root):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("big.png", PNG + b"\x00" * (16 * 1024 * 1024 + 1 - len(PNG)))

    response = api.post(url(session.pk), {"to": "+33612345678", "file": upload}, format="multipart")

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert not Message.objects.exists() and media_files(media_root) == []


def test_multipart_text_only_and_queue_flag(api, session):
    session.status = "stopped"
    session.save()

    response = api.post(
        url(session.pk), {"to": "+33612345678", "text": "hi", "queue": "true"}, format="multipart"
    )

    assert response.status_code == 202, response.content
    assert Message.objects.get().type == "text"


def test_body_over_api_limit_is_413_before_parsing(api, session, settings):
    settings.API_MAX_BODY_BYTES = 1000

    response = api.post(url(session.pk), {"to": "+33612345678", "text": "x" * 2000}, format="json")

    assert response.status_code == 413
    assert not Message.objects.exists()


# --- nudging the engine -------------------------------------------------------------------------


def test_queued_message_nudges_the_engine_after_commit(
    api, session, monkeypatch, django_capture_on_commit_callbacks
):
    from messaging import services

    nudged = []
    monkeypatch.setattr(services, "session_nudge_soon", lambda session_id: nudged.append(session_id))

    with django_capture_on_commit_callbacks(execute=True):
        response = post(api, session, {"to": "+33612345678", "text": "hi"})

    assert response.status_code == 202
    assert nudged == [session.pk]


def test_failing_nudge_does_not_fail_the_request(
    api, session, monkeypatch, django_capture_on_commit_callbacks
):
    import sessions_app.services

    def broken(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(sessions_app.services, "_route_command", broken)

    with django_capture_on_commit_callbacks(execute=True):
        response = post(api, session, {"to": "+33612345678", "text": "hi"})

    assert response.status_code == 202
    assert Message.objects.get().status == "queued"
    assert NUDGER.wait_idle()  # the nudge, sent beside the request, failed there and was logged


def test_idempotency_race_returns_the_winner_and_removes_the_losers_file(session, monkeypatch, media_root):
    """Two requests with one key, both past the first lookup: the insert that loses answers
    with the winner's message, and its own media file is removed."""
    from messaging import services

    winner, _ = services.message_send(session=session, to="+33612345678", text="w", idempotency_key="race")
    real_find = services.message_find_by_idempotency_key
    lookups = []

    def find_late(**kwargs):
        lookups.append(kwargs)
        return None if len(lookups) == 1 else real_find(**kwargs)

    monkeypatch.setattr(services, "message_find_by_idempotency_key", find_late)
    media = MediaSource(kind="image", data=base64.b64encode(PNG).decode())

    message, created = services.message_send(
        session=session, to="+33612345678", media=media, idempotency_key="race"
    )

    assert (message.pk, created) == (winner.pk, False)
    assert Message.objects.count() == 1
    assert media_files(media_root) == []
