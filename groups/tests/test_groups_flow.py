"""Groups through every real part: API → Celery → engine worker → Chromium on the sandbox page
(its WPP.group.*) → the sandbox's groups; and back: a simulated person's change → the page's
group.participant_changed → the event log (what webhooks deliver)."""

import pytest

from sandbox.contacts import sandbox_lid_of
from sessions_app.tests.helpers import PHONE, create_and_link, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]
OWNER, ANA, BOB, PRIVATE, ABSENT = (
    "+4915112345678",
    "+4915187654321",
    "+4915100001111",
    "+4915100000403",
    "+4915100000000",
)


def logged(api, session, name):
    response = api.get("/api/v1/events", {"session": str(session.id), "types": name})
    return [entry["data"] for entry in response.json()["items"]]


def wait_logged(api, session, name, count=1):
    return wait_for(
        lambda: (found := logged(api, session, name)) and len(found) >= count and found, 30, what=name
    )


def test_a_group_made_by_someone_else_is_seen_read_and_written_to(api, engine_worker):
    engine_worker("engine-g")
    session = create_and_link(api, name="groups-theirs")
    sandbox = f"/api/v1/sandbox/sessions/{session.id}"
    base = f"/api/v1/sessions/{session.id}/groups"

    created = api.post(
        f"{sandbox}/groups",
        {"owner": OWNER, "subject": "Club", "participants": [ANA], "lidAddressing": True},
        format="json",
    ).json()
    gid = created["id"]
    (joined,) = wait_logged(api, session, "group.joined")
    assert joined["groupId"] == gid and joined["by"] == {"phone": None, "lid": sandbox_lid_of(OWNER)}

    listed = api.get(base)
    assert listed.status_code == 200, listed.content
    (group,) = listed.json()["items"]
    assert (group["id"], group["subject"], group["settings"]) == (
        gid,
        "Club",
        {"whoCanSend": "all", "whoCanEdit": "all", "whoCanAdd": "admins", "approvalRequired": False},
    )
    roles = {(p["phone"], p["lid"], p["role"]) for p in group["participants"]}
    assert roles == {
        (None, sandbox_lid_of(OWNER), "superadmin"),
        (None, sandbox_lid_of(ANA), "member"),
        (PHONE, None, "member"),
    }

    # A member writes: the message carries the author as a lid (their number stays hidden).
    api.post(f"{sandbox}/groups/{gid}/messages", {"from": ANA, "text": "hello group"}, format="json")
    received = wait_for(
        lambda: api.get(f"/api/v1/sessions/{session.id}/messages", {"direction": "inbound"}).json()["items"],
        30,
        what="the group message",
    )
    assert received[0]["chatId"] == gid and received[0]["author"] == sandbox_lid_of(ANA)
    assert received[0]["contact"] == {"phone": None, "lid": sandbox_lid_of(ANA)}

    # Not an admin here: changing the group is refused, and nothing changes.
    refused = api.patch(f"{base}/{gid}", {"whoCanSend": "admins"}, format="json")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "not_group_admin"
    assert api.get(f"{base}/{gid}/invite").status_code == 403
    assert api.post(f"{base}/{gid}/participants", {"add": [BOB]}, format="json").status_code == 403

    # Sending to the group by its id works.
    sent = api.post(f"/api/v1/sessions/{session.id}/messages", {"to": gid, "text": "hi all"}, format="json")
    assert sent.status_code in (201, 202), sent.content
    outbox = wait_for(lambda: api.get(f"{sandbox}/outbox").json()["items"], 30, what="the group send")
    assert outbox[0]["chatId"] == gid and outbox[0]["text"] == "hi all"

    # The owner removes the session: group.participants and group.left.
    api.post(
        f"{sandbox}/groups/{gid}/participants",
        {"by": OWNER, "action": "remove", "participants": [PHONE]},
        format="json",
    )
    (left,) = wait_logged(api, session, "group.left")
    assert left["groupId"] == gid and left["removed"] is True
    changes = wait_logged(api, session, "group.participants", 2)
    assert changes[-1]["action"] == "remove" and changes[-1]["participants"] == [
        {"phone": PHONE, "lid": None}
    ]
    missing = wait_for(lambda: api.get(f"{base}/{gid}").status_code == 404 or None, 10, what="the 404")
    assert missing


def test_the_session_creates_and_runs_a_group(api, engine_worker):
    engine_worker("engine-g2")
    session = create_and_link(api, name="groups-mine")
    base = f"/api/v1/sessions/{session.id}/groups"

    response = api.post(base, {"subject": "Shop team", "participants": [ANA, PRIVATE, ABSENT]}, format="json")
    assert response.status_code == 201, response.content
    group = response.json()
    gid = group["id"]
    assert gid.endswith("@g.us") and group["subject"] == "Shop team"
    assert {(r["participant"]["phone"], r["status"]) for r in group["participantResults"]} == {
        (ANA, "added"),
        (PRIVATE, "invited"),
        (ABSENT, "not_on_whatsapp"),
    }
    assert {(p["phone"], p["role"]) for p in group["participants"]} == {
        (PHONE, "superadmin"),
        (ANA, "member"),
    }
    assert logged(api, session, "group.joined")[0]["created"] is True

    promoted = api.post(f"{base}/{gid}/participants", {"promote": [ANA, BOB]}, format="json")
    assert promoted.status_code == 200, promoted.content
    assert [r["status"] for r in promoted.json()["results"]] == ["promoted", "not_member"]
    wait_logged(api, session, "group.participants")

    patched = api.patch(
        f"{base}/{gid}", {"subject": "Shop", "description": "Orders", "whoCanSend": "admins"}, format="json"
    )
    assert patched.status_code == 200, patched.content
    assert (
        patched.json()["subject"],
        patched.json()["description"],
        patched.json()["settings"]["whoCanSend"],
    ) == (
        "Shop",
        "Orders",
        "admins",
    )
    assert logged(api, session, "group.updated")[0]["changes"] == {
        "subject": "Shop",
        "description": "Orders",
        "whoCanSend": "admins",
    }

    invite = api.get(f"{base}/{gid}/invite").json()
    assert invite["link"] == "https://chat.whatsapp.com/" + invite["code"]
    revoked = api.delete(f"{base}/{gid}/invite").json()
    assert revoked["code"] != invite["code"]

    assert api.post(f"{base}/{gid}/leave").status_code == 204
    wait_logged(api, session, "group.left")
    # Back in with the (new) invite link.
    joined = api.post(f"{base}/join", {"code": revoked["link"]}, format="json")
    assert joined.status_code == 200, joined.content
    assert joined.json() == {"groupId": gid, "pendingApproval": False}
    bad = api.post(f"{base}/join", {"code": invite["code"]}, format="json")
    assert bad.status_code == 404 and bad.json()["error"]["code"] == "invalid_invite_code"
    assert api.get(f"{base}/120363000000000001@g.us").status_code == 404
