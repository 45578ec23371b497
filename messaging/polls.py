"""Votes in polls (wa-js `chat.poll_response`): who chose what, kept on the poll's message and
reported as `poll.vote` with the current tally.

`Message.content["pollVotes"]` maps a voter's WhatsApp id to `{options, at}` (the options'
names, as the poll lists them); a new vote replaces the voter's last one, an empty one takes it
back, as WhatsApp counts them. The tally shows in the poll's JSON (messaging.payloads._poll).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from messaging.inbound import MalformedEvent
from messaging.models import Message
from messaging.payloads import message_event_payload
from messaging.people import lid_pairs_for, person_json
from messaging.wa_values import serialized_id, wa_time
from yesapp import events

logger = logging.getLogger(__name__)


def _chosen(selected, options: list[str]) -> list[str] | None:
    """The names of the selected options (wa-js gives their local ids: their place in the poll);
    None when the selection is no list of such ids."""
    if not isinstance(selected, list) or len(selected) > len(options):
        return None
    if not all(isinstance(i, int) and not isinstance(i, bool) and 0 <= i < len(options) for i in selected):
        return None
    return [options[i] for i in sorted(set(selected))]


def handle_poll_response(*, session_id: UUID, data) -> None:
    """`chat.poll_response` ({msgId, chatId, sender, selectedOptions, timestamp}): a vote, or
    (no option) a vote taken back, in a poll stored here; others are skipped."""
    if not isinstance(data, dict):
        raise MalformedEvent("chat.poll_response without an object payload")
    poll_id, voter = serialized_id(data.get("msgId")), serialized_id(data.get("sender"))
    if not poll_id or not voter:
        raise MalformedEvent("chat.poll_response without msgId or sender")
    message = (
        Message.objects.select_related("session")
        .filter(session_id=session_id, wa_id=poll_id, action="", type="poll")
        .first()
    )
    if message is None:
        logger.info("A vote in a poll not stored here; skipped", extra={"session_id": str(session_id)})
        return
    chosen = _chosen(data.get("selectedOptions"), (message.content.get("poll") or {}).get("options") or [])
    if chosen is None:
        raise MalformedEvent("chat.poll_response with selectedOptions that are not the poll's")
    poll_record_vote(
        message=message, voter=voter[:100], chosen=chosen, at=wa_time(data.get("timestamp")) or timezone.now()
    )


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def poll_record_vote(*, message: Message, voter: str, chosen: list[str], at: datetime) -> bool:
    """Sets `voter`'s choice in the poll `message` and emits `poll.vote`; False when the same
    vote was recorded already (a replayed event)."""
    with transaction.atomic():
        message = Message.objects.select_for_update(of=("self",)).select_related("session").get(pk=message.pk)
        votes = dict(message.content.get("pollVotes") or {})
        previous = (votes.get(voter) or {}).get("options", [])
        if previous == chosen and (voter in votes or not chosen):
            return False
        if chosen:
            votes[voter] = {"options": chosen, "at": _iso(at)}
        else:
            votes.pop(voter, None)
        message.content = {**message.content, "pollVotes": votes}
        message.save(update_fields=["content", "updated_at"])
        payload = message_event_payload(message)
        pairs = lid_pairs_for(session_id=message.session_id, ids=[voter])
        payload["vote"] = {
            "from": voter,
            "voter": person_json(voter, pairs),
            "fromMe": voter == message.session.wid,
            "selectedOptions": chosen,
            "previousOptions": previous,
            "timestamp": _iso(at),
        }
        events.emit(events.POLL_VOTE, session_id=message.session_id, payload=payload)
    return True
