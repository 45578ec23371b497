"""Contact questions over the API: validation, the session's state, the page's answers and
timeouts, the cache, and sends to numbers known not to be on WhatsApp.

The engine's command path is replaced at its lowest call (the Celery task that carries a
command to the engine node): the real path through Chromium is test_contacts_flow.py."""

from datetime import timedelta

import pytest
from celery.exceptions import TimeoutError as CeleryTimeout
from django.utils import timezone

import sessions_app.page_query
from messaging import engine_handlers
from messaging.models import LidMapping, Message, NumberCheck
from sessions_app.engine.base import PageTimeout
from sessions_app.engine.lease import lease_acquire

ON = "+33612345678"
OFF = "+33612340000"
LID = "123456789012345@lid"


class PageAnswer:
    """What `.get()` on the command's AsyncResult gives: an answer, or a Celery timeout."""

    def __init__(self, answer):
        self.answer = answer

    def get(self, timeout=None, propagate=True):
        if isinstance(answer := self.answer, Exception):
            raise answer
        return answer


@pytest.fixture
def page(monkeypatch, session):
    """The session's engine node holds its lease; commands reach a fake page that knows ON (with
    LID) and answers OFF absent. `page.commands` records what was asked."""
    lease_acquire(session_id=session.id, node="test-node")

    class Page:
        commands: list = []
        answer = None  # set to override every answer

        def route(self, session_id, command, args):
            self.commands.append((command, args))
            if self.answer is not None:
                return PageAnswer(self.answer)
            if command == "contacts_check":
                return PageAnswer({"results": [_exists(chat_id) for chat_id in args["chatIds"]]})
            known = args["id"] in (LID, "33612345678@c.us")
            return PageAnswer({"phone": "33612345678@c.us" if known else None, "lid": LID if known else None})

    fake = Page()
    fake.commands = []
    monkeypatch.setattr(sessions_app.page_query, "_route_command", fake.route)
    return fake


def _exists(chat_id):
    if chat_id.endswith("0000@c.us"):
        return {"id": chat_id, "exists": False, "chatId": None, "lid": None}
    return {"id": chat_id, "exists": True, "chatId": chat_id, "lid": LID}


def check(api, session, phone):
    return api.get(f"/api/v1/sessions/{session.pk}/contacts/check", {"phone": phone})


def check_many(api, session, phones):
    return api.post(f"/api/v1/sessions/{session.pk}/contacts/check", {"phones": phones}, format="json")


# --- validation ------------------------------------------------------------------------------------


@pytest.mark.parametrize("phone", ["", "not a number", "+1234", "+33 6 12"])
def test_check_of_an_invalid_number_is_400_and_asks_nothing(api, session, page, phone):
    response = check(api, session, phone)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert page.commands == []


def test_batch_of_more_than_50_numbers_is_400(api, session, page):
    phones = [f"+336123456{i:02d}" for i in range(51)]

    response = check_many(api, session, phones)

    assert response.status_code == 400
    assert "phones" in response.json()["error"]["details"]
    assert page.commands == []


@pytest.mark.parametrize("phones", [[], [ON, "nope"], "+33612345678"])
def test_batch_with_no_list_or_an_invalid_number_checks_none(api, session, page, phones):
    response = check_many(api, session, phones)

    assert response.status_code == 400
    assert page.commands == []


def test_check_on_an_unknown_session_is_404(api, db):
    response = api.get("/api/v1/sessions/5b0e7c1e-8f0a-4c1e-9a55-1d3c2b7a9e10/contacts/check?phone=" + ON)

    assert response.status_code == 404


@pytest.mark.parametrize("lid", ["abc@lid", "12@lid", "123456789012345@c.us"])
def test_lid_lookup_of_something_that_is_not_a_lid_is_400(api, session, page, lid):
    response = api.get(f"/api/v1/sessions/{session.pk}/contacts/lid/{lid}")

    assert response.status_code == 400
    assert page.commands == []


def test_phone_lid_lookup_of_an_invalid_number_is_400(api, session, page):
    response = api.get(f"/api/v1/sessions/{session.pk}/contacts/phone/12ab/lid")

    assert response.status_code == 400


# --- the session and the page -------------------------------------------------------------------


def test_check_through_a_session_that_is_not_connected_is_409(api, session, page):
    session.status = "qr"
    session.save(update_fields=["status"])

    response = check(api, session, ON)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "session_not_connected"
    assert page.commands == []


def test_check_through_a_session_no_engine_node_runs_is_409(api, session, monkeypatch):
    response = check(api, session, ON)  # connected in the database, but no lease: nobody runs it

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "session_not_connected"


def test_a_page_that_does_not_answer_in_time_is_504(api, session, page):
    page.answer = CeleryTimeout("slow")

    response = check(api, session, ON)

    assert response.status_code == 504
    assert response.json()["error"]["code"] == "engine_timeout"
    assert "CONTACTS_QUERY_TIMEOUT" in response.json()["error"]["message"]
    assert not NumberCheck.objects.exists()


def test_whatsapp_answering_too_slowly_in_the_page_is_504(api, session, page):
    page.answer = {"error": "WhatsApp did not answer look up lid within 10s.", "code": "page_timeout"}

    response = api.get(f"/api/v1/sessions/{session.pk}/contacts/lid/{LID}")

    assert response.status_code == 504
    assert "did not answer" in response.json()["error"]["message"]


def test_an_engine_node_that_lost_the_session_is_409(api, session, page):
    page.answer = {"error": "This session is not running on any engine node.", "code": "not_running"}

    assert check(api, session, ON).status_code == 409


def test_engine_command_turns_a_slow_page_into_page_timeout():
    class SlowPage:
        def check_numbers(self, chat_ids, *, wait):
            raise PageTimeout("WhatsApp did not answer check numbers within 1s.")

    answer = engine_handlers._check_numbers(None, SlowPage(), {"chatIds": ["33612345678@c.us"], "wait": 1})

    assert answer["code"] == "page_timeout"


# --- answers and the cache ------------------------------------------------------------------------


def test_check_answers_exists_chat_id_and_lid(api, session, page):
    on, off = check(api, session, ON).json(), check(api, session, "0033 6 12 34 00 00").json()

    assert (on["phone"], on["exists"], on["chatId"], on["lid"]) == (ON, True, "33612345678@c.us", LID)
    assert (off["phone"], off["exists"], off["chatId"], off["lid"]) == (OFF, False, None, None)
    assert page.commands[0] == ("contacts_check", {"chatIds": ["33612345678@c.us"], "wait": 10.0})


def test_batch_answers_each_distinct_number_once_in_order_with_one_command(api, session, page):
    response = check_many(api, session, [OFF, ON, "+33 6 12 34 56 78"])

    assert response.status_code == 200
    assert [(r["phone"], r["exists"]) for r in response.json()["results"]] == [(OFF, False), (ON, True)]
    assert len(page.commands) == 1


def test_a_fresh_answer_is_reused_without_asking_the_page_again(api, session, page):
    check(api, session, ON)
    first_checked = NumberCheck.objects.get(phone=ON).checked_at

    again = check_many(api, session, [ON, OFF]).json()["results"]

    assert [command for command, _ in page.commands] == ["contacts_check", "contacts_check"]
    assert page.commands[1][1]["chatIds"] == ["33612340000@c.us"]  # only the one not cached
    assert again[0]["checkedAt"] == first_checked.isoformat().replace("+00:00", "Z")


def test_cached_answers_are_served_while_the_session_is_disconnected(api, session, page):
    check(api, session, ON)
    session.status = "disconnected"
    session.save(update_fields=["status"])

    response = check(api, session, ON)

    assert response.status_code == 200
    assert response.json()["exists"] is True


def test_an_expired_answer_is_asked_again(api, session, page, settings):
    settings.CONTACTS_CHECK_CACHE_SECONDS = 60
    check(api, session, ON)
    NumberCheck.objects.update(checked_at=timezone.now() - timedelta(seconds=61))

    check(api, session, ON)

    assert len(page.commands) == 2
    assert NumberCheck.objects.count() == 1


def test_with_caching_off_every_check_asks_the_page(api, session, page, settings):
    settings.CONTACTS_CHECK_CACHE_SECONDS = 0

    check(api, session, ON)
    check(api, session, ON)

    assert len(page.commands) == 2


def test_checks_are_per_session(api, session, other_session, page):
    lease_acquire(session_id=other_session.id, node="test-node")
    check(api, session, ON)

    check(api, other_session, ON)

    assert len(page.commands) == 2


# --- sends to numbers known not to exist -----------------------------------------------------------


def send(api, session, to):
    return api.post(f"/api/v1/sessions/{session.pk}/messages", {"to": to, "text": "hi"}, format="json")


@pytest.mark.parametrize("to", [OFF, "33612340000@c.us"])
def test_send_to_a_number_checked_absent_is_422_not_on_whatsapp_and_stores_nothing(api, session, page, to):
    check(api, session, OFF)

    response = send(api, session, to)

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "not_on_whatsapp"
    assert error["details"]["phone"] == OFF
    assert not Message.objects.exists()


def test_send_to_a_number_never_checked_or_found_present_is_queued(api, session, page):
    check(api, session, ON)

    assert send(api, session, ON).status_code == 202
    assert send(api, session, OFF).status_code == 202  # never checked: sent as before


def test_send_to_a_number_whose_absent_answer_expired_is_queued(api, session, page, settings):
    settings.CONTACTS_CHECK_CACHE_SECONDS = 60
    check(api, session, OFF)
    NumberCheck.objects.update(checked_at=timezone.now() - timedelta(seconds=61))

    assert send(api, session, OFF).status_code == 202


# --- lids --------------------------------------------------------------------------------------------


def test_lid_lookup_answers_the_phone_and_remembers_it(api, session, page):
    response = api.get(f"/api/v1/sessions/{session.pk}/contacts/lid/{LID}")
    again = api.get(f"/api/v1/sessions/{session.pk}/contacts/lid/123456789012345")

    assert response.json() == {"phone": ON, "lid": LID}
    assert again.json() == {"phone": ON, "lid": LID}
    assert len(page.commands) == 1
    assert LidMapping.objects.get(session=session, lid=LID).phone == ON


def test_a_lid_whatsapp_web_cannot_resolve_answers_phone_null_and_is_not_remembered(api, session, page):
    hidden = "987654321098765@lid"

    first = api.get(f"/api/v1/sessions/{session.pk}/contacts/lid/{hidden}").json()
    api.get(f"/api/v1/sessions/{session.pk}/contacts/lid/{hidden}")

    assert first == {"phone": None, "lid": hidden}
    assert len(page.commands) == 2  # a later answer may know it
    assert not LidMapping.objects.exists()


def test_phone_lid_lookup_uses_what_a_check_learned(api, session, page):
    check(api, session, ON)

    response = api.get(f"/api/v1/sessions/{session.pk}/contacts/phone/{ON}/lid")

    assert response.json() == {"phone": ON, "lid": LID}
    assert [command for command, _ in page.commands] == ["contacts_check"]


def test_phone_lid_lookup_asks_the_page_and_answers_null_for_an_unknown_lid(api, session, page):
    known = api.get(f"/api/v1/sessions/{session.pk}/contacts/phone/33612345678/lid").json()
    unknown = api.get(f"/api/v1/sessions/{session.pk}/contacts/phone/+33612345679/lid").json()

    assert known == {"phone": ON, "lid": LID}
    assert unknown == {"phone": "+33612345679", "lid": None}
    assert page.commands[0] == ("contacts_pn_lid", {"id": "33612345678@c.us", "wait": 10.0})


def test_lid_lookup_through_a_session_that_is_not_connected_is_409(api, session, page):
    session.status = "stopped"
    session.save(update_fields=["status"])

    assert api.get(f"/api/v1/sessions/{session.pk}/contacts/lid/{LID}").status_code == 409
