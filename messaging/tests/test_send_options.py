"""Mentions, link previews and the forwarded flag without a browser: what the send API accepts
and refuses, what reaches the engine, and what a received message shows."""

import base64

import pytest

from messaging import inbound, outbound
from messaging.models import LidMapping, Message
from messaging.tests.conftest import PNG, TO, new_message

GROUP = "120363012345678901@g.us"


def post(api, session, body):
    return api.post(f"/api/v1/sessions/{session.pk}/messages", {"to": TO, **body}, format="json")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": "hi", "mentions": "+4915112345678"}, "mentions"),
        ({"text": "hi", "mentions": []}, "mentions"),
        ({"text": "hi", "mentions": [4915112345678]}, "mentions"),
        ({"text": "hi", "mentions": ["x" * 101]}, "mentions"),
        ({"location": {"latitude": 1, "longitude": 2}, "mentions": [TO]}, "mentions"),
        ({"type": "voice", "media": {"data": "SUQz"}, "mentions": [TO]}, "mentions"),
        ({"text": "hi", "linkPreview": "false"}, "linkPreview"),
        ({"text": "hi", "linkPreview": None}, "linkPreview"),
        ({"media": {"data": base64.b64encode(PNG).decode()}, "linkPreview": False}, "linkPreview"),
    ],
)
def test_malformed_mentions_and_link_previews_are_400_naming_the_field(api, session, body, field):
    response = post(api, session, body)

    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["details"]
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    ("to", "mentions"),
    [
        (TO, ["all"]),  # everyone: only in a group
        (TO, ["not a number"]),
        (TO, ["120363012345678901@g.us"]),  # a group is not a person
        (GROUP, ["status@broadcast"]),
    ],
)
def test_mentions_that_name_no_person_are_400_and_store_nothing(api, session, to, mentions):
    response = post(api, session, {"to": to, "text": "hi", "mentions": mentions})

    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error" and error["details"]["field"] == "mentions"
    assert not Message.objects.exists()


def test_mentions_and_link_preview_reach_wa_js_options_and_show_as_people(api, session, engine, unlimited):
    LidMapping.objects.create(session=session, lid="99887766@lid", phone="+4915112345678")
    response = post(
        api,
        session,
        {
            "text": "Hi @4915112345678, see https://example.com",
            "mentions": ["+49 151 12345678", "12345678901234@lid"],
            "linkPreview": False,
        },
    )
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["mentions"] == [
        {"phone": "+4915112345678", "lid": "99887766@lid"},
        {"phone": None, "lid": "12345678901234@lid"},
    ]
    assert body["mentionsAll"] is False and body["forwarded"] is False

    outbound.send_due(session_id=session.pk, engine=engine)
    (call,) = engine.sent
    # Outside a group the person is mentioned by number, as the chat shows it.
    mentioned = ["4915112345678@c.us", "12345678901234@lid"]
    assert call.content == {"mentionedList": mentioned, "linkPreview": False}


def test_in_a_group_all_adds_the_token_wa_js_reads_and_a_known_lid_is_used(api, session, engine, unlimited):
    LidMapping.objects.create(session=session, lid="99887766@lid", phone="+4915112345678")
    response = post(api, session, {"to": GROUP, "text": "Meeting now", "mentions": ["all", "+4915112345678"]})
    assert response.status_code == 202, response.content
    assert response.json()["text"] == "Meeting now @all" and response.json()["mentionsAll"] is True

    already = post(api, session, {"to": GROUP, "text": "@all lunch?", "mentions": ["all"]})
    assert already.json()["text"] == "@all lunch?"

    while outbound.send_due(session_id=session.pk, engine=engine):
        pass
    first, second = engine.sent
    assert first.content == {"mentionedList": ["99887766@lid"], "detectMentioned": True}
    assert second.content == {"detectMentioned": True}


def test_mentions_in_a_caption_go_with_the_file(api, session, engine, unlimited):
    media = {"data": base64.b64encode(PNG).decode(), "caption": "look @4915112345678"}
    assert post(api, session, {"media": media, "mentions": ["+4915112345678"]}).status_code == 202

    outbound.send_due(session_id=session.pk, engine=engine)
    (call,) = engine.sent
    assert call.media.extra == {"mentionedList": ["4915112345678@c.us"]}


def test_received_mentions_and_forwarded_flag_are_stored_and_shown(session, emitted):
    LidMapping.objects.create(session=session, lid="55443322@lid", phone="+33611111111")
    data = new_message(
        body="@33611111111 look",
        mentionedJidList=["33611111111@c.us", "55443322@lid", 42, "x" * 200],
        mentionsAll=True,
        isForwarded=True,
    )
    inbound.handle_new_message(session_id=session.pk, data=data, engine=None)

    (event, _, payload) = emitted[-1]
    assert event == "message.received"
    # Both ids name the same person here: shown once per id WhatsApp gave, each completed.
    assert payload["mentions"] == [
        {"phone": "+33611111111", "lid": "55443322@lid"},
        {"phone": "+33611111111", "lid": "55443322@lid"},
    ]
    assert payload["mentionsAll"] is True and payload["forwarded"] is True
    plain = new_message("false_33612345678@c.us_P", mentionedJidList="nope", isForwarded="yes")
    inbound.handle_new_message(session_id=session.pk, data=plain, engine=None)
    assert emitted[-1][2]["mentions"] == [] and emitted[-1][2]["forwarded"] is False
