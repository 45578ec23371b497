"""Calls: the per-session setting to reject them, and what happens when one rings.

`call.received` is emitted for every call (caller as a person, voice or video, group or not,
and whether it was rejected). With `rejectCalls` on, the engine rejects it in the page
(WPP.call.reject) and, for a one-to-one call with a `rejectMessage`, queues that text to the
caller like any message sent through the API (rate limit and pacing apply)."""

from __future__ import annotations

import logging
from uuid import UUID

from django.db import transaction

from calls.models import Call, CallSettings
from messaging.inbound import MalformedEvent
from messaging.people import lid_pairs_for, person_json
from messaging.services import message_send
from sessions_app.engine.base import Engine, EngineCrashed, EngineError
from sessions_app.models import Session
from yesapp import events
from yesapp.errors import ServiceError

REJECT_WAIT_SECONDS = 3.0
logger = logging.getLogger(__name__)


def call_settings_get(*, session: Session) -> CallSettings:
    return CallSettings.objects.filter(session=session).first() or CallSettings(session=session)


def call_settings_update(
    *, session: Session, reject_calls: bool | None = None, reject_message: str | None = None
) -> CallSettings:
    settings_row, _ = CallSettings.objects.get_or_create(session=session)
    if reject_calls is not None:
        settings_row.reject_calls = reject_calls
    if reject_message is not None:
        settings_row.reject_message = reject_message.strip()
    settings_row.save()
    return settings_row


def call_settings_json(row: CallSettings) -> dict:
    return {
        "rejectCalls": row.reject_calls,
        "rejectMessage": row.reject_message or None,
        "updatedAt": row.updated_at,
    }


def _serialized(value) -> str:
    if isinstance(value, dict):
        value = value.get("_serialized")
    return value if isinstance(value, str) else ""


def call_received(*, session_id: UUID, data, engine: Engine) -> None:
    """wa-js `call.incoming_call` {id, isGroup, isVideo, offerTime, sender, peerJid}."""
    caller = _serialized(data.get("sender")) if isinstance(data, dict) else ""
    if not caller or not str(data.get("id") or ""):
        raise MalformedEvent("call.incoming_call without a caller or an id")
    if Call.objects.filter(session_id=session_id, call_id=str(data["id"])[:100]).exists():
        return  # handed over again after a crash: reported (and rejected) already
    session = Session.objects.get(pk=session_id)
    row = call_settings_get(session=session)
    rejected = row.reject_calls and _reject(engine, str(data["id"]), session_id)
    payload = {
        "id": str(data["id"]),
        "from": caller,
        "caller": person_json(caller, lid_pairs_for(session_id=session_id, ids=[caller])),
        "video": bool(data.get("isVideo")),
        "group": bool(data.get("isGroup")),
        "offerTime": data.get("offerTime") if isinstance(data.get("offerTime"), int) else None,
        "rejected": bool(rejected),
    }
    with transaction.atomic():
        _, created = Call.objects.get_or_create(
            session_id=session_id,
            call_id=payload["id"][:100],
            defaults={
                "caller": caller[:100],
                "is_video": payload["video"],
                "is_group": payload["group"],
                "rejected": payload["rejected"],
            },
        )
        if not created:
            return
        events.emit(events.CALL_RECEIVED, session_id=session_id, payload=payload)
    if rejected and row.reject_message and not payload["group"]:
        _answer(session, caller, row.reject_message, call_id=payload["id"])


def _reject(engine: Engine, call_id: str, session_id: UUID) -> bool:
    try:
        answer = engine.group_op("rejectCall", call_id, wait=REJECT_WAIT_SECONDS)
    except EngineCrashed:
        raise
    except EngineError as exc:
        logger.warning("Could not reject call %s: %s", call_id, exc, extra={"session_id": str(session_id)})
        return False
    if answer.get("failure"):
        logger.warning("WhatsApp refused to reject call %s: %s", call_id, answer["failure"])
        return False
    return True


def _answer(session: Session, caller: str, text: str, *, call_id: str) -> None:
    """Queues the reply text to the caller; a refusal (queue full, ...) is logged, not raised:
    the call event is stored already."""
    try:
        # Keyed by the call: the same event handled twice queues one reply.
        message_send(
            session=session, to=caller, text=text, queue=True, idempotency_key=f"call-reply:{call_id}"
        )
    except ServiceError as exc:
        logger.warning("Call reply to %s not queued: %s", caller, exc, extra={"session_id": str(session.id)})
