"""One queued message through its session's sending policy, in the actor's thread.

A message goes through these steps, each as soon as its time comes; between them it stays
`queued` with `notBefore` and `waitingFor`, so the actor does not sleep (but for BRIEF_WAIT) and
every wait shows:
1. the rules of messaging.pacing (rate limit, caps, warm-up, quiet hours, jitter);
2. the first message to a number: is it on WhatsApp (`checkNumberFirst`, messaging.contacts)?
   One that is not fails with `not_on_whatsapp` and nothing is sent;
3. a reply to unread messages: they are marked read (`WPP.chat.markIsRead`), no sooner than a
   short random pause after the newest came in (`readBeforeReply`);
4. "typing…" (`WPP.chat.markIsComposing`), or "recording…" before a voice note
   (`markIsRecording`), for a time that grows with the length (`typing`); before a first message
   the page opens the chat first (`WPP.chat.find`), as WhatsApp Web has none to type in yet;
5. the send (messaging.outbound).
Typing starts early enough to end when the rate limit and jitter allow the send, so it fills
that gap instead of adding to it; the actor wakes when a wait ends (`outbound.next_send_in`),
as a send a turn late would make the rolling window's later slots late too. What was drawn
(jitter, typing time) and done (read, typing) is kept in `Message.pacing`, so a restart resumes
instead of drawing again.
Typing cannot overlap the page's own time: it shows once the previous send's call has returned,
so a send the page takes long over (a loaded machine) makes the gap longer by that much.
Each wait that begins, whatever its reason, is a `message.status` event (`_hold`; the rule is
`_worth_an_event`, docs/WEBHOOKS.md "Waits"); looking at a waiting message again is not.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from messaging import pacing
from messaging.contacts import contact_absent_for_send
from messaging.models import Message, MessageStatus
from messaging.payloads import message_event_payload
from messaging.sending_policy import Policy
from messaging.services import message_transition
from sessions_app.engine.base import Engine, EngineCrashed, EngineError
from yesapp import events

logger = logging.getLogger(__name__)

# A gap ending within this many seconds is waited out in place rather than held: holding it
# costs a turn of the actor, and under a rolling rate limit a send late by a turn makes the
# sends that follow it late too (the actor wakes this much early: sessions_app.engine.actor).
BRIEF_WAIT = 0.05
# Typing starts at least this long before the send the rate limit and jitter allow. At the default
# 50 a minute (a send every 1.2 s) it then starts as soon as the previous message is out and fills
# the whole gap: a message takes one wake of the actor instead of two, and each wake can be late.
TYPING_LEAD_MIN = 1.5
# Waits that typing may overlap: typing ends when they do.
_GAPS = ("rate_limit", "jitter")
_TYPED = ("text", "voice")
_RECOMPUTED = ("rate_limit", "hourly_cap", "jitter")
# A wait already announced (a `message.status` event) is announced again when its reason stays
# but its end moves by this many seconds or more: less is noise to a receiver showing the time.
WAIT_EVENT_SHIFT = 5.0


@dataclass(frozen=True)
class Step:
    """What to do with a message now: `go` (send it), `hold` (it and the ones behind it wait),
    `skip` (it waits, the next may go: a new chat over its cap) or `done` (failed)."""

    kind: str
    new_chat: bool = False


def prepare(message: Message, *, policy: Policy, engine: Engine) -> Step:
    now = pacing.clock.now()
    if _waited_out(message.not_before, now):
        now = pacing.clock.now()
    # A wait that only the clock can end is trusted; one that follows from past sends (rate
    # limit, hourly cap, jitter) is computed again, as it is cheap and they may have changed.
    if message.not_before and message.not_before > now and message.waiting_for not in _RECOMPUTED:
        return _waiting(message)
    if message.action:  # reactions, edits, reads: the rules, but no jitter, typing or read
        wait = pacing.wait_for(session_id=message.session_id, policy=policy, now=now, new_chat=False)
        return _hold(message, wait) if wait else Step("go")
    return _prepare_message(message, policy, engine, now)


def _prepare_message(message: Message, policy: Policy, engine: Engine, now: datetime) -> Step:
    state = dict(message.pacing or {})
    last_in, last_out = pacing.chat_history(message.session_id, message.chat_id)
    new_chat = last_in is None and last_out is None
    state.setdefault("jitter", pacing.draw_jitter(policy))
    # Before a first message the page opens the chat (WPP.chat.find) to show typing in it.
    typing = _typing(message, policy, state)
    wait = pacing.wait_for(
        session_id=message.session_id, policy=policy, now=now, new_chat=new_chat, jitter=state["jitter"]
    )
    gap = wait is not None and wait.reason in _GAPS and (not typing or state.get("stage") == "typing")
    if gap and _waited_out(wait.until, now):
        now, wait = pacing.clock.now(), None
    if state.get("stage") == "typing":  # typing shown: send once nothing else holds it
        if wait is None:
            return Step("go", new_chat=new_chat)
        if wait.reason not in _GAPS:
            _set_presence(engine, message, "paused")
            state.pop("stage", None)
        return _hold(message, wait, state)
    lead = max(typing, TYPING_LEAD_MIN) if typing else 0.0
    if wait is not None and (wait.reason not in _GAPS or wait.until - timedelta(seconds=lead) > now):
        start = wait.until - timedelta(seconds=lead if wait.reason in _GAPS else 0)
        return _hold(message, pacing.Wait(start, wait.reason), state)
    if new_chat and policy.check_number_first and _absent(message, engine):
        return Step("done")
    if policy.read_before_reply and last_in is not None and (last_out is None or last_in > last_out):
        read = _read_first(message, engine, state, last_in, now)
        if read is not None:
            return _hold(message, read, state)
    if typing:
        _set_presence(engine, message, "recording" if message.type == "voice" else "typing")
        state |= {"stage": "typing", "typingFrom": now.isoformat()}
        send_at = max(now + timedelta(seconds=typing), wait.until if wait else now)
        return _hold(message, pacing.Wait(send_at, "typing"), state)
    return Step("go", new_chat=new_chat)


def _waited_out(until: datetime | None, now: datetime) -> bool:
    """Sleeps until `until` when that is at most BRIEF_WAIT away (True); False otherwise."""
    if until is None or not timedelta(0) < until - now <= timedelta(seconds=BRIEF_WAIT):
        return False
    pacing.clock.sleep((until - now).total_seconds())
    return True


def _typing(message: Message, policy: Policy, state: dict) -> float:
    if not policy.typing or message.type not in _TYPED:
        return 0.0
    if "typing" not in state:
        state["typing"] = pacing.typing_seconds(
            kind=message.type, text=message.text, media_size=message.media_size
        )
    return state["typing"]


def _read_first(
    message: Message, engine: Engine, state: dict, last_in: datetime, now: datetime
) -> pacing.Wait | None:
    """Marks the chat read, or the wait until the pause after its newest message is over."""
    if state.get("readAt"):
        return None
    pause = state.setdefault(
        "readPause", round(pacing.rng.uniform(1 / 3, 1) * settings.SENDING_READ_PAUSE_SECONDS, 3)
    )
    read_at = last_in + timedelta(seconds=pause)
    if read_at > now:
        return pacing.Wait(read_at, "typing")  # reading it, before typing the answer
    try:
        engine.mark_read(message.chat_id)
    except EngineCrashed:
        raise
    except EngineError as exc:  # the reply matters more than the blue ticks
        logger.info("Could not mark %s read before replying: %s", message.chat_id, exc)
    state["readAt"] = now.isoformat()
    return None


def _set_presence(engine: Engine, message: Message, state: str) -> None:
    try:
        engine.set_presence(message.chat_id, state)
    except EngineCrashed:
        raise
    except EngineError as exc:  # typing is a courtesy: the message goes anyway
        logger.info("Could not show %s in %s: %s", state, message.chat_id, exc)


def _absent(message: Message, engine: Engine) -> bool:
    """checkNumberFirst: fails the message with `not_on_whatsapp` when its number is not on it."""
    if not contact_absent_for_send(session=message.session, chat_id=message.chat_id, engine=engine):
        return False
    message_transition(
        message=message,
        status=MessageStatus.FAILED,
        error_code="not_on_whatsapp",
        error=f"{message.phone or message.chat_id} is not on WhatsApp (checked before the first message, "
        "as the session's sending policy asks: checkNumberFirst); nothing was sent.",
    )
    return True


def _waiting(message: Message) -> Step:
    return Step("skip" if message.waiting_for == "new_chats_cap" else "hold")


def _hold(message: Message, wait: pacing.Wait, state: dict | None = None) -> Step:
    """Records the wait on the queued row; a wait that begins or moves is a `message.status` event."""
    unchanged = (message.not_before, message.waiting_for) == (wait.until, wait.reason) and state in (
        None,
        message.pacing,
    )
    message.not_before, message.waiting_for = wait.until, wait.reason
    if unchanged:  # the same wait seen again: nothing to write
        return _waiting(message)
    state = dict(message.pacing or {}) if state is None else state
    announce = _worth_an_event(state.get("announced"), wait)
    if announce:
        state["announced"] = [wait.reason, wait.until.isoformat()]
    message.pacing = state
    with transaction.atomic():
        updated = Message.objects.filter(pk=message.pk, status=MessageStatus.QUEUED).update(
            not_before=wait.until, waiting_for=wait.reason, pacing=message.pacing
        )
        if updated and announce:
            payload = message_event_payload(message) | {"previousStatus": MessageStatus.QUEUED}
            events.emit(events.MESSAGE_STATUS, session_id=message.session_id, payload=payload)
    return _waiting(message)


def _worth_an_event(announced: list | None, wait: pacing.Wait) -> bool:
    """A wait is announced when it begins: a reason the message was not last announced waiting
    for, or the same reason with a `notBefore` WAIT_EVENT_SHIFT seconds or more away from the
    announced one. Looking at the queue again, or a rolling window's end moving by a fraction of
    a second, is not an event (docs/WEBHOOKS.md, "Waits")."""
    if not announced:
        return True
    reason, until = announced
    if reason != wait.reason:
        return True
    moved = abs((wait.until - datetime.fromisoformat(until)).total_seconds())
    return moved >= WAIT_EVENT_SHIFT
