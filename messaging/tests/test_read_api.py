"""Reading: the message list with its filters and pagination, one message, media, stats."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from messaging.models import Direction, MediaStatus, Message, MessageStatus
from messaging.tests.conftest import PDF, PNG
from yesapp.apikeys import apikey_create


def make(session, *, minutes_ago=0, **fields) -> Message:
    defaults = {
        "direction": Direction.INBOUND,
        "chat_id": "33612345678@c.us",
        "phone": "+33612345678",
        "status": MessageStatus.RECEIVED,
        "text": "hello",
    }
    defaults.update(fields)
    message = Message.objects.create(session=session, **defaults)
    Message.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(minutes=minutes_ago))
    message.refresh_from_db()
    return message


def list_url(session) -> str:
    return f"/api/v1/sessions/{session.pk}/messages"


@pytest.fixture
def history(session):
    """Ten messages, one a minute: even minutes inbound from +33612345678, odd outbound to +33699999999."""
    messages = []
    for i in range(10):
        if i % 2 == 0:
            messages.append(make(session, minutes_ago=i, text=f"in {i}"))
        else:
            messages.append(
                make(
                    session,
                    minutes_ago=i,
                    text=f"out {i}",
                    direction=Direction.OUTBOUND,
                    status=MessageStatus.SENT,
                    chat_id="33699999999@c.us",
                    phone="+33699999999",
                )
            )
    return messages


def test_list_is_newest_first_with_shape(api, history):
    response = api.get(list_url(history[0].session))

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"items", "total", "limit", "offset", "messages"}
    assert (body["total"], body["limit"], body["offset"]) == (10, 50, 0)
    assert [m["text"] for m in body["items"]] == [m.text for m in history]
    assert body["messages"] == body["items"]  # the old field, kept for one release


def test_list_paginates(api, history):
    body = api.get(list_url(history[0].session), {"limit": 3, "offset": 3}).json()

    assert [m["text"] for m in body["messages"]] == ["out 3", "in 4", "out 5"]
    assert (body["total"], body["limit"], body["offset"]) == (10, 3, 3)


def test_list_offset_past_the_end_is_empty(api, history):
    body = api.get(list_url(history[0].session), {"offset": 50}).json()

    assert body["messages"] == [] and body["total"] == 10


@pytest.mark.parametrize("direction, expected", [("inbound", 5), ("outbound", 5), ("all", 10)])
def test_list_filters_by_direction(api, history, direction, expected):
    body = api.get(list_url(history[0].session), {"direction": direction}).json()

    assert body["total"] == expected
    assert all(direction in ("all", m["direction"]) for m in body["messages"])


@pytest.mark.parametrize(
    "params", [{"chat": "33699999999@c.us"}, {"chat": "+33699999999"}, {"phone": "+33699999999"}]
)
def test_list_filters_by_chat_or_number(api, history, params):
    body = api.get(list_url(history[0].session), params).json()

    assert body["total"] == 5
    assert {m["chatId"] for m in body["messages"]} == {"33699999999@c.us"}


def test_list_filters_by_time_range(api, history):
    now = timezone.now()
    params = {
        "since": (now - timedelta(minutes=4, seconds=30)).isoformat(),
        "until": (now - timedelta(minutes=1, seconds=30)).isoformat(),
    }

    body = api.get(list_url(history[0].session), params).json()

    assert [m["text"] for m in body["messages"]] == ["in 2", "out 3", "in 4"]


def test_list_filters_by_status(api, history):
    body = api.get(list_url(history[0].session), {"status": "sent"}).json()

    assert body["total"] == 5


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "abc"},
        {"limit": 0},
        {"limit": -1},
        {"limit": 501},
        {"offset": -1},
        {"offset": "x"},
        {"direction": "sideways"},
        {"chat": "nonsense"},
        {"phone": "+1"},
        {"status": "lost"},
        {"since": "yesterday"},
    ],
)
def test_list_with_bad_query_is_400(api, history, params):
    response = api.get(list_url(history[0].session), params)

    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "validation_error"


def test_a_range_that_ends_before_it_starts_is_empty_not_an_error(api, history):
    params = {"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"}
    response = api.get(list_url(history[0].session), params)

    assert response.status_code == 200, response.content
    assert response.json()["items"] == [] and response.json()["total"] == 0


def test_list_of_unknown_session_is_404(api, db):
    assert api.get(f"/api/v1/sessions/{uuid.uuid4()}/messages").status_code == 404


def test_list_shows_only_that_sessions_messages(api, session, other_session):
    make(session, text="mine")
    make(other_session, text="theirs")

    body = api.get(list_url(session)).json()

    assert [m["text"] for m in body["messages"]] == ["mine"]


def test_get_message_shows_status_timestamps_and_error(api, session):
    message = make(
        session,
        direction=Direction.OUTBOUND,
        status=MessageStatus.FAILED,
        error_code="engine_error",
        error="chat not found",
        failed_at=timezone.now(),
    )

    response = api.get(f"/api/v1/sessions/{session.pk}/messages/{message.pk}")

    assert response.status_code == 200
    body = response.json()
    assert body["messageId"] == str(message.pk)
    assert body["status"] == "failed"
    assert body["error"] == {"code": "engine_error", "message": "chat not found"}
    assert body["failedAt"] and body["createdAt"] and body["sentAt"] is None
    assert body["mediaUrl"] is None and body["media"] is None


def test_get_message_of_another_session_is_404(api, session, other_session):
    message = make(other_session)

    assert api.get(f"/api/v1/sessions/{session.pk}/messages/{message.pk}").status_code == 404
    assert api.get(f"/api/v1/sessions/{session.pk}/messages/{uuid.uuid4()}").status_code == 404
    assert api.get(f"/api/v1/sessions/{session.pk}/messages/not-a-uuid").status_code == 404


def test_scoped_key_cannot_read_other_sessions_messages_or_media(session, other_session, media_root):
    message = make(
        session, type="image", media_status=MediaStatus.STORED, media_name="x.png", media_mimetype="image/png"
    )
    media_root.mkdir(parents=True, exist_ok=True)
    (media_root / "x.png").write_bytes(PNG)
    _, raw = apikey_create(name="scoped", is_admin=False, session_ids=[other_session.pk])
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=raw)

    assert client.get(list_url(session)).status_code == 404
    assert client.get(f"/api/v1/sessions/{session.pk}/messages/{message.pk}").status_code == 404
    assert client.get(f"/api/v1/media/{message.pk}").status_code == 404
    assert client.get(list_url(other_session)).status_code == 200


# --- media ----------------------------------------------------------------------------------------


def stored(session, media_root, *, data: bytes, name: str, **fields) -> Message:
    media_root.mkdir(parents=True, exist_ok=True)
    message = make(session, media_status=MediaStatus.STORED, media_size=len(data), **fields)
    message.media_name = f"{message.pk}.{name.rsplit('.', 1)[1]}"
    message.save()
    (media_root / message.media_name).write_bytes(data)
    return message


def test_media_download_streams_file_with_content_type(api, session, media_root):
    message = stored(session, media_root, data=PNG, name="a.png", type="image", media_mimetype="image/png")

    response = api.get(f"/api/v1/media/{message.pk}", HTTP_ACCEPT="image/*")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == PNG
    assert "attachment" not in response.get("Content-Disposition", "")
    assert "sandbox" in response["Content-Security-Policy"]


def test_media_download_of_document_is_an_attachment_with_its_name(api, session, media_root):
    message = stored(
        session,
        media_root,
        data=PDF,
        name="a.pdf",
        type="document",
        media_mimetype="application/pdf",
        media_filename="Invoice 12.pdf",
    )

    response = api.get(f"/api/v1/media/{message.pk}")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    assert "Invoice 12.pdf" in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == PDF


def test_media_of_message_without_media_is_404(api, session):
    message = make(session)

    response = api.get(f"/api/v1/media/{message.pk}", HTTP_ACCEPT="image/*")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "no_media"


def test_media_not_downloaded_yet_is_404_with_its_state(api, session):
    message = make(session, type="image", media_status=MediaStatus.PENDING, media_error="timeout")

    response = api.get(f"/api/v1/media/{message.pk}")

    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "media_not_available" and "timeout" in error["message"]
    assert error["details"] == {"mediaStatus": "pending"}


def test_media_of_unknown_message_is_404(api, db):
    assert api.get(f"/api/v1/media/{uuid.uuid4()}").status_code == 404
    assert api.get("/api/v1/media/nope").status_code == 404


def test_media_requires_an_api_key(anon_api, session, media_root):
    message = stored(session, media_root, data=PNG, name="a.png", type="image", media_mimetype="image/png")

    assert anon_api.get(f"/api/v1/media/{message.pk}").status_code == 401


# --- stats ----------------------------------------------------------------------------------------


def test_stats_counts_sessions_messages_queues_and_uptime(api, session, other_session):
    other_session.status = "qr"
    other_session.save()
    now = timezone.now()
    make(session, direction=Direction.OUTBOUND, status=MessageStatus.SENT, sent_at=now)
    make(session, direction=Direction.OUTBOUND, status=MessageStatus.READ, sent_at=now - timedelta(hours=25))
    make(session)
    make(session, minutes_ago=60 * 25)
    make(session, direction=Direction.OUTBOUND, status=MessageStatus.QUEUED)
    make(session, direction=Direction.OUTBOUND, status=MessageStatus.QUEUED)
    make(other_session, direction=Direction.OUTBOUND, status=MessageStatus.SENDING)
    make(other_session, direction=Direction.OUTBOUND, status=MessageStatus.PENDING)  # fetching its media

    response = api.get("/api/v1/stats")

    assert response.status_code == 200
    body = response.json()
    assert body["sessions"] == {"total": 2, "byStatus": {"connected": 1, "qr": 1}}
    assert body["messages"]["sentLast24h"] == 1
    assert body["messages"]["receivedLast24h"] == 1
    assert body["queues"]["total"] == 4
    assert {(q["name"], q["pending"], q["queued"], q["sending"]) for q in body["queues"]["sessions"]} == {
        ("main", 0, 2, 0),
        ("other", 1, 0, 1),
    }
    assert body["uptimeSeconds"] >= 0 and body["startedAt"].endswith("Z")


def test_stats_for_scoped_key_cover_its_sessions_only(session, other_session):
    make(session)
    _, raw = apikey_create(name="scoped", is_admin=False, session_ids=[other_session.pk])
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=raw)

    body = client.get("/api/v1/stats").json()

    assert body["sessions"]["total"] == 1
    assert body["messages"]["receivedLast24h"] == 0


def test_openapi_schema_documents_the_messaging_endpoints(openapi_schema):
    # The schema as generated once per run (what /api/schema/ serves: yesapp/tests/test_schema.py).
    paths = openapi_schema["paths"]
    assert set(paths["/api/v1/sessions/{session_id}/messages"]) >= {"get", "post"}
    assert "/api/v1/sessions/{session_id}/messages/{message_id}" in paths
    assert "/api/v1/media/{message_id}" in paths and "/api/v1/stats" in paths
    post = paths["/api/v1/sessions/{session_id}/messages"]["post"]
    assert set(post["requestBody"]["content"]) == {"application/json", "multipart/form-data"}
    assert {"202", "400", "404", "409", "413", "429"} <= set(post["responses"])
