"""Mentions, link previews and forwarded messages through the real path: API → queue → engine
worker → Chromium → the sandbox's WPP, and a sandbox contact's messages back."""

import pytest

from messaging.tests.test_engine_flow import CONTACT, _inbound, outbox
from sessions_app.tests.helpers import create_and_link, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]
FRIEND = "+33611111111"


@pytest.fixture
def linked(api, engine_worker):
    engine_worker("engine-a")
    return create_and_link(api, name="mentions")


def test_mentions_and_link_previews_reach_the_contact_and_theirs_come_back(api, linked):
    send = f"/api/v1/sessions/{linked.id}/messages"
    bodies = [
        {"text": "Hi @33611111111", "mentions": [FRIEND, "33622222222@c.us"]},
        {"text": "Agenda: https://example.com/agenda", "linkPreview": False},
        {"text": "Slides: https://example.com/slides"},
    ]
    for body in bodies:
        response = api.post(send, {"to": CONTACT, **body}, format="json")
        assert response.status_code == 202, response.content
    got = wait_for(lambda: len(o := outbox(api, linked.id)) == 3 and o[::-1], 60, what="three sent")

    # What the contact's phone got, as the sandbox's WPP recorded the wa-js options.
    assert got[0]["mentions"] == ["33611111111@c.us", "33622222222@c.us"]
    assert [m["linkPreview"] for m in got] == [None, None, "https://example.com/slides"]
    assert not any(m["isForwarded"] for m in got)

    inbound = f"/api/v1/sandbox/sessions/{linked.id}/inbound"
    reply = {"from": CONTACT, "text": "@33611111111 look", "mentions": [FRIEND], "forwarded": True}
    assert api.post(inbound, reply, format="json").status_code == 202
    (received,) = _inbound(api, linked.id, 1)
    assert received["mentions"] == [{"phone": FRIEND, "lid": None}]
    assert received["forwarded"] is True and received["mentionsAll"] is False


def test_a_mention_wa_js_refuses_fails_the_message_with_its_reason(api, linked):
    # A lid the sandbox's WhatsApp does not know is still a user id: wa-js sends it. A group
    # id is refused by the API before it reaches wa-js; the sandbox refuses the rest like wa-js.
    response = api.post(
        f"/api/v1/sessions/{linked.id}/messages",
        {"to": CONTACT, "text": "hi", "mentions": ["120363012345678901@g.us"]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["details"]["field"] == "mentions"
