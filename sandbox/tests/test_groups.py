"""The sandbox's groups and calls: the simulated people's side over the sandbox API, and the
page's WPP.group.* / WPP.call.reject endpoints (the real page in Chromium: groups/tests)."""

import pytest
from django.test import Client

from sandbox.contacts import sandbox_lid_of
from sandbox.models import SandboxEvent, SandboxGroup
from sandbox.services.page_url import sandbox_page_token
from sandbox.tests.test_api import PHONE, link

OWNER, ANA, BOB = "+4915112345678", "+4915187654321", "+4915100001111"
PRIVATE, ABSENT = "+4915100000403", "+4915100000000"
ME = PHONE.lstrip("+") + "@c.us"


@pytest.fixture
def page(api, sandbox_session):
    token = link(api, sandbox_session)
    client = Client(headers={"X-Sandbox-Device": token})
    page_token = sandbox_page_token(session_id=sandbox_session.id)

    def call(path, body):
        response = client.post(
            f"/sandbox/web/{sandbox_session.id}/{path}?token={page_token}",
            body,
            content_type="application/json",
        )
        return response.status_code, response.json()

    def group(op, **args):
        return call("group", {"op": op, "args": args})

    group.call = call
    return group


def url(session, path=""):
    return f"/api/v1/sandbox/sessions/{session.id}/{path}"


def events(session, name):
    return [
        e.raw_data for e in SandboxEvent.objects.filter(session=session, raw_name=name).order_by("cursor")
    ]


def test_a_person_creates_a_group_with_the_session_and_the_page_hears_it(api, sandbox_session, page):
    response = api.post(
        url(sandbox_session, "groups"),
        {"owner": OWNER, "subject": "Team", "participants": [ANA, ABSENT]},
        format="json",
    )
    assert response.status_code == 201, response.content
    group = response.json()
    assert group["id"].endswith("@g.us")
    assert [(p["phone"], p["role"]) for p in group["participants"]] == [
        (OWNER, "superadmin"),
        (ANA, "member"),
        (PHONE, "member"),
    ]
    assert events(sandbox_session, "group.participant_changed") == [
        {
            "groupId": group["id"],
            "action": "add",
            "operation": "add",
            "participants": [ME],
            "author": "4915112345678@c.us",
        }
    ]
    status, listed = page("getAllGroups")
    assert status == 200 and [g["id"] for g in listed["value"]] == [group["id"]]


def test_a_group_without_the_session_is_invisible_to_its_page_until_it_is_added(api, sandbox_session, page):
    gid = api.post(
        url(sandbox_session, "groups"),
        {"owner": OWNER, "subject": "Later", "participants": [ANA], "withSession": False},
        format="json",
    ).json()["id"]
    assert page("getAllGroups")[1]["value"] == []

    added = api.post(
        url(sandbox_session, f"groups/{gid}/participants"),
        {"by": OWNER, "action": "add", "participants": [PHONE, PRIVATE, ABSENT]},
        format="json",
    )
    assert added.status_code == 200, added.content
    codes = {phone: r["code"] for phone, r in added.json()["results"].items()}
    assert codes == {PHONE: 200, PRIVATE: 403, ABSENT: 404}
    assert [g["id"] for g in page("getAllGroups")[1]["value"]] == [gid]


def test_a_lid_addressed_group_shows_members_by_lid_and_their_messages_carry_it(api, sandbox_session, page):
    gid = api.post(
        url(sandbox_session, "groups"),
        {"owner": OWNER, "subject": "Lids", "participants": [ANA], "lidAddressing": True},
        format="json",
    ).json()["id"]
    sent = api.post(
        url(sandbox_session, f"groups/{gid}/messages"), {"from": ANA, "text": "hi"}, format="json"
    )
    assert sent.status_code == 201, sent.content
    assert sent.json()["author"] == sandbox_lid_of(ANA)
    # A member met only in a lid group keeps their number hidden.
    status, entry = page.call("pn-lid", {"id": sandbox_lid_of(ANA)})
    assert entry == {"phone": None, "lid": sandbox_lid_of(ANA)}


def test_the_session_creates_manages_and_leaves_a_group_through_its_page(api, sandbox_session, page):
    status, created = page("create", subject="Mine", ids=["4915187654321@c.us", "4915100000000@c.us"])
    assert status == 200, created
    gid = created["value"]["gid"]
    assert {k: v["code"] for k, v in created["value"]["participants"].items()} == {
        "4915187654321@c.us": 200,
        "4915100000000@c.us": 404,
    }
    assert page("promote", groupId=gid, ids=["4915187654321@c.us"])[0] == 200
    assert page("set", groupId=gid, field="subject", value="Renamed")[0] == 200
    assert page("set", groupId=gid, field="announcement", value=True)[0] == 200
    code = page("getInviteCode", groupId=gid)[1]["value"]
    assert page("revokeInviteCode", groupId=gid)[1]["value"] != code
    group = SandboxGroup.objects.get(gid=gid)
    assert (group.subject, group.announce) == ("Renamed", True)
    assert page("leave", groupId=gid)[0] == 200
    assert page("getAllGroups")[1]["value"] == []
    assert events(sandbox_session, "group.participant_changed")[-1]["action"] == "leaver"


def test_page_errors_are_wa_js_codes(api, sandbox_session, page):
    assert page("leave", groupId="1203630@g.us")[1]["error"]["code"] == "group_not_exist"
    assert page("join", code="nope")[1]["error"]["code"] == "invalid_invite_code"
    gid = api.post(
        url(sandbox_session, "groups"),
        {"owner": OWNER, "subject": "Theirs", "participants": [ANA]},
        format="json",
    ).json()["id"]
    not_admin = page("add", groupId=gid, ids=["4915100001111@c.us"])
    assert not_admin[1]["error"]["code"] == "group_you_are_not_admin"
    assert page("getInviteCode", groupId=gid)[1]["error"]["code"] == "group_you_are_not_admin"
    assert page("create", subject="", ids=[])[1]["error"]["code"] == "invalid_subject"


def test_join_by_code_and_a_member_writing_in_the_group(api, sandbox_session, page):
    gid = api.post(
        url(sandbox_session, "groups"),
        {"owner": OWNER, "subject": "Open", "participants": [ANA], "withSession": False},
        format="json",
    ).json()["id"]
    group = SandboxGroup.objects.get(gid=gid)
    group.invite_code = "ABCDEFGHIJKLMNOPQRSTUV"
    group.save()
    status, joined = page("join", code="https://chat.whatsapp.com/ABCDEFGHIJKLMNOPQRSTUV")
    assert (status, joined["value"]) == (200, {"id": gid, "pendingApproval": False})
    message = api.post(
        url(sandbox_session, f"groups/{gid}/messages"), {"from": ANA, "text": "yo"}, format="json"
    )
    assert message.json()["author"] == "4915187654321@c.us"
    stranger = api.post(
        url(sandbox_session, f"groups/{gid}/messages"), {"from": BOB, "text": "x"}, format="json"
    )
    assert stranger.status_code == 400 and stranger.json()["error"]["code"] == "not_a_member"


def test_a_call_rings_the_page_and_the_page_rejects_it(api, sandbox_session, page):
    response = api.post(url(sandbox_session, "calls"), {"from": ANA, "video": True}, format="json")
    assert response.status_code == 201, response.content
    call = response.json()
    (payload,) = events(sandbox_session, "call.incoming_call")
    assert payload["isVideo"] is True and payload["isGroup"] is False
    assert payload["sender"] == "4915187654321@c.us" and payload["id"] == call["id"]
    assert page.call("call-reject", {"callId": call["id"]}) == (200, {"value": True})
    assert api.get(url(sandbox_session, "calls")).json()["items"][0]["rejectedAt"]
    assert page.call("call-reject", {"callId": call["id"]})[1]["error"]["code"] == "call_not_found"
