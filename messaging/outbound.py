"""The send queue, from the engine's side: queued rows handed to the browser, one by one,
within the session's rate limit.

A session's actor calls `send_due` from the one thread that owns its browser (registered in
messaging.engine_handlers); what it shares with the API (the queue) is settled by
conditional UPDATEs. A message is claimed (`queued` → `sending`, committed) before the engine
call, so a crash mid-send is visible, and recorded `sent` or `failed` after it.

Rate limit (per session, computed from the database, so it survives restarts, node
takeovers and a Redis outage): a send is allowed when, counting the messages the engine
was asked to send (`dispatched_at`),
  * fewer than RATE_LIMIT_PER_MINUTE went out in the last 60 s, and
  * fewer than RATE_LIMIT_BURST went out in the last BURST × 60 / RATE_LIMIT_PER_MINUTE s
    (with 50/min and a burst of 5: at most 5 in any 6 s).
So the long-run rate is RATE_LIMIT_PER_MINUTE, no rolling minute ever holds more, and a quiet
session can send a small burst at once. Each `send_due` call sends at most SEND_BATCH_MAX.

The session's sending policy (messaging.sending_policy) adds to this: each queued message in
turn goes through messaging.paced_send (caps, jitter, quiet hours, the number check, the read
and "typing…" before it), which says whether it may go now or waits, and records why
(`notBefore`, `waitingFor`). The queue keeps its order, except that a first contact held by
`newChatsPerDay` lets the messages behind it to known chats go.

A send whose outcome was lost is never resent automatically: see `recover_interrupted`.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from uuid import UUID

from django.conf import settings
from django.db.models import Count, F, Min, Q
from django.utils import timezone

from messaging.inbound_media import retry_media_when_due
from messaging.models import ACK_STATUS, Direction, MediaStatus, Message, MessageStatus
from messaging.outbound_actions import hand_action_to_engine
from messaging.paced_send import prepare
from messaging.pacing import clock
from messaging.send_options import engine_options
from messaging.sending_policy import policy_for
from messaging.services import message_transition
from sessions_app.engine.base import Engine, EngineCrashed, EngineError, MediaFile, SendResult
from sessions_app.models import Session, SessionStatus
from yesapp.db_retry import retry_transient_db
from yesapp.file_storage import file_read

logger = logging.getLogger(__name__)

# Sends per call at most, so the actor gets back to draining page events quickly.
SEND_BATCH_MAX = 5
# Queued rows looked at per call: enough to pass new chats held by their daily cap.
QUEUE_HEAD = 50
# How long claiming a send (or recovering interrupted ones) retries a database blip itself.
CLAIM_RETRY_SECONDS = 10.0


def send_allowance(*, session_id, now: datetime | None = None) -> int:
    """How many messages this session may hand to the engine right now under the rate limit
    alone (see module docstring); the send path itself asks messaging.pacing, which also
    says until when and why."""
    per_minute = settings.RATE_LIMIT_PER_MINUTE
    if per_minute <= 0:
        return SEND_BATCH_MAX
    burst = max(1, min(settings.RATE_LIMIT_BURST, per_minute))
    now = now or timezone.now()
    burst_window = timedelta(seconds=60 * burst / per_minute)
    used = Message.objects.filter(
        session_id=session_id, direction=Direction.OUTBOUND, dispatched_at__gt=now - timedelta(seconds=60)
    ).aggregate(
        minute=Count("pk"),
        burst=Count("pk", filter=Q(dispatched_at__gt=now - burst_window)),
    )
    return max(0, min(SEND_BATCH_MAX, per_minute - used["minute"], burst - used["burst"]))


def send_due(*, session_id: UUID, engine: Engine) -> int:
    """Sends this session's queued messages, oldest first, within its rate limit.

    Each message is marked `sending` (committed) before the engine call and `sent` or
    `failed` (with the engine's error) after it. At most SEND_BATCH_MAX per call; returns
    how many were handed to the engine. Does nothing unless the session is connected.
    When nothing was sent, also retries one due media download. If the browser crashes
    mid-send, that message is marked `send_uncertain` and the EngineCrashed is re-raised.
    """
    if not Session.objects.filter(pk=session_id, status=SessionStatus.CONNECTED).exists():
        return 0
    sent = 0
    queued = _queue_head(session_id)
    if queued:
        policy = policy_for(session_id)
        for message in queued:
            step = prepare(message, policy=policy, engine=engine)
            if step.kind in ("skip", "done"):
                continue  # a new chat over its cap waits, the next message may go
            if step.kind == "hold":
                break  # the queue keeps its order
            message.new_chat = step.new_chat
            if not _claim(message):
                continue  # changed under us (deleted, or claimed by a previous owner)
            sent += 1
            _send_one(message, engine)
            if sent >= SEND_BATCH_MAX:
                break
    if sent == 0:
        retry_media_when_due(session_id=session_id, engine=engine)
    return sent


def next_send_in(*, session_id: UUID) -> float | None:
    """Seconds until the earliest wait of a queued message (messaging.paced_send) ends, or None
    when none waits: the actor wakes then to take its next step (typing, the send) on time."""
    now = clock.now()
    first = Message.objects.filter(
        session_id=session_id,
        direction=Direction.OUTBOUND,
        status=MessageStatus.QUEUED,
        not_before__gt=now,
    ).aggregate(first=Min("not_before"))["first"]
    return None if first is None else (first - now).total_seconds()


def _queue_head(session_id: UUID) -> list[Message]:
    """The oldest queued messages, leaving out new chats held for tomorrow by their cap."""
    held = Q(waiting_for="new_chats_cap", not_before__gt=clock.now())
    return list(
        Message.objects.filter(
            session_id=session_id, direction=Direction.OUTBOUND, status=MessageStatus.QUEUED
        )
        .exclude(held)
        .select_related("session")
        .order_by("created_at", "id")[:QUEUE_HEAD]
    )


def message_claim_for_send(*, message: Message, at: datetime) -> bool:
    """queued → sending, committed before the engine call, so a crash mid-send is visible.
    `message.new_chat` (messaging.paced_send found it a first contact) is recorded with it."""
    claimed = Message.objects.filter(pk=message.pk, status=MessageStatus.QUEUED).update(
        status=MessageStatus.SENDING,
        dispatched_at=at,
        send_attempts=F("send_attempts") + 1,
        updated_at=at,
        new_chat=message.new_chat,
        not_before=None,
        waiting_for="",
    )
    return claimed == 1


def _claim(message: Message) -> bool:
    """queued → sending, through database blips. A claim whose commit went through but whose
    answer was lost (the connection dropped) is recognised by its timestamp, not sent twice."""
    at = clock.now()
    tried = False

    def claim() -> bool:
        nonlocal tried
        if (
            tried
            and Message.objects.filter(pk=message.pk, status=MessageStatus.SENDING, dispatched_at=at).exists()
        ):
            return True
        tried = True
        return message_claim_for_send(message=message, at=at)

    # Nothing is lost by giving up here (nothing was sent): the actor then waits for the
    # database itself, and a stop request is heard there.
    return retry_transient_db(claim, what=f"claiming message {message.pk}", deadline=CLAIM_RETRY_SECONDS)


def _record(message: Message, **change) -> bool:
    """message_transition, through database blips: once the browser has acted, what it did must
    be written down. Retried for up to SENDING_TIMEOUT_SECONDS; should the database stay away
    longer, the message stays `sending` and the stuck-send sweep marks it `send_uncertain`."""
    return retry_transient_db(
        lambda: message_transition(message=message, **change),
        what=f"recording message {message.pk} as {change['status']}",
        deadline=settings.SENDING_TIMEOUT_SECONDS,
    )


def _send_one(message: Message, engine: Engine) -> None:
    try:
        result = _hand_to_engine(message, engine)
    except EngineCrashed as exc:
        _fail_uncertain(message, f"The browser stopped during the send: {exc}")
        raise
    except EngineError as exc:
        _record(
            message,
            status=MessageStatus.FAILED,
            error_code="engine_error",
            error=str(exc) or exc.__class__.__name__,
        )
        if exc.permanent:
            raise  # the session needs the user (logged out, ...): the actor must know
        return
    except Exception as exc:
        _fail_uncertain(message, f"Unexpected error during the send: {exc!r}")
        raise
    if result is not None:
        _record_result(message, result)


def _hand_to_engine(message: Message, engine: Engine) -> SendResult | None:
    """The engine call for `message`; None when its media file is gone (recorded failed)."""
    if message.action:
        return hand_action_to_engine(message, engine)
    if message.content.get("forwardOf"):  # messaging.forwarding: WhatsApp copies the original
        return engine.forward_message(message.chat_id, message.content["forwardOf"])
    quoted_id = message.reply_to_wa_id
    if message.type == "location":
        return engine.send_location(message.chat_id, message.content["location"], quoted_id=quoted_id)
    if message.type == "contact":
        return engine.send_contacts(message.chat_id, message.content["contacts"], quoted_id=quoted_id)
    if message.type == "poll":
        return engine.send_poll(message.chat_id, message.content["poll"], quoted_id=quoted_id)
    if message.media_status != MediaStatus.STORED:
        return engine.send_text(
            message.chat_id, message.text, quoted_id=quoted_id, extra=engine_options(message)
        )
    data = file_read(message.media_name)
    if data is None:
        _record(
            message,
            status=MessageStatus.FAILED,
            error_code="media_missing",
            error=f"The media file {message.media_name!r} is gone from the file storage.",
        )
        return None
    return engine.send_media(message.chat_id, _media_file(message, data))


def _media_file(message: Message, data: bytes) -> MediaFile:
    extra = {"quotedMsg": message.reply_to_wa_id} if message.reply_to_wa_id else {}
    extra |= engine_options(message)  # mentions in the caption
    if message.type == "voice":
        # wa-js sends audio with isPtt as a voice note; `waveform` draws its bars.
        extra |= {"isPtt": True, "waveform": True}
    return MediaFile(
        data=data,
        mimetype=message.media_mimetype,
        filename=message.media_filename,
        caption=message.text,
        kind="audio" if message.type == "voice" else message.type,
        extra=extra,
    )


def _record_result(message: Message, result: SendResult) -> None:
    if result.error:
        _record(
            message,
            status=MessageStatus.FAILED,
            error_code="whatsapp_error",
            error=f"WhatsApp refused the message: {result.error}",
            wa_id=result.wa_id or None,
        )
        return
    status = ACK_STATUS.get(result.ack, MessageStatus.SENT)
    _record(message, status=status, wa_id=result.wa_id or None)


def _fail_uncertain(message: Message, detail: str) -> None:
    _record(
        message,
        status=MessageStatus.FAILED,
        error_code="send_uncertain",
        error=f"{detail}. It may or may not have reached WhatsApp; it was not resent automatically.",
    )


# --- Sends whose outcome was lost ---------------------------------------------------------------


def recover_interrupted(*, session_id: UUID) -> int:
    """Called when an actor (re)starts, before it sends anything.

    Rule: a message still `sending` was handed to a browser that died before we learnt the
    outcome, so it may or may not have gone out. It is marked `failed` with error code
    `send_uncertain` and a readable message, and a `message.status` event is emitted. It is
    never resent automatically, so nothing goes out twice silently; the user decides whether
    to send it again. If WhatsApp later echoes it (a fromMe `chat.new_message` with the same
    chat and text, or an ack for its id), it moves on to `sent`/`delivered`/`read`.
    `queued` messages are untouched: the queue resumes where it was. Returns how many.
    """
    return retry_transient_db(
        lambda: message_recover_interrupted(session_id=session_id),
        what="recovering interrupted sends",
        deadline=CLAIM_RETRY_SECONDS,
    )


def message_recover_interrupted(*, session_id) -> int:
    """Marks this session's `sending` messages `failed` with `send_uncertain` (the rule:
    recover_interrupted)."""
    stuck = Message.objects.filter(
        session_id=session_id, direction=Direction.OUTBOUND, status=MessageStatus.SENDING
    )
    count = _mark_send_uncertain(
        stuck,
        "The engine stopped while this message was being sent, so it may or may not have reached "
        "WhatsApp. It was not resent automatically to avoid a duplicate; if the recipient did not "
        "get it, send it again.",
    )
    if count:
        logger.warning(
            "Marked %s interrupted send(s) as send_uncertain", count, extra={"session_id": str(session_id)}
        )
    return count


def message_fail_stuck_sends(*, older_than: float | None = None) -> int:
    """Marks `send_uncertain` every message still `sending` SENDING_TIMEOUT_SECONDS after it
    was handed to the browser (its engine could not record the outcome, or its session is no
    longer run anywhere), so none stays `sending` forever. Run periodically by beat."""
    seconds = settings.SENDING_TIMEOUT_SECONDS if older_than is None else older_than
    stuck = Message.objects.filter(
        direction=Direction.OUTBOUND,
        status=MessageStatus.SENDING,
        dispatched_at__lt=timezone.now() - timedelta(seconds=seconds),
    )
    count = _mark_send_uncertain(
        stuck,
        f"This message was still being sent {seconds:g}s after it was handed to WhatsApp Web (the "
        "engine could not record the outcome), so it may or may not have reached WhatsApp. It was "
        "not resent automatically; if the recipient did not get it, send it again.",
    )
    if count:
        logger.warning("Marked %s stuck send(s) as send_uncertain after %ss", count, seconds)
    return count


def _mark_send_uncertain(stuck, error: str) -> int:
    count = 0
    for message in stuck.order_by("created_at"):
        count += int(
            message_transition(
                message=message, status=MessageStatus.FAILED, error_code="send_uncertain", error=error
            )
        )
    return count
