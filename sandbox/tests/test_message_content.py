"""Locations, contact cards, polls, voice notes and quotes in the sandbox, without a browser:
what the page's WPP posts for them, what the simulated phone sends, and what the outbox and
the page events show."""

from django.test import Client

from sandbox import selectors
from sandbox.models import SandboxMessage
from sandbox.services.page import sandbox_page_poll, sandbox_page_send
from sandbox.tests.test_api import CONTACT, api_url, link, page_path

CHAT = "4915112345678@c.us"


def page_send(session, token: str, body: dict):
    """What the page's WPP posts for a send (static/sandbox/wpp/send.js `sendJson`)."""
    return Client().post(
        page_path(session, "send"),
        {"chatId": CHAT, "markIsRead": True, "cursor": 0, **body},
        content_type="application/json",
        headers={"X-Sandbox-Device": token},
    )


def inbound(api, session, body: dict):
    return api.post(api_url(session.id, "inbound"), {"from": CONTACT, **body}, format="json")


def test_the_page_sends_a_location_cards_and_a_poll_quoting_a_message(api, sandbox_session):
    token = link(api, sandbox_session)
    question = inbound(api, sandbox_session, {"text": "Where?"}).json()["id"]

    location = page_send(
        sandbox_session,
        token,
        {
            "type": "location",
            "lat": 48.85,
            "lng": 2.29,
            "name": "Tower",
            "address": "Paris",
            "quotedMsg": question,
        },
    )
    cards = page_send(
        sandbox_session,
        token,
        {
            "type": "vcard",
            "contacts": [{"id": "33611111111@c.us", "name": "Bob"}, {"id": "33622222222@c.us", "name": ""}],
        },
    )
    poll = page_send(
        sandbox_session,
        token,
        {"type": "poll_creation", "name": "Lunch?", "choices": ["A", "B"], "selectableCount": 1},
    )

    assert [r.status_code for r in (location, cards, poll)] == [200] * 3, location.content
    model = location.json()["msg"]
    assert (model["type"], model["lat"], model["lng"], model["loc"]) == (
        "location",
        48.85,
        2.29,
        "Tower\nParis",
    )
    assert model["quotedStanzaID"] == question.rsplit("_", 1)[1] and model["quotedParticipant"] == CHAT
    assert cards.json()["msg"]["type"] == "multi_vcard"
    outbox = {m["type"]: m for m in api.get(api_url(sandbox_session.id, "outbox")).json()["items"]}
    assert outbox["location"]["quotedMsgId"] == question
    assert outbox["location"]["location"] == {
        "latitude": 48.85,
        "longitude": 2.29,
        "name": "Tower",
        "address": "Paris",
    }
    assert [(c["name"], c["phone"]) for c in outbox["multi_vcard"]["contacts"]] == [
        ("Bob", "+33611111111"),
        ("33622222222", "+33622222222"),
    ]
    assert outbox["poll_creation"]["poll"] == {
        "question": "Lunch?",
        "options": ["A", "B"],
        "multipleAnswers": False,
    }
    assert not outbox["poll_creation"]["isPtt"]


def test_the_page_is_refused_an_unknown_quote_or_a_bad_place_like_wa_js(api, sandbox_session):
    token = link(api, sandbox_session)

    unknown = page_send(sandbox_session, token, {"text": "re", "quotedMsg": f"false_{CHAT}_NOPE"})
    off_map = page_send(sandbox_session, token, {"type": "location", "lat": 95, "lng": 2})
    no_cards = page_send(sandbox_session, token, {"type": "vcard", "contacts": []})
    group_card = page_send(sandbox_session, token, {"type": "vcard", "contacts": ["120363000000000000@g.us"]})

    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "msg_not_found"
    assert off_map.status_code == 400 and no_cards.status_code == 400
    assert group_card.json()["error"]["code"] == "invalid_wid"
    assert not SandboxMessage.objects.filter(direction="out").exists()


def test_the_phone_sends_each_kind_and_the_page_gets_wa_js_fields(api, sandbox_session):
    token = link(api, sandbox_session)
    sent = sandbox_page_send(session=sandbox_session, device_token=token, chat_id=CHAT, text="Hi")
    bodies = [
        {"location": {"latitude": -33.85, "longitude": 151.21, "name": "Opera"}, "replyTo": sent.wa_id},
        {"contacts": [{"name": "Bob", "phone": "+33611111111"}]},
        {"poll": {"question": "Dinner?", "options": ["Yes", "No"], "multipleAnswers": True}},
    ]
    answers = [inbound(api, sandbox_session, body) for body in bodies]
    assert [a.status_code for a in answers] == [202] * 3, [a.content for a in answers]

    poll = sandbox_page_poll(session=sandbox_session, after=0, device_token=token)
    models = [selectors.page_event(e, me=poll.me)["data"] for e in poll.events if e.kind == "message"]
    place, card, vote = models
    assert (place["lat"], place["lng"], place["loc"]) == (-33.85, 151.21, "Opera")
    assert place["quotedStanzaID"] == sent.key and place["quotedParticipant"] == poll.me
    assert card["type"] == "vcard" and card["vcardFormattedName"] == "Bob"
    assert "waid=33611111111:+33611111111" in card["body"]
    assert vote["type"] == "poll_creation" and vote["pollSelectableOptionsCount"] == 0
    assert [o["name"] for o in vote["pollOptions"]] == ["Yes", "No"]


def test_the_phone_is_refused_bad_kinds_and_unknown_quotes(api, sandbox_session):
    link(api, sandbox_session)

    unknown = inbound(api, sandbox_session, {"text": "re", "replyTo": f"true_{CHAT}_NOPE"})
    two = inbound(
        api, sandbox_session, {"location": {"latitude": 1, "longitude": 2}, "poll": {"question": "?"}}
    )
    off_map = inbound(api, sandbox_session, {"location": {"latitude": 1, "longitude": 200}})
    one_option = inbound(api, sandbox_session, {"poll": {"question": "?", "options": ["only"]}})
    with_text = inbound(
        api, sandbox_session, {"contacts": [{"name": "Bob", "phone": "+33611111111"}], "text": "x"}
    )

    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "msg_not_found"
    assert [r.status_code for r in (two, off_map, one_option, with_text)] == [400] * 4
    assert not SandboxMessage.objects.exists()


def test_the_page_records_mentions_and_link_previews_and_refuses_what_wa_js_would(api, sandbox_session):
    token = link(api, sandbox_session)

    not_a_list = page_send(sandbox_session, token, {"text": "hi", "mentionedList": "33611111111@c.us"})
    group = page_send(sandbox_session, token, {"text": "hi", "mentionedList": ["120363000000000000@g.us"]})
    assert not_a_list.json()["error"]["code"] == "mentioned_list_is_not_array"
    assert group.json()["error"]["code"] == "mentioned_is_not_user"
    assert not SandboxMessage.objects.filter(direction="out").exists()

    sent = page_send(
        sandbox_session,
        token,
        {
            "text": "@33611111111 see https://example.com/a b",
            "mentionedList": ["33611111111@c.us"],
            "linkPreview": True,
        },
    )
    assert sent.status_code == 200, sent.content
    assert sent.json()["msg"]["mentionedJidList"] == ["33611111111@c.us"]
    assert sent.json()["msg"]["matchedText"] == "https://example.com/a"
    (shown,) = api.get(api_url(sandbox_session.id, "outbox")).json()["items"]
    assert (shown["mentions"], shown["linkPreview"], shown["isForwarded"]) == (
        ["33611111111@c.us"],
        "https://example.com/a",
        False,
    )


def test_the_phone_mentions_numbers_and_forwards_and_the_page_gets_wa_js_fields(api, sandbox_session):
    token = link(api, sandbox_session)

    bad = inbound(api, sandbox_session, {"text": "hi", "mentions": ["12"]})
    assert bad.status_code == 400
    ok = inbound(api, sandbox_session, {"text": "hi", "mentions": ["+33 6 11 11 11 11"], "forwarded": True})
    assert ok.status_code == 202, ok.content

    poll = sandbox_page_poll(session=sandbox_session, after=0, device_token=token)
    (model,) = [selectors.page_event(e, me=poll.me)["data"] for e in poll.events if e.kind == "message"]
    assert model["mentionedJidList"] == ["33611111111@c.us"] and model["isForwarded"] is True
