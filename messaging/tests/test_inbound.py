"""messaging.inbound with a recording Engine: acks, received messages (dedupe, ciphertext,
fromMe typed on the phone, our own sends' echoes), and what a malformed event raises."""

import pytest

from messaging import inbound, outbound
from messaging.models import Message, MessageStatus
from messaging.tests.conftest import CHAT, new_message, queue, statuses

# --- acks ---------------------------------------------------------------------------------------


@pytest.fixture
def sent_message(session, engine, unlimited) -> Message:
    (message,) = queue(session, "ack me")
    outbound.send_due(session_id=session.pk, engine=engine)
    message.refresh_from_db()
    return message


def ack(session, message, value, *, as_string=False):
    key = message.wa_id if as_string else {"_serialized": message.wa_id, "fromMe": True, "remote": CHAT}
    inbound.handle_ack(session_id=session.pk, data={"ack": value, "chat": CHAT, "sender": CHAT, "ids": [key]})
    message.refresh_from_db()


def test_acks_move_status_forward_with_timestamps_and_events(session, sent_message, emitted):
    emitted.clear()

    ack(session, sent_message, 1)
    assert sent_message.status == "sent" and emitted == []

    ack(session, sent_message, 2)
    assert sent_message.status == "delivered" and sent_message.delivered_at is not None

    ack(session, sent_message, 3, as_string=True)
    assert sent_message.status == "read" and sent_message.read_at is not None

    assert statuses(emitted) == ["delivered", "read"]
    delivered_payload, read_payload = (payload for _, _, payload in emitted)
    assert delivered_payload["previousStatus"] == "sent" and delivered_payload["deliveredAt"]
    assert read_payload["readAt"] and read_payload["messageId"] == str(sent_message.pk)


def test_ack_never_moves_status_backwards(session, sent_message, emitted):
    ack(session, sent_message, 3)
    emitted.clear()

    ack(session, sent_message, 2)
    ack(session, sent_message, 1)
    ack(session, sent_message, 0)
    ack(session, sent_message, -1)

    assert sent_message.status == "read"
    assert emitted == []


def test_played_ack_counts_as_read_and_fills_skipped_timestamps(session, sent_message):
    ack(session, sent_message, 4)

    assert sent_message.status == "read"
    assert sent_message.delivered_at == sent_message.read_at


def test_ack_for_unknown_or_malformed_ids_changes_nothing(session, sent_message):
    inbound.handle_ack(session_id=session.pk, data={"ack": 3, "ids": ["true_nobody_1", 5, None, {}]})
    with pytest.raises(inbound.MalformedEvent):  # quarantined by the actor
        inbound.handle_ack(session_id=session.pk, data={"ack": "x", "ids": [sent_message.wa_id]})
    with pytest.raises(inbound.MalformedEvent):
        inbound.handle_ack(session_id=session.pk, data=["not", "a", "dict"])

    sent_message.refresh_from_db()
    assert sent_message.status == "sent"


def test_ack_of_another_session_does_not_touch_this_one(session, other_session, sent_message):
    inbound.handle_ack(session_id=other_session.pk, data={"ack": 3, "ids": [sent_message.wa_id]})

    sent_message.refresh_from_db()
    assert sent_message.status == "sent"


# --- new messages -------------------------------------------------------------------------------


def test_inbound_text_is_stored_once_and_emits_received(session, engine, emitted):
    inbound.handle_new_message(session_id=session.pk, data=new_message(), engine=engine)

    message = Message.objects.get()
    assert (message.direction, message.status, message.type, message.text) == (
        "inbound",
        "received",
        "text",
        "Hi there",
    )
    assert (message.chat_id, message.phone, message.contact_name) == (CHAT, "+33612345678", "Alice")
    assert message.wa_timestamp.timestamp() == 1764230400
    [(event, session_id, payload)] = emitted
    assert event == "message.received" and session_id == session.pk
    assert payload["from"] == CHAT and payload["to"] == session.wid and payload["text"] == "Hi there"
    assert payload["mediaUrl"] is None and payload["timestamp"] == "2025-11-27T08:00:00Z"


def test_replayed_new_message_is_deduplicated(session, engine, emitted):
    for _ in range(3):
        inbound.handle_new_message(session_id=session.pk, data=new_message(), engine=engine)

    assert Message.objects.count() == 1
    assert len(emitted) == 1


def test_a_replay_emits_the_received_event_a_blip_cut_short_once(session, engine, emitted):
    """The row was stored but the database went away before `message.received` was recorded
    (a media message emits after its download): the page hands the event over again."""
    inbound.handle_new_message(session_id=session.pk, data=new_message(), engine=engine)
    Message.objects.update(notified_at=None)
    emitted.clear()
    for _ in range(2):
        inbound.handle_new_message(session_id=session.pk, data=new_message(), engine=engine)

    assert [event for event, _, _ in emitted] == ["message.received"]
    assert Message.objects.get().notified_at is not None


def test_same_wa_id_in_two_sessions_is_two_messages(session, other_session, engine):
    inbound.handle_new_message(session_id=session.pk, data=new_message(), engine=engine)
    inbound.handle_new_message(session_id=other_session.pk, data=new_message(), engine=engine)

    assert Message.objects.count() == 2


def test_group_message_records_author_and_their_number(session, engine, emitted):
    data = new_message(
        "false_120363025555555555@g.us_X_33611111111@c.us",
        remote="120363025555555555@g.us",
        author="33611111111@c.us",
    )

    inbound.handle_new_message(session_id=session.pk, data=data, engine=engine)

    message = Message.objects.get()
    assert (message.chat_id, message.author, message.phone) == (
        "120363025555555555@g.us",
        "33611111111@c.us",
        "+33611111111",
    )
    assert emitted[0][2]["from"] == "33611111111@c.us"


def test_ciphertext_is_stored_silently_then_updated_when_decrypted(session, engine, emitted):
    inbound.handle_new_message(
        session_id=session.pk, data=new_message(type="ciphertext", body=""), engine=engine
    )
    assert Message.objects.get().type == "ciphertext"
    assert emitted == []

    inbound.handle_new_message(session_id=session.pk, data=new_message(body="Now readable"), engine=engine)

    message = Message.objects.get()
    assert (message.type, message.text) == ("text", "Now readable")
    assert [(event, payload["text"]) for event, _, payload in emitted] == [
        ("message.received", "Now readable")
    ]

    inbound.handle_new_message(session_id=session.pk, data=new_message(body="Now readable"), engine=engine)
    assert len(emitted) == 1


def test_from_me_typed_on_the_phone_is_stored_as_outbound_from_phone(session, engine, emitted):
    data = new_message("true_33612345678@c.us_PHONE1", from_me=True, body="sent from my phone")

    inbound.handle_new_message(session_id=session.pk, data=data, engine=engine)

    message = Message.objects.get()
    assert (message.direction, message.status, message.from_phone, message.text) == (
        "outbound",
        "sent",
        True,
        "sent from my phone",
    )
    assert message.chat_id == CHAT and message.sent_at is not None
    [(event, _, payload)] = emitted
    assert event == "message.status" and payload["fromPhone"] is True and payload["from"] == session.wid


def test_from_me_echo_of_an_api_send_is_skipped(session, sent_message, engine, emitted):
    emitted.clear()
    data = new_message(sent_message.wa_id, from_me=True, body="ack me")

    inbound.handle_new_message(session_id=session.pk, data=data, engine=engine)

    assert Message.objects.count() == 1
    assert emitted == []


def test_status_broadcast_is_ignored_by_default(session, engine, settings):
    inbound.handle_new_message(
        session_id=session.pk, data=new_message(remote="status@broadcast"), engine=engine
    )
    assert not Message.objects.exists()

    settings.MESSAGING_IGNORE_STATUS_BROADCAST = False
    inbound.handle_new_message(
        session_id=session.pk, data=new_message(remote="status@broadcast"), engine=engine
    )
    assert Message.objects.get().chat_id == "status@broadcast"


def test_unknown_types_are_stored_under_their_wa_js_type(session, engine):
    inbound.handle_new_message(session_id=session.pk, data=new_message(type="call_log"), engine=engine)

    assert Message.objects.get().type == "call_log"


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("chat.new_message", {"body": "no id"}),
        ("chat.new_message", {"id": {"_serialized": 5}, "body": "no usable id"}),
        ("chat.new_message", "junk"),
        ("chat.msg_ack_change", {"ack": "soon", "ids": []}),
        ("chat.msg_ack_change", None),
    ],
)
def test_a_payload_without_what_it_takes_is_malformed_not_silently_dropped(session, engine, name, data):
    """The actor quarantines what raises MalformedEvent, so it stays visible and retryable."""
    with pytest.raises(inbound.MalformedEvent):
        if name == "chat.new_message":
            inbound.handle_new_message(session_id=session.pk, data=data, engine=engine)
        else:
            inbound.handle_ack(session_id=session.pk, data=data)

    assert not Message.objects.exists()


def test_whatsapps_echo_of_an_uncertain_send_settles_it_as_sent(session, engine, unlimited, emitted):
    (caught,) = queue(session, "did it go?")
    Message.objects.filter(pk=caught.pk).update(status=MessageStatus.SENDING)
    outbound.recover_interrupted(session_id=session.pk)

    inbound.handle_new_message(
        session_id=session.pk,
        data=new_message("true_33612345678@c.us_ECHO", from_me=True, body="did it go?"),
        engine=engine,
    )

    caught.refresh_from_db()
    assert (caught.status, caught.wa_id, caught.error_code) == ("sent", "true_33612345678@c.us_ECHO", "")
    assert Message.objects.count() == 1
    assert statuses(emitted) == ["failed", "sent"]
    ack(session, caught, 2)
    assert caught.status == "delivered"
