"""Poll votes without a browser: wa-js `chat.poll_response` as the bridge hands it over, stored
on the poll and reported as `poll.vote` with the tally."""

import pytest

from messaging import polls
from messaging.inbound import MalformedEvent
from messaging.models import LidMapping, Message

POLL_ID = "true_33612345678@c.us_3EB0POLL"
VOTER = "33612345678@c.us"


@pytest.fixture
def poll(session) -> Message:
    return Message.objects.create(
        session=session,
        direction="outbound",
        status="sent",
        type="poll",
        chat_id=VOTER,
        wa_id=POLL_ID,
        content={
            "poll": {"question": "Lunch?", "options": ["Pizza", "Sushi", "Salad"], "multipleAnswers": True}
        },
    )


def vote(session, selected, sender=VOTER, msg_id=POLL_ID, timestamp=1764230400123):
    data = {
        "msgId": {"_serialized": msg_id},
        "chatId": VOTER,
        "sender": sender,
        "selectedOptions": selected,
        "timestamp": timestamp,
    }
    polls.handle_poll_response(session_id=session.pk, data=data)


def test_votes_change_the_tally_and_each_change_is_one_poll_vote(session, poll, emitted):
    LidMapping.objects.create(session=session, lid="55443322@lid", phone="+33622222222")
    vote(session, [0, 1])
    vote(session, [0, 1])  # the same event replayed: nothing new
    vote(session, [2], sender="55443322@lid")
    vote(session, [1])
    vote(session, [], sender="55443322@lid")  # taken back

    votes = [payload for event, _, payload in emitted if event == "poll.vote"]
    assert [v["vote"]["selectedOptions"] for v in votes] == [["Pizza", "Sushi"], ["Salad"], ["Sushi"], []]
    assert votes[2]["vote"]["previousOptions"] == ["Pizza", "Sushi"]
    assert votes[1]["vote"]["voter"] == {"phone": "+33622222222", "lid": "55443322@lid"}
    assert votes[0]["vote"]["timestamp"] == "2025-11-27T08:00:00.123000Z"
    assert votes[0]["messageId"] == str(poll.pk) and votes[0]["waMessageId"] == POLL_ID
    assert votes[-1]["poll"]["tally"] == [
        {"option": "Pizza", "votes": 0},
        {"option": "Sushi", "votes": 1},
        {"option": "Salad", "votes": 0},
    ]


def test_a_vote_in_a_poll_not_stored_here_is_skipped(session, poll, emitted):
    vote(session, [0], msg_id="true_33612345678@c.us_OTHER")
    assert not emitted


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"sender": VOTER, "selectedOptions": [0]},
        {"msgId": POLL_ID, "selectedOptions": [0]},
        {"msgId": POLL_ID, "sender": VOTER, "selectedOptions": [3]},
        {"msgId": POLL_ID, "sender": VOTER, "selectedOptions": [-1]},
        {"msgId": POLL_ID, "sender": VOTER, "selectedOptions": ["0"]},
        {"msgId": POLL_ID, "sender": VOTER, "selectedOptions": [True]},
        {"msgId": POLL_ID, "sender": VOTER, "selectedOptions": None},
    ],
)
def test_a_malformed_vote_is_quarantined_and_changes_nothing(session, poll, emitted, data):
    with pytest.raises(MalformedEvent):
        polls.handle_poll_response(session_id=session.pk, data=data)
    poll.refresh_from_db()
    assert "pollVotes" not in poll.content and not emitted
