"""Calls through every real part: the sandbox rings the session → the page's call.incoming_call →
`call.received`; with the session's reject setting the engine rejects it in the page
(WPP.call.reject) and the text reply goes out like any message."""

import pytest

from sessions_app.tests.helpers import create_and_link, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CALLER, OWNER = "+4915187654321", "+4915112345678"


def received(api, session, count):
    def check():
        items = api.get("/api/v1/events", {"session": str(session.id), "types": "call.received"}).json()[
            "items"
        ]
        return [entry["data"] for entry in items] if len(items) >= count else None

    return wait_for(check, 30, what=f"{count} call.received")


def test_calls_are_reported_and_rejected_with_a_reply_when_the_session_says_so(api, engine_worker):
    engine_worker("engine-c")
    session = create_and_link(api, name="calls")
    sandbox = f"/api/v1/sandbox/sessions/{session.id}"
    settings_url = f"/api/v1/sessions/{session.id}/calls/settings"

    assert api.get(settings_url).json()["rejectCalls"] is False
    call = api.post(f"{sandbox}/calls", {"from": CALLER, "video": True}, format="json").json()
    (first,) = received(api, session, 1)
    assert (first["id"], first["from"], first["video"], first["group"], first["rejected"]) == (
        call["id"],
        "4915187654321@c.us",
        True,
        False,
        False,
    )
    assert first["caller"]["phone"] == CALLER
    assert api.get(f"{sandbox}/calls").json()["items"][0]["rejectedAt"] is None

    patched = api.patch(
        settings_url, {"rejectCalls": True, "rejectMessage": "Please write instead."}, format="json"
    )
    assert patched.status_code == 200, patched.content
    assert patched.json()["rejectMessage"] == "Please write instead."

    api.post(f"{sandbox}/calls", {"from": CALLER}, format="json")
    second = received(api, session, 2)[-1]
    assert (second["video"], second["rejected"]) == (False, True)
    assert api.get(f"{sandbox}/calls").json()["items"][0]["rejectedAt"] is not None
    reply = wait_for(
        lambda: [
            m for m in api.get(f"{sandbox}/outbox").json()["items"] if m["text"] == "Please write instead."
        ],
        30,
        what="the reply",
    )
    assert reply[0]["to"] == CALLER

    # A group call is rejected too, without a reply to the group.
    gid = api.post(
        f"{sandbox}/groups", {"owner": OWNER, "subject": "Callers", "participants": [CALLER]}, format="json"
    ).json()["id"]
    api.post(f"{sandbox}/calls", {"from": CALLER, "groupId": gid}, format="json")
    third = received(api, session, 3)[-1]
    assert (third["group"], third["rejected"]) == (True, True)
