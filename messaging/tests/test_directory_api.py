"""Contacts, chats and history over the API: validation, the session's state, the page's
answers and timeouts, the caches, and deduplicated imports.

As in test_contacts_api.py, the engine's command path is replaced at its lowest call (the Celery
task carrying a command to the engine node); the real path through Chromium is
test_directory_flow.py."""

import base64

import pytest
from celery.exceptions import TimeoutError as CeleryTimeout
from django.core.files.storage import default_storage

import sessions_app.page_query
from messaging import engine_handlers
from messaging.models import Contact, Message
from messaging.tests.test_contacts_api import PageAnswer
from sandbox.directory import picture_png
from sessions_app.engine.base import EngineError, PageTimeout
from sessions_app.engine.lease import lease_acquire

ALICE = "33612345678@c.us"
LID = "123456789012345@lid"
PNG = picture_png("+33612345678")


def _history(count: int) -> list[dict]:
    return [
        {
            "id": {
                "fromMe": i % 2 == 1,
                "remote": ALICE,
                "_serialized": f"{'true' if i % 2 else 'false'}_{ALICE}_K{i}",
            },
            "from": ALICE,
            "to": "33700000000@c.us",
            "type": "chat",
            "body": f"message {i}",
            "t": 1_700_000_000 + i * 60,
        }
        for i in range(count)
    ]


@pytest.fixture
def page(monkeypatch, session, settings):
    """The session's node holds its lease; a fake page answers each directory command."""
    settings.MESSAGE_RETENTION_DAYS = 100_000  # the fake history is from 2023
    lease_acquire(session_id=session.id, node="test-node")

    class Page:
        commands: list = []
        answer = None
        history = _history(3)

        def route(self, session_id, command, args):
            self.commands.append((command, args))
            if self.answer is not None:
                return PageAnswer(self.answer)
            return PageAnswer(self.answers(command, args))

        def answers(self, command, args):
            if command == "contacts_list":
                return {
                    "contacts": [
                        {"id": ALICE, "name": "Alice", "pushName": "Ally", "phone": ALICE, "lid": LID}
                    ]
                }
            if command == "contacts_profile":
                if args["id"] != ALICE:
                    return {"found": False}
                picture = "data:image/png;base64," + base64.b64encode(PNG).decode()
                return {
                    "found": True,
                    "id": ALICE,
                    "about": "Hi",
                    "picture": picture,
                    "phone": ALICE,
                    "lid": LID,
                }
            if command == "contacts_block":
                return {"id": args["id"], "blocked": args["block"]}
            if command == "chats_list":
                chats = [
                    {"id": ALICE, "name": "Alice", "unreadCount": 2, "pinned": True, "muteExpiration": -1}
                ]
                return {"total": 1, "chats": chats}
            return {"messages": self.history}

    fake = Page()
    fake.commands = []
    monkeypatch.setattr(sessions_app.page_query, "_route_command", fake.route)
    return fake


def url(session, tail=""):
    return f"/api/v1/sessions/{session.pk}/{tail}"


# --- unhappy paths ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "tail"),
    [
        ("get", "contacts"),
        ("get", f"contacts/{ALICE}"),
        ("post", f"contacts/{ALICE}/block"),
        ("post", f"contacts/{ALICE}/unblock"),
        ("get", "chats"),
        ("post", f"chats/{ALICE}/sync"),
    ],
)
def test_every_read_through_a_session_that_is_not_connected_is_409(api, session, page, method, tail):
    session.status = "qr"
    session.save(update_fields=["status"])

    response = getattr(api, method)(url(session, tail), format="json")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "session_not_connected"
    assert page.commands == []


@pytest.mark.parametrize("contact_id", ["120363025246125888@g.us", "not-a-contact", "abc@lid", "+1234"])
def test_an_id_that_is_not_a_person_is_400_and_asks_nothing(api, session, page, contact_id):
    for response in (
        api.get(url(session, f"contacts/{contact_id}")),
        api.post(url(session, f"contacts/{contact_id}/block")),
        api.get(url(session, f"contacts/{contact_id}/picture")),
    ):
        assert response.status_code == 400, response.content
    assert page.commands == []


def test_an_unknown_contact_is_404(api, session, page):
    response = api.get(url(session, "contacts/+33698765499"))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "contact_not_found"
    assert not Contact.objects.exists()


def test_blocking_a_number_whatsapp_rejects_is_404(api, session, page):
    page.answer = {"error": "block contact failed: Invalid WID value", "code": "contact_not_found"}

    response = api.post(url(session, "contacts/+33698760000/block"))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "contact_not_found"


def test_a_slow_page_is_504(api, session, page):
    page.answer = CeleryTimeout("slow")

    assert api.get(url(session, "contacts")).status_code == 504
    assert api.get(url(session, "chats")).status_code == 504


@pytest.mark.parametrize("body", [{"limit": 0}, {"limit": 100_000}, {"limit": "many"}])
def test_sync_with_a_bad_limit_is_400(api, session, page, body):
    assert api.post(url(session, f"chats/{ALICE}/sync"), body, format="json").status_code == 400
    assert page.commands == []


def test_sync_of_something_that_is_not_a_chat_is_400(api, session, page):
    assert api.post(url(session, "chats/nope@c.us/sync"), {}, format="json").status_code == 400


def test_no_picture_stored_is_404(api, session, page):
    response = api.get(url(session, f"contacts/{ALICE}/picture"))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "picture_not_available"


def test_engine_commands_turn_a_slow_page_into_page_timeout_and_a_rejected_id_into_not_found():
    class Page:
        def __init__(self, exc):
            self.exc = exc

        def ask_page(self, step, function, *args, wait):
            raise self.exc

    slow = Page(PageTimeout("WhatsApp did not answer list contacts within 1s."))
    rejected = Page(EngineError("block contact failed: Invalid WID value for 1@c.us"))

    assert engine_handlers._list_contacts(None, slow, {"wait": 1})["code"] == "page_timeout"
    assert engine_handlers._block(None, rejected, {"id": "1@c.us", "block": True, "wait": 1})["code"] == (
        "contact_not_found"
    )


# --- answers and caches -----------------------------------------------------------------------------


def test_the_contact_list_is_cached_and_refreshed_on_demand(api, session, page):
    first = api.get(url(session, "contacts")).json()
    again = api.get(url(session, "contacts"), {"search": "ally"}).json()
    api.get(url(session, "contacts"), {"refresh": "true"})

    assert first["items"] == [
        {
            "id": ALICE,
            "phone": "+33612345678",
            "lid": LID,
            "name": "Alice",
            "pushName": "Ally",
            "business": False,
            "myContact": False,
            "blocked": False,
        }
    ]
    assert again["items"] == first["items"]
    assert [command for command, _ in page.commands] == ["contacts_list", "contacts_list"]


def test_a_profile_is_stored_with_its_picture_and_reused(api, session, page):
    first = api.get(url(session, "contacts/+33612345678")).json()
    second = api.get(url(session, f"contacts/{ALICE}")).json()
    picture = api.get(first["picture"]["url"])

    assert first["about"] == "Hi" and first["picture"]["size"] == len(PNG)
    assert second == first
    assert b"".join(picture.streaming_content) == PNG
    assert len(page.commands) == 1


def test_block_answers_what_whatsapp_says_and_updates_the_stored_contact(api, session, page):
    api.get(url(session, "contacts"))

    assert api.post(url(session, f"contacts/{ALICE}/block")).json() == {"contactId": ALICE, "blocked": True}
    assert Contact.objects.get(wa_id=ALICE).blocked is True


def test_chats_answer_kind_person_and_mute_state(api, session, page):
    body = api.get(url(session, "chats"), {"limit": 10, "offset": 0}).json()

    (chat,) = body["items"]
    assert body["total"] == 1
    assert (chat["kind"], chat["muted"], chat["mutedUntil"], chat["pinned"]) == ("user", True, None, True)
    assert chat["contact"] == {"phone": "+33612345678", "lid": None}
    assert page.commands[0] == ("chats_list", {"offset": 0, "limit": 10, "wait": 10.0})


def test_sync_imports_once_by_whatsapp_id_without_webhooks(api, session, page, emitted):
    first = api.post(url(session, f"chats/{ALICE}/sync"), {"limit": 500}, format="json").json()
    page.history = _history(4)
    second = api.post(url(session, f"chats/{ALICE}/sync"), {"limit": 500}, format="json").json()

    assert (first["found"], first["imported"], first["alreadyStored"]) == (3, 3, 0)
    assert (second["found"], second["imported"], second["alreadyStored"]) == (4, 1, 3)
    assert Message.objects.count() == 4
    assert emitted == []
    listed = api.get(url(session, "messages"), {"chat": ALICE}).json()["items"]
    assert [m["text"] for m in listed] == ["message 3", "message 2", "message 1", "message 0"]


def test_a_person_known_only_by_lid_has_a_null_phone_never_a_guess(api, session, page):
    page.answer = {"contacts": [{"id": LID, "pushName": "Hidden", "phone": None, "lid": LID}]}

    (item,) = api.get(url(session, "contacts")).json()["items"]

    assert (item["id"], item["phone"], item["lid"], item["name"]) == (LID, None, LID, None)


def test_a_lid_learnt_from_the_list_completes_later_payloads(api, session, page):
    api.get(url(session, "contacts"))
    page.answer = {"total": 1, "chats": [{"id": ALICE, "name": "Alice"}]}

    (chat,) = api.get(url(session, "chats")).json()["items"]

    assert chat["contact"] == {"phone": "+33612345678", "lid": LID}


def test_sync_of_a_chat_whatsapp_does_not_have_is_404(api, session, page):
    page.answer = {"error": "read chat history failed: Chat not found for 1@c.us", "code": "chat_not_found"}

    response = api.post(url(session, "chats/33698765499@c.us/sync"), {}, format="json")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "chat_not_found"


def test_engine_command_turns_an_unknown_chat_into_chat_not_found():
    class Page:
        def ask_page(self, step, function, *args, wait):
            raise EngineError("read chat history failed: Chat not found for 1@c.us")

    answer = engine_handlers._chat_history(None, Page(), {"chatId": "1@c.us", "limit": 5, "wait": 1})

    assert answer["code"] == "chat_not_found"


def test_a_deleted_session_takes_its_contacts_pictures_along(
    api, session, page, django_capture_on_commit_callbacks
):
    contact = api.get(url(session, f"contacts/{ALICE}")).json()
    stored = Contact.objects.get(wa_id=ALICE).picture_name

    with django_capture_on_commit_callbacks(execute=True):
        session.delete()

    assert contact["picture"] is not None
    assert not default_storage.exists(stored)
