"""The person in message payloads (`contact`: phone and lid), and how a received message's
sender gets paired with their lid before it is stored."""

import pytest

from messaging import engine_handlers
from messaging.models import LidMapping, Message
from messaging.payloads import message_event_payload
from messaging.tests.conftest import new_message
from messaging.tests.engine_double import RecordingEngine
from sessions_app.engine.base import EngineCrashed, PageTimeout

LID = "123456789012345@lid"


class PairingEngine(RecordingEngine):
    """Answers WPP.contact.getPnLidEntry from `pairs` (chat id → {phone, lid}), or raises `error`."""

    def __init__(self, pairs=None, error=None):
        super().__init__()
        self.pairs, self.error, self.asked = pairs or {}, error, []

    def pn_lid_entry(self, contact_id, *, wait):
        self.asked.append(contact_id)
        if self.error:
            raise self.error
        return self.pairs.get(contact_id, {"phone": None, "lid": None})


def receive(session, engine, data):
    engine_handlers._new_message(session.id, data, engine)
    return Message.objects.get(session=session, wa_id=data["id"]["_serialized"])


def test_a_new_senders_lid_is_learned_before_the_message_is_stored(session):
    engine = PairingEngine({"33612345678@c.us": {"phone": "33612345678@c.us", "lid": LID}})

    message = receive(session, engine, new_message())

    assert message_event_payload(message)["contact"] == {"phone": "+33612345678", "lid": LID}
    receive(session, engine, new_message("false_33612345678@c.us_DEF"))
    assert engine.asked == ["33612345678@c.us"]  # once per person


def test_a_lid_sender_gets_the_phone_whatsapp_web_knows(session):
    engine = PairingEngine({LID: {"phone": "33612345678@c.us", "lid": LID}})

    message = receive(session, engine, new_message(f"false_{LID}_ABC", remote=LID))

    assert message_event_payload(message)["contact"] == {"phone": "+33612345678", "lid": LID}
    assert message_event_payload(message)["from"] == LID  # today's fields stay as they are


def test_a_sender_whatsapp_web_cannot_pair_has_null_and_is_not_asked_again_soon(session):
    engine = PairingEngine()

    message = receive(session, engine, new_message(f"false_{LID}_ABC", remote=LID))
    receive(session, engine, new_message(f"false_{LID}_DEF", remote=LID))

    assert message_event_payload(message)["contact"] == {"phone": None, "lid": LID}
    assert engine.asked == [LID]
    assert not LidMapping.objects.exists()


def test_a_slow_page_does_not_keep_the_message_from_being_stored(session):
    engine = PairingEngine(error=PageTimeout("slow"))

    message = receive(session, engine, new_message())

    assert message_event_payload(message)["contact"] == {"phone": "+33612345678", "lid": None}


def test_a_page_too_slow_to_answer_is_asked_again_soon_not_an_hour_later(session, monkeypatch):
    from messaging import contacts

    engine = PairingEngine(error=PageTimeout("slow"))
    receive(session, engine, new_message())
    engine.error = None
    engine.pairs = {"33612345678@c.us": {"phone": "33612345678@c.us", "lid": LID}}
    receive(session, engine, new_message("false_33612345678@c.us_DEF"))
    assert engine.asked == ["33612345678@c.us"]  # not at once: a busy page is not asked per message

    later = contacts.time.monotonic() + contacts.UNANSWERED_RETRY_SECONDS + 1
    monkeypatch.setattr(contacts.time, "monotonic", lambda: later)
    message = receive(session, engine, new_message("false_33612345678@c.us_GHI"))

    assert engine.asked == ["33612345678@c.us"] * 2
    assert message_event_payload(message)["contact"] == {"phone": "+33612345678", "lid": LID}


def test_a_crashed_browser_is_left_to_the_actor(session):
    with pytest.raises(EngineCrashed):
        receive(session, PairingEngine(error=EngineCrashed("gone")), new_message())


def test_a_group_member_is_the_person_and_a_group_recipient_is_none(session):
    engine = PairingEngine({"33611111111@c.us": {"phone": "33611111111@c.us", "lid": LID}})
    group = "120363000000000001@g.us"

    message = receive(
        session,
        engine,
        new_message(f"false_{group}_ABC_33611111111@c.us", remote=group, author="33611111111@c.us"),
    )
    sent = Message.objects.create(session=session, direction="outbound", chat_id=group, text="hi")

    assert message_event_payload(message)["contact"] == {"phone": "+33611111111", "lid": LID}
    assert message_event_payload(sent)["contact"] is None


def test_the_message_list_shows_each_person_with_one_query_for_all_pairs(
    api, session, django_assert_max_num_queries
):
    LidMapping.objects.create(session=session, lid=LID, phone="+33612345678")
    for n in range(5):
        Message.objects.create(session=session, direction="outbound", chat_id="33612345678@c.us", text=f"{n}")
    Message.objects.create(session=session, direction="outbound", chat_id="33699999999@c.us", text="x")

    # A fixed number: one query for all the pairs, none per message.
    with django_assert_max_num_queries(6):
        items = api.get(f"/api/v1/sessions/{session.pk}/messages").json()["items"]

    assert [item["contact"] for item in items][-1] == {"phone": "+33612345678", "lid": LID}
    assert items[0]["contact"] == {"phone": "+33699999999", "lid": None}
