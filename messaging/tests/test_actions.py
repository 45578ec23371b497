"""Acting on a message without a browser: the API's validation and refusals, the action queued
and sent in order by messaging.outbound (with a recording Engine), and the page events that
report a contact's reaction, edit or delete (messaging.inbound_actions)."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from messaging import inbound_actions, outbound
from messaging.inbound import MalformedEvent
from messaging.models import Direction, Message, MessageStatus
from messaging.tests.conftest import CHAT, queue
from sessions_app.engine.base import SendResult

THEIRS = "false_33612345678@c.us_3A0001"
OURS = "true_33612345678@c.us_3EB0001"


def url(message, suffix="") -> str:
    return f"/api/v1/sessions/{message.session_id}/messages/{message.pk}{suffix}"


@pytest.fixture
def received(session) -> Message:
    return Message.objects.create(
        session=session, direction=Direction.INBOUND, status=MessageStatus.RECEIVED, chat_id=CHAT,
        phone="+33612345678", text="Hi!", wa_id=THEIRS,
    )  # fmt: skip


@pytest.fixture
def sent(session) -> Message:
    return Message.objects.create(
        session=session, direction=Direction.OUTBOUND, status=MessageStatus.DELIVERED, chat_id=CHAT,
        phone="+33612345678", text="See you at 9", wa_id=OURS, sent_at=timezone.now(),
    )  # fmt: skip


def events_named(emitted, name):
    return [payload for event, _, payload in emitted if event == name]


# --- the API: what is refused, and the error shape ------------------------------------------------


def test_react_is_202_with_a_queued_action_not_listed_with_messages(api, received):
    response = api.post(url(received, "/reaction"), {"emoji": "👍"}, format="json")

    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["action"], body["type"], body["status"], body["text"]) == (
        "reaction",
        "reaction",
        "queued",
        "👍",
    )
    assert body["targetMessageId"] == str(received.pk) and body["chatId"] == CHAT
    assert response["Location"].endswith(f"/messages/{body['messageId']}")
    assert api.get(url(received, "").rsplit("/", 1)[0]).json()["total"] == 1  # the action is not a message
    assert api.get(response["Location"]).json()["status"] == "queued"


@pytest.mark.parametrize("emoji", ["thumbs up", "ok", " ", "👍 👍", "👍\n", "👍" * 17, 5, None])
def test_react_with_something_not_an_emoji_is_400(api, received, emoji):
    response = api.post(url(received, "/reaction"), {"emoji": emoji}, format="json")

    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] in ("invalid_emoji", "validation_error")
    assert not Message.objects.exclude(pk=received.pk).exists()


@pytest.mark.parametrize("emoji", ["", "❤️", "👍🏽", "👨‍👩‍👧", "🇫🇷", "👍" * 16])
def test_react_with_what_the_schemas_emoji_pattern_allows_is_202(api, received, emoji, openapi_schema):
    rule = openapi_schema["components"]["schemas"]["ReactionInputRequest"]["properties"]["emoji"]
    assert re.fullmatch(rule["pattern"], emoji) and len(emoji) <= rule["maxLength"]

    response = api.post(url(received, "/reaction"), {"emoji": emoji}, format="json")

    assert response.status_code == 202, response.content


def test_react_to_an_unknown_message_is_404_in_the_one_error_shape(api, session, other_session):
    foreign = Message.objects.create(
        session=other_session, direction=Direction.INBOUND, status="received", chat_id=CHAT, wa_id="x"
    )
    for path in (
        f"/api/v1/sessions/{session.pk}/messages/00000000-0000-0000-0000-000000000000/reaction",
        f"/api/v1/sessions/{session.pk}/messages/{foreign.pk}/reaction",
    ):
        response = api.post(path, {"emoji": "👍"}, format="json")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "message_not_found"


def test_an_action_cannot_be_acted_on(api, received):
    action_id = api.post(url(received, "/reaction"), {"emoji": "👍"}, format="json").json()["messageId"]
    action = Message.objects.get(pk=action_id)

    assert api.post(url(action, "/reaction"), {"emoji": "👎"}, format="json").status_code == 404


def test_actions_need_a_connected_session(api, session, received):
    session.status = "disconnected"
    session.save()

    response = api.post(url(received, "/reaction"), {"emoji": "👍"}, format="json")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "session_not_connected"


def test_actions_count_toward_queue_max(api, settings, received):
    settings.QUEUE_MAX = 1
    assert api.post(url(received, "/reaction"), {"emoji": "👍"}, format="json").status_code == 202

    response = api.post(url(received, "/reaction"), {"emoji": "❤️"}, format="json")

    assert response.status_code == 429 and response.json()["error"]["code"] == "queue_full"


def test_edit_a_received_message_is_409_not_own_message(api, received):
    response = api.patch(url(received), {"text": "changed"}, format="json")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_own_message"


def test_edit_after_fifteen_minutes_is_409_edit_window_passed(api, sent):
    Message.objects.filter(pk=sent.pk).update(sent_at=timezone.now() - timedelta(minutes=16))

    response = api.patch(url(sent), {"text": "too late"}, format="json")

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "edit_window_passed" and "15 minutes" in error["message"]


@pytest.mark.parametrize("body", [{}, {"text": ""}, {"text": "   "}, {"text": 3}])
def test_edit_without_text_is_400(api, sent, body):
    assert api.patch(url(sent), body, format="json").status_code == 400


def test_edit_media_is_409_not_editable(api, sent):
    Message.objects.filter(pk=sent.pk).update(type="image", media_status="stored")

    response = api.patch(url(sent), {"text": "caption?"}, format="json")

    assert response.status_code == 409 and response.json()["error"]["code"] == "not_editable"


def test_delete_for_everyone_a_received_message_is_409_but_for_this_device_is_202(api, received):
    refused = api.delete(url(received))
    local = api.delete(url(received) + "?forEveryone=false")

    assert refused.status_code == 409 and refused.json()["error"]["code"] == "not_own_message"
    assert local.status_code == 202 and local.json()["action"] == "delete"


def test_delete_for_everyone_after_sixty_hours_is_409(api, sent):
    Message.objects.filter(pk=sent.pk).update(sent_at=timezone.now() - timedelta(hours=61))

    response = api.delete(url(sent))

    assert response.status_code == 409 and response.json()["error"]["code"] == "revoke_window_passed"


def test_delete_with_a_bad_for_everyone_is_400(api, sent):
    assert api.delete(url(sent) + "?forEveryone=maybe").status_code == 400


def test_acting_on_a_revoked_or_failed_message_is_409(api, sent, received):
    Message.objects.filter(pk=received.pk).update(revoked_at=timezone.now())
    Message.objects.filter(pk=sent.pk).update(status="failed", wa_id="")

    assert api.post(url(received, "/reaction"), {"emoji": "👍"}, format="json").json()["error"]["code"] == (
        "message_revoked"
    )
    assert api.delete(url(sent)).json()["error"]["code"] == "message_not_sent"


# --- the send queue: in order, rate-limited, recorded ---------------------------------------------


def test_actions_go_out_in_order_with_messages_and_change_the_target(
    api, session, engine, unlimited, emitted
):
    (message,) = queue(session, "Meet at 9")
    reaction = api.post(url(message, "/reaction"), {"emoji": "👍"}, format="json").json()
    edit = api.patch(url(message), {"text": "Meet at 10"}, format="json").json()

    assert outbound.send_due(session_id=session.pk, engine=engine) == 3

    assert [call.method for call in engine.calls] == ["send_text", "act_react", "act_edit"]
    message.refresh_from_db()
    assert engine.calls[1].wa_id == message.wa_id != ""
    assert message.text == "Meet at 10" and message.edits[0]["text"] == "Meet at 9" and message.edited_at
    assert list(message.reactions.values())[0]["emoji"] == "👍"
    for action in (reaction, edit):
        row = Message.objects.get(pk=action["messageId"])
        assert row.status == "sent" and row.wa_id == "" and row.dispatched_at
    (reacted,) = events_named(emitted, "message.reaction")
    assert reacted["reaction"] | {"timestamp": None} == {
        "emoji": "👍", "previousEmoji": "", "change": "added", "from": session.wid, "fromMe": True,
        "phone": "+33700000000", "timestamp": None,
    }  # fmt: skip
    (edited,) = events_named(emitted, "message.edited")
    assert (edited["text"], edited["previousText"], edited["editedBy"]) == ("Meet at 10", "Meet at 9", "me")


def test_actions_count_toward_the_rate_limit(api, session, engine, settings, received):
    settings.RATE_LIMIT_PER_MINUTE, settings.RATE_LIMIT_BURST = 60, 1
    queue(session, "one")
    api.post(url(received, "/reaction"), {"emoji": "👍"}, format="json")

    assert outbound.send_due(session_id=session.pk, engine=engine) == 1
    assert outbound.send_due(session_id=session.pk, engine=engine) == 0  # the reaction waits its turn


def test_revoke_and_local_delete_are_recorded_on_the_message(
    api, session, engine, unlimited, sent, received, emitted
):
    api.delete(url(sent))
    api.delete(url(received) + "?forEveryone=false")

    outbound.send_due(session_id=session.pk, engine=engine)

    assert [(c.method, c.wa_id) for c in engine.calls] == [("act_revoke", OURS), ("act_delete", THEIRS)]
    sent.refresh_from_db()
    received.refresh_from_db()
    assert sent.revoked_at and received.deleted_at and not received.revoked_at
    (revoked,) = events_named(emitted, "message.revoked")
    assert (revoked["messageId"], revoked["revokedBy"]) == (str(sent.pk), "me")
    body = api.get(url(sent)).json()
    assert body["revokedAt"] and api.get(url(received)).json()["deletedAt"]


def test_an_action_whatsapp_refuses_fails_and_changes_nothing(api, session, engine, unlimited, sent):
    engine.fail_with["Nope"] = SendResult(wa_id="", error="ERROR_UNKNOWN")
    action = api.patch(url(sent), {"text": "Nope"}, format="json").json()

    outbound.send_due(session_id=session.pk, engine=engine)

    row = Message.objects.get(pk=action["messageId"])
    assert (row.status, row.error_code) == ("failed", "whatsapp_error")
    sent.refresh_from_db()
    assert sent.text == "See you at 9" and sent.edits == []


def test_an_action_on_a_message_that_failed_meanwhile_fails_without_an_engine_call(
    api, session, engine, unlimited
):
    (message,) = queue(session, "will fail")
    action = api.post(url(message, "/reaction"), {"emoji": "👍"}, format="json").json()
    engine.fail_with["will fail"] = SendResult(wa_id="", error="ERROR_UNKNOWN")

    outbound.send_due(session_id=session.pk, engine=engine)

    assert [c.method for c in engine.calls] == ["send_text"]
    row = Message.objects.get(pk=action["messageId"])
    assert (row.status, row.error_code) == ("failed", "message_not_sent")


# --- what the page reports ------------------------------------------------------------------------


def reaction_event(emoji, *, msg=THEIRS, sender=CHAT, from_me=False):
    return {
        "id": {"_serialized": f"{'true' if from_me else 'false'}_{CHAT}_R1", "fromMe": from_me},
        "msgId": {"_serialized": msg},
        "reactionText": emoji,
        "sender": sender,
        "timestamp": 1764230400000,
    }


def test_a_contacts_reaction_added_changed_removed_each_emit_once(session, sent, emitted):
    for emoji in ("👍", "👍", "❤️", ""):
        inbound_actions.handle_reaction(session_id=session.pk, data=reaction_event(emoji, msg=OURS))

    changes = [
        (p["reaction"]["change"], p["reaction"]["emoji"]) for p in events_named(emitted, "message.reaction")
    ]
    assert changes == [("added", "👍"), ("changed", "❤️"), ("removed", "")]
    reaction = events_named(emitted, "message.reaction")[0]
    assert reaction["waMessageId"] == OURS and reaction["reaction"]["phone"] == "+33612345678"
    assert reaction["reaction"]["fromMe"] is False and reaction["reaction"]["timestamp"].startswith(
        "2025-11-27"
    )
    sent.refresh_from_db()
    assert sent.reactions == {}


def test_our_reaction_echoed_by_the_page_is_not_reported_twice(session, received, emitted):
    inbound_actions.handle_reaction(session_id=session.pk, data=reaction_event("👍", sender=session.wid))
    inbound_actions.handle_reaction(
        session_id=session.pk, data=reaction_event("👍", sender="x", from_me=True)
    )

    (only,) = events_named(emitted, "message.reaction")
    assert only["reaction"]["fromMe"] is True and only["reaction"]["from"] == session.wid


def test_a_contact_revokes_their_message(session, received, emitted):
    data = {
        "id": {"_serialized": "false_x_P1", "fromMe": False},
        "refId": {"_serialized": THEIRS},
        "type": "revoke",
    }

    inbound_actions.handle_revoke(session_id=session.pk, data=data)
    inbound_actions.handle_revoke(session_id=session.pk, data=data)  # replayed

    (revoked,) = events_named(emitted, "message.revoked")
    assert (revoked["messageId"], revoked["revokedBy"], revoked["phone"]) == (
        str(received.pk),
        "contact",
        "+33612345678",
    )
    assert revoked["revokedAt"]


def test_a_contact_edits_their_message(session, received, emitted):
    data = {
        "chat": session.wid,
        "id": THEIRS,
        "msg": {"id": {"_serialized": THEIRS, "fromMe": False}, "body": "Hi!!"},
    }

    inbound_actions.handle_edit(session_id=session.pk, data=data)
    inbound_actions.handle_edit(session_id=session.pk, data=data)

    (edited,) = events_named(emitted, "message.edited")
    assert (edited["text"], edited["previousText"], edited["editedBy"]) == ("Hi!!", "Hi!", "contact")
    assert edited["edits"][0]["text"] == "Hi!"


def test_changes_to_a_message_not_stored_are_skipped(session, emitted):
    inbound_actions.handle_reaction(session_id=session.pk, data=reaction_event("👍", msg="false_unknown_1"))
    inbound_actions.handle_revoke(session_id=session.pk, data={"refId": "false_unknown_1"})
    inbound_actions.handle_edit(session_id=session.pk, data={"id": "false_unknown_1", "msg": {"body": "x"}})

    assert emitted == []


@pytest.mark.parametrize(
    "handler, data",
    [
        (inbound_actions.handle_reaction, None),
        (inbound_actions.handle_reaction, {"reactionText": "👍"}),
        (inbound_actions.handle_revoke, {"id": "x"}),
        (inbound_actions.handle_edit, {"msg": {"body": "x"}}),
        (inbound_actions.handle_edit, ["not", "an", "object"]),
    ],
)
def test_events_without_their_ids_are_malformed(session, handler, data):
    with pytest.raises(MalformedEvent):
        handler(session_id=session.pk, data=data)


def test_a_message_deleted_for_everyone_can_still_be_cleared_from_the_device(api, received):
    Message.objects.filter(pk=received.pk).update(revoked_at=timezone.now())

    assert api.delete(url(received)).status_code == 409
    assert api.delete(url(received) + "?forEveryone=false").status_code == 202


# --- chat actions: read and presence ---------------------------------------------------------------


def chat_url(session, chat, what) -> str:
    return f"/api/v1/sessions/{session.pk}/chats/{chat}/{what}"


def test_read_and_presence_are_queued_actions_sent_in_order(api, session, engine, unlimited):
    (message,) = queue(session, "Thinking...")
    read = api.post(chat_url(session, "+33612345678", "read"))
    typing = api.post(chat_url(session, CHAT, "presence"), {"state": "typing"}, format="json")

    assert (read.status_code, typing.status_code) == (202, 202), (read.content, typing.content)
    assert (read.json()["action"], read.json()["chatId"], read.json()["targetMessageId"]) == (
        "read",
        CHAT,
        None,
    )
    assert (typing.json()["action"], typing.json()["text"]) == ("presence", "typing")
    outbound.send_due(session_id=session.pk, engine=engine)
    assert [(c.method, c.chat_id, c.text) for c in engine.calls] == [
        ("send_text", CHAT, "Thinking..."), ("act_read", CHAT, ""), ("act_presence", CHAT, "typing"),
    ]  # fmt: skip
    assert Message.objects.get(pk=typing.json()["messageId"]).status == "sent"


@pytest.mark.parametrize("body", [{}, {"state": "dancing"}, {"state": 1}])
def test_presence_with_an_unknown_state_is_400(api, session, body):
    assert api.post(chat_url(session, CHAT, "presence"), body, format="json").status_code == 400


def test_chat_actions_on_a_bad_chat_id_are_400_and_need_a_connected_session(api, session):
    assert api.post(chat_url(session, "not-a-chat", "read")).status_code == 400
    session.status = "qr"
    session.save()
    response = api.post(chat_url(session, CHAT, "read"))
    assert response.status_code == 409 and response.json()["error"]["code"] == "session_not_connected"


def test_stats_count_actions_in_the_queue_but_not_as_messages_sent(api, session, engine, unlimited, received):
    api.post(url(received, "/reaction"), {"emoji": "👍"}, format="json")
    assert api.get("/api/v1/stats").json()["queues"]["total"] == 1

    outbound.send_due(session_id=session.pk, engine=engine)

    stats = api.get("/api/v1/stats").json()
    assert stats["queues"]["total"] == 0 and stats["messages"]["sentLast24h"] == 0
