"""The sandbox's directory of simulated people (sandbox/contacts.py), through the endpoints its
page's WPP.contact.queryWidExists and getPnLidEntry call."""

import re

import pytest
from django.test import Client

from sandbox import contacts
from sandbox.models import SandboxContact, SandboxMessage
from sandbox.services.page import sandbox_page_send
from sandbox.services.page_url import sandbox_page_token
from sandbox.tests.test_api import link
from yesapp.errors import InvalidInput


@pytest.fixture
def page_post(sandbox_session):
    client = Client()
    token = sandbox_page_token(session_id=sandbox_session.id)

    def post(path: str, contact_id: str):
        response = client.post(
            f"/sandbox/web/{sandbox_session.id}/{path}?token={token}",
            {"id": contact_id},
            content_type="application/json",
        )
        return response.status_code, response.json()

    return post


def test_every_valid_number_is_on_whatsapp_except_those_ending_in_0000(page_post):
    lid = contacts.sandbox_lid_of("+33612345678")

    assert page_post("exists", "33612345678@c.us") == (200, {"wid": "33612345678@c.us", "lid": lid})
    assert page_post("exists", "33612340000@c.us") == (200, {"wid": None, "lid": None})
    assert page_post("exists", "123@c.us") == (200, {"wid": None, "lid": None})


def test_a_number_has_one_stable_15_digit_lid():
    lid = contacts.sandbox_lid_of("+33612345678")

    assert re.fullmatch(r"[1-9]\d{14}@lid", lid)
    assert lid == contacts.sandbox_lid_of("+33612345678")
    assert lid != contacts.sandbox_lid_of("+33612345679")


def test_the_lid_of_a_number_is_known_but_its_number_only_once_it_is_in_the_chats(sandbox_session, page_post):
    lid = contacts.sandbox_lid_of("+33612345678")
    assert page_post("pn-lid", "33612345678@c.us") == (200, {"phone": "33612345678@c.us", "lid": lid})
    assert page_post("pn-lid", lid) == (200, {"phone": None, "lid": lid})  # known only by lid

    SandboxContact.objects.create(session=sandbox_session, phone="+33612345678")

    assert page_post("pn-lid", lid) == (200, {"phone": "33612345678@c.us", "lid": lid})


def test_a_number_not_on_whatsapp_has_no_lid_and_anything_else_is_invalid_wid(page_post):
    assert page_post("pn-lid", "33612340000@c.us") == (200, {"phone": None, "lid": None})
    status, body = page_post("pn-lid", "nope")
    assert (status, body["error"]["code"]) == (400, "invalid_wid")


def test_a_lid_is_someone_on_whatsapp(page_post):
    assert page_post("exists", "100000000000001@lid") == (
        200,
        {"wid": "100000000000001@lid", "lid": "100000000000001@lid"},
    )


def test_a_send_to_a_number_not_on_whatsapp_fails_like_any_unknown_recipient(api, sandbox_session):
    token = link(api, sandbox_session)

    with pytest.raises(InvalidInput) as exc:
        sandbox_page_send(session=sandbox_session, device_token=token, chat_id="33612340000@c.us", text="x")

    assert exc.value.code == "invalid_recipient"
    assert not SandboxMessage.objects.exists()
