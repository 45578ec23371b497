"""The groups API's own rules: validation, the session's state, the page's refusals and delays,
the cache, and the events from group.participant_changed.

The engine's command path is replaced at its lowest call (the Celery task that carries a
command to the engine node); the real path through Chromium is test_groups_flow.py."""

import pytest
from celery.exceptions import TimeoutError as CeleryTimeout

import sessions_app.page_query
from groups import inbound
from messaging.models import LidMapping
from sessions_app.engine.lease import lease_acquire
from sessions_app.models import Session

GID = "120363041234567890@g.us"
ME = "33700000000@c.us"
LID = "123456789012345@lid"
GROUP = {
    "id": GID,
    "subject": "Team",
    "description": "",
    "owner": ME,
    "announce": False,
    "restrict": True,
    "creation": 1790000000,
    "participants": [
        {"id": ME, "isAdmin": True, "isSuperAdmin": True},
        {"id": LID, "isAdmin": False, "isSuperAdmin": False},
    ],
}


class Answer:
    def __init__(self, answer):
        self.answer = answer

    def get(self, timeout=None, propagate=True):
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


@pytest.fixture
def session(db):
    return Session.objects.create(name="groups", status="connected", wid=ME)


@pytest.fixture
def page(monkeypatch, session):
    """A fake page holding GROUP; `page.answers[function]` overrides one function's answer."""
    lease_acquire(session_id=session.id, node="test-node")

    class Page:
        calls: list = []
        answers: dict = {}

        def route(self, session_id, command, args):
            self.calls.append((args["function"], args["args"]))
            answer = self.answers.get(args["function"])
            if answer is not None:
                return Answer(answer)
            if args["function"] == "listGroups":
                return Answer({"value": [GROUP]})
            return Answer({"value": {}})

    fake = Page()
    fake.calls, fake.answers = [], {}
    monkeypatch.setattr(sessions_app.page_query, "_route_command", fake.route)
    return fake


def url(session, path=""):
    return f"/api/v1/sessions/{session.id}/groups{path}"


def test_members_appear_as_phone_and_lid_and_the_list_is_cached(api, session, page):
    LidMapping.objects.create(session=session, lid=LID, phone="+33611111111")
    body = api.get(url(session)).json()
    assert body["total"] == 1
    group = body["items"][0]
    assert group["participants"] == [
        {"phone": "+33700000000", "lid": None, "role": "superadmin"},
        {"phone": "+33611111111", "lid": LID, "role": "member"},
    ]
    # The page did not say who may add or whether joining needs approval: unknown, not a guess.
    assert group["settings"] == {
        "whoCanSend": "all",
        "whoCanEdit": "admins",
        "whoCanAdd": None,
        "approvalRequired": None,
    }
    assert group["createdAt"].startswith("2026-")
    api.get(url(session, f"/{GID}"))
    assert [c[0] for c in page.calls] == ["listGroups"]  # the second read came from the cache


def test_an_unknown_group_is_404_and_a_malformed_id_400(api, session, page):
    missing = api.get(url(session, "/120363000000000001@g.us"))
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "group_not_found"
    bad = api.get(url(session, "/33612345678@c.us"))
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_group_id"
    assert api.post(url(session, "/nope/leave")).status_code == 400


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"add": ["+33612345678"], "remove": ["+33612345678"]},
        {"add": []},
        {"add": ["not a number"]},
        {"add": ["+3361234567"] * 51},
        {"promote": "+33612345678"},
    ],
)
def test_invalid_participant_changes_are_400_and_ask_nothing(api, session, page, body):
    response = api.post(url(session, f"/{GID}/participants"), body, format="json")
    assert response.status_code == 400, response.content
    assert page.calls == []


def test_adding_a_lid_whose_number_is_unknown_is_404(api, session, page):
    response = api.post(url(session, f"/{GID}/participants"), {"add": ["987654321098765@lid"]}, format="json")
    assert response.status_code == 404 and response.json()["error"]["code"] == "lid_number_unknown"


@pytest.mark.parametrize("body", [{}, {"whoCanSend": "everyone"}, {"subject": ""}, {"subject": "x" * 101}])
def test_invalid_updates_are_400(api, session, page, body):
    assert api.patch(url(session, f"/{GID}"), body, format="json").status_code == 400
    assert page.calls == []


@pytest.mark.parametrize("body", [{"subject": "Team"}, {"subject": "Team", "participants": []}])
def test_a_group_needs_a_subject_and_people(api, session, page, body):
    assert api.post(url(session), body, format="json").status_code == 400


def test_not_an_admin_is_403(api, session, page):
    page.answers["updateGroup"] = {"failure": {"code": "group_you_are_not_admin", "message": "no"}}
    response = api.patch(url(session, f"/{GID}"), {"subject": "New"}, format="json")
    assert response.status_code == 403 and response.json()["error"]["code"] == "not_group_admin"


def test_whatsapp_refusing_for_another_reason_is_422_with_its_code(api, session, page):
    page.answers["leaveGroup"] = {"failure": {"code": "something_new", "message": "nope"}}
    response = api.post(url(session, f"/{GID}/leave"))
    assert response.status_code == 422
    assert response.json()["error"]["details"]["whatsappCode"] == "something_new"


def test_a_session_that_is_not_connected_is_409(api, session, page):
    Session.objects.filter(pk=session.pk).update(status="disconnected")
    response = api.get(url(session))
    assert response.status_code == 409 and response.json()["error"]["code"] == "session_not_connected"
    assert page.calls == []


def test_a_page_that_does_not_answer_in_time_is_504(api, session, page, settings):
    settings.GROUPS_QUERY_TIMEOUT = 0.1
    page.answers["listGroups"] = CeleryTimeout()
    response = api.get(url(session))
    assert response.status_code == 504 and response.json()["error"]["code"] == "engine_timeout"


def test_remove_answers_per_person_and_skips_non_members(api, session, page):
    LidMapping.objects.create(session=session, lid=LID, phone="+33611111111")
    page.answers["changeParticipants"] = {"value": {LID: {"code": 200, "message": "remove"}}}
    response = api.post(
        url(session, f"/{GID}/participants"), {"remove": ["+33611111111", "+33622222222"]}, format="json"
    )
    assert response.status_code == 200, response.content
    assert [(r["participant"]["phone"], r["status"]) for r in response.json()["results"]] == [
        ("+33611111111", "removed"),
        ("+33622222222", "not_member"),
    ]
    assert page.calls[-1] == ("changeParticipants", [GID, "remove", [LID]])


def test_join_takes_a_code_or_a_link_and_refuses_anything_else(api, session, page):
    page.answers["joinGroup"] = {"value": {"id": GID, "pendingApproval": True}}
    link = "https://chat.whatsapp.com/Fa3kQ0pLmN8xYz12AbCdEf"
    assert api.post(url(session, "/join"), {"code": link}, format="json").json() == {
        "groupId": GID,
        "pendingApproval": True,
    }
    assert page.calls[-1] == ("joinGroup", ["Fa3kQ0pLmN8xYz12AbCdEf"])
    bad = api.post(url(session, "/join"), {"code": "https://evil.example/x"}, format="json")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_invite_code"


def test_participant_changes_become_group_events(session, emitted_events):
    inbound.handle_participant_changed(
        session_id=session.id,
        data={"groupId": GID, "action": "add", "operation": "add", "participants": [ME, LID], "author": LID},
    )
    inbound.handle_participant_changed(
        session_id=session.id, data={"groupId": GID, "action": "remove", "participants": [ME], "author": LID}
    )
    names = [name for name, _ in emitted_events]
    assert names == ["group.participants", "group.joined", "group.participants", "group.left"]
    assert emitted_events[0][1]["participants"] == [
        {"phone": "+33700000000", "lid": None},
        {"phone": None, "lid": LID},
    ]
    assert emitted_events[3][1]["removed"] is True


@pytest.mark.parametrize(
    "data", [None, {}, {"groupId": "x@c.us", "action": "add"}, {"groupId": GID, "action": "dance"}]
)
def test_a_malformed_participant_change_is_refused_for_quarantine(session, data):
    from messaging.inbound import MalformedEvent

    with pytest.raises(MalformedEvent):
        inbound.handle_participant_changed(session_id=session.id, data=data)


@pytest.fixture
def emitted_events():
    from yesapp.events import domain_event

    seen = []

    def receiver(sender, event, session_id, payload, **kwargs):
        seen.append((event, payload))

    domain_event.connect(receiver)
    yield seen
    domain_event.disconnect(receiver)


def test_listing_groups_and_renaming_one_keep_its_subject_in_the_database(api, session, page):
    from groups.models import GroupSubject

    assert api.get(url(session)).status_code == 200
    assert GroupSubject.objects.get(session=session, group_id=GID).subject == "Team"
    # Renamed through the API: stored at once, even before the page's list shows it.
    page.answers["updateGroup"] = {"value": None}
    assert api.patch(url(session, f"/{GID}"), {"subject": "Team A"}, format="json").status_code == 200
    assert GroupSubject.objects.get(session=session, group_id=GID).subject == "Team A"


def test_a_group_the_session_is_added_to_has_its_subject_read_from_the_page(session):
    from groups.engine_handlers import _participant_changed
    from groups.subjects import subjects_of
    from sessions_app.engine.base import PageTimeout

    class Engine:
        asked: list = []
        answer: object = {"value": [GROUP]}

        def group_op(self, function, *args, wait):
            self.asked.append(function)
            if isinstance(self.answer, Exception):
                raise self.answer
            return self.answer

    engine = Engine()
    engine.answer = PageTimeout("slow page")
    change = {"groupId": GID, "action": "add", "participants": [ME], "author": LID}
    _participant_changed(session.id, change, engine)  # the page is slow: the group stays unnamed
    assert subjects_of(session_id=session.id, group_ids=[GID]) == {}
    engine.answer = {"value": [GROUP]}
    _participant_changed(session.id, change, engine)
    assert subjects_of(session_id=session.id, group_ids=[GID]) == {GID: "Team"}
    _participant_changed(session.id, {**change, "action": "promote"}, engine)
    assert engine.asked == ["listGroups", "listGroups"]  # known now: not asked again
