"""What a simulated contact's phone saw of a chat, in order: the session's "typing…" and
"recording…" and for how long, when their messages were read (blue ticks), and each message.

Tests and users check pacing with it (docs/ANTI_BAN.md): typing before every text, the chat
read before a reply. "typing…" ends when the session shows another presence or its message
arrives, as on a phone.
"""

from __future__ import annotations

from datetime import datetime

from sandbox.models import Direction, SandboxContact, SandboxMessage, SandboxPresence

# Presences kept per contact; older ones go (the sandbox is for trying things out).
PRESENCES_KEPT = 500
TIMELINE_MAX = 500


def sandbox_presence_record(*, contact: SandboxContact, state: str, at: datetime) -> None:
    SandboxPresence.objects.create(contact=contact, state=state, at=at)
    stale = contact.presences.order_by("-at", "-id").values_list("pk", flat=True)[PRESENCES_KEPT:]
    if stale:
        SandboxPresence.objects.filter(pk__in=list(stale)).delete()


def _entry(kind: str, at: datetime, **fields) -> dict:
    base = {
        "kind": kind,
        "at": at,
        "seconds": None,
        "messages": None,
        "from": None,
        "msgId": None,
        "text": None,
    }
    return base | fields


def _messages(contact: SandboxContact) -> list[SandboxMessage]:
    return list(contact.messages.order_by("-created_at", "-id")[:TIMELINE_MAX])[::-1]


def sandbox_chat_timeline(*, contact: SandboxContact) -> list[dict]:
    """The chat as the contact's phone saw it, oldest first (the latest TIMELINE_MAX messages)."""
    messages = _messages(contact)
    # Presences from the oldest message shown on, and all of them while no message was cut:
    # the typing before a first message is part of the chat too.
    cut = len(messages) == TIMELINE_MAX
    since = messages[0].created_at if messages and cut else None
    presences = contact.presences.filter(at__gte=since) if since else contact.presences.all()
    entries = [
        _entry(
            "message",
            m.created_at,
            **{"from": "session" if m.direction == Direction.OUTBOUND else "contact"},
            msgId=m.wa_id,
            text=m.text,
        )
        for m in messages
    ]
    reads: dict[datetime, int] = {}
    for m in messages:
        if m.direction == Direction.INBOUND and m.read_at:
            reads[m.read_at] = reads.get(m.read_at, 0) + 1
    entries += [_entry("read", at, messages=count) for at, count in reads.items()]
    entries += _presence_entries(list(presences), messages)
    return sorted(entries, key=lambda entry: (entry["at"], entry["kind"] != "read"))


def _presence_entries(presences: list[SandboxPresence], messages: list[SandboxMessage]) -> list[dict]:
    """Each presence with how long it showed: until the next presence or the session's next
    message, whichever came first (null while it still shows)."""
    sent_at = [m.created_at for m in messages if m.direction == Direction.OUTBOUND]
    entries = []
    for index, presence in enumerate(presences):
        ends = [at for at in sent_at if at >= presence.at]
        if index + 1 < len(presences):
            ends.append(presences[index + 1].at)
        seconds = round((min(ends) - presence.at).total_seconds(), 3) if ends else None
        entries.append(_entry(presence.state, presence.at, seconds=seconds))
    return entries
