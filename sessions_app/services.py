"""Session services: every write to a session goes through here.

The database holds what the user wants (`desired_state`) and what the engine saw (`status`).
Commands to the browser travel as short Celery tasks to the engine node that holds the
session's lease; engine nodes also reconcile from the database every few seconds, so a lost
command message only delays what the database already says.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from celery.exceptions import TimeoutError as CeleryTimeout
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from sessions_app.create_options import session_create_options_apply
from sessions_app.engine.lease import lease_owner
from sessions_app.fencing import session_fence_check
from sessions_app.models import DesiredState, Session, SessionEvent, SessionStatus
from sessions_app.selectors import pairing_code_state
from yesapp import events
from yesapp.errors import Conflict, InvalidInput, ServiceUnavailable
from yesapp.validators import normalize_phone

logger = logging.getLogger(__name__)

# Fields the engine may set along with a status change.
STATE_FIELDS = {
    "qr_raw",
    "qr_issued_at",
    "phone",
    "wid",
    "push_name",
    "last_error",
    "engine_node",
    "desired_state",
}


class InvalidTransition(Conflict):
    code = "invalid_transition"


def session_set_status(
    *,
    session_id: UUID,
    status: str,
    reason: str = "",
    record_same: bool = False,
    lease_token: int | None = None,
    **fields: Any,
) -> Session | None:
    """The one place a session's status changes: checks the transition, records a
    SessionEvent and emits `session.status`, all in one transaction. Returns None when the
    session no longer exists. `record_same` records an event even when the status stays (a
    browser restarted while still starting); no `session.status` is emitted for it. An engine
    node passes its `lease_token`: StaleOwner when another node has taken the session over."""
    unknown = set(fields) - STATE_FIELDS
    if unknown:
        raise ValueError(f"not a session state field: {sorted(unknown)}")
    with transaction.atomic():
        session = Session.objects.select_for_update().filter(pk=session_id).first()
        if session is None:
            return None
        session_fence_check(session, lease_token)
        previous = session.status
        if not session.can_transition_to(status):
            raise InvalidTransition(
                f"A session cannot go from {previous} to {status}.",
                details={"status": previous, "requested": status},
            )
        changed = _apply_status(session, status, fields)
        if changed:
            session.save(update_fields=sorted(set(changed)) + ["updated_at"])
        if status != previous or record_same:
            SessionEvent.objects.create(
                session=session, from_status=previous, to_status=status, reason=reason
            )
        if status != previous:
            _announce_status(session, previous, reason)
    return session


def _apply_status(session: Session, status: str, fields: dict[str, Any]) -> list[str]:
    """Sets the status and the state fields on `session`; returns the names that changed."""
    changed = [name for name, value in fields.items() if getattr(session, name) != value]
    for name in changed:
        setattr(session, name, fields[name])
    if status == session.status:
        return changed
    now = timezone.now()
    session.status, session.status_changed_at = status, now
    changed += ["status", "status_changed_at"]
    if status == SessionStatus.CONNECTED:
        session.last_connected_at = session.last_activity_at = now
        changed += ["last_connected_at", "last_activity_at"]
    if status != SessionStatus.QR and session.qr_raw:
        session.qr_raw, session.qr_issued_at = "", None
        changed += ["qr_raw", "qr_issued_at"]
    if status != SessionStatus.QR and session.pairing_code:
        session.pairing_code = {}  # a code is only good for the scan it was asked for
        changed.append("pairing_code")
    return changed


def _announce_status(session: Session, previous: str, reason: str) -> None:
    events.emit(
        events.SESSION_STATUS,
        session_id=session.id,
        payload={"status": session.status, "previousStatus": previous, "reason": reason},
    )
    suffix = f" ({reason})" if reason else ""
    logger.info(
        "Session %s: %s -> %s%s",
        session.name,
        previous,
        session.status,
        suffix,
        extra={"session_id": str(session.id), "status": session.status},
    )


def session_touch(*, session_id: UUID) -> None:
    """Records activity (a message in or out), at most once a minute per session."""
    now = timezone.now()
    Session.objects.filter(pk=session_id).exclude(
        last_activity_at__gt=now - timezone.timedelta(minutes=1)
    ).update(last_activity_at=now)


# --- user actions ---------------------------------------------------------------------------


def session_create(*, name: str, sandbox: bool = False, **options) -> tuple[Session, dict]:
    """Creates a session and starts it. `options` are the create options other apps register
    (sessions_app/create_options.py, e.g. `webhook`); returns the session and what they add to
    the answer (a generated webhook secret, shown once)."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput("A session needs a name.", details={"name": name})
    if sandbox and not settings.SANDBOX_ENABLED:
        raise InvalidInput("The sandbox is turned off on this server (SANDBOX_ENABLED=false).")
    try:
        with transaction.atomic():
            session = Session.objects.create(
                name=name, sandbox=sandbox, status=SessionStatus.STARTING, desired_state=DesiredState.RUNNING
            )
            SessionEvent.objects.create(
                session=session,
                from_status=SessionStatus.STOPPED,
                to_status=SessionStatus.STARTING,
                reason="created",
            )
            answer = session_create_options_apply(session=session, values=options)
            transaction.on_commit(lambda: session_nudge(session.id))
    except IntegrityError as exc:
        raise Conflict(
            f"A session named {name!r} already exists.", code="name_taken", details={"name": name}
        ) from exc
    logger.info("Session %s created", name, extra={"session_id": str(session.id)})
    return session, answer


def session_start(*, session: Session) -> Session:
    if session.desired_state == DesiredState.RUNNING and session.is_running:
        raise Conflict(
            f"The session is already running ({session.status}).", details={"status": session.status}
        )
    session = session_set_status(
        session_id=session.id,
        status=SessionStatus.STARTING,
        reason="start requested",
        desired_state=DesiredState.RUNNING,
        last_error="",
    )
    transaction.on_commit(lambda: session_nudge(session.id))
    return session


def session_stop(*, session: Session) -> Session:
    if session.desired_state == DesiredState.STOPPED and session.status in (
        SessionStatus.STOPPED,
        SessionStatus.FAILED,
    ):
        raise Conflict("The session is already stopped.", details={"status": session.status})
    Session.objects.filter(pk=session.id).update(desired_state=DesiredState.STOPPED)
    if not _send_command(session.id, "stop"):
        # No node runs it: nothing to wait for.
        session_set_status(session_id=session.id, status=SessionStatus.STOPPED, reason="stop requested")
    session.refresh_from_db()
    return session


def session_restart(*, session: Session) -> Session:
    Session.objects.filter(pk=session.id).update(desired_state=DesiredState.RUNNING, last_error="")
    if not _send_command(session.id, "restart"):
        session_set_status(session_id=session.id, status=SessionStatus.STARTING, reason="restart requested")
        session_nudge(session.id)
    session.refresh_from_db()
    return session


def session_logout(*, session: Session) -> Session:
    """Unlinks the device (WPP.conn.logout); the session then waits for a new scan (`qr`).

    Waits at most ENGINE_COMMAND_WAIT for the engine: a logout not finished by then goes on in
    the engine while the caller polls the session's status; a failure that comes later is
    recorded in the session's events (sessions_app.tasks)."""
    if session.status not in (SessionStatus.CONNECTED, SessionStatus.DISCONNECTED):
        raise Conflict(
            f"Only a linked session can log out; this one is {session.status}.",
            details={"status": session.status},
        )
    _call_owner(session, "logout", {}, brief=True)
    session.refresh_from_db()
    return session


def session_pairing_code(*, session: Session, phone: str) -> dict[str, Any]:
    """Links by phone number instead of QR: WPP.conn.genLinkDeviceCodeForPhoneNumber.

    Records the request on the session (`pairing_code`, status `pending`), sends it to the
    engine and waits at most ENGINE_COMMAND_WAIT. Returns the session's pairing code state:
    `ready` with the code when the engine answered in time, else `pending` (the engine's
    answer lands on the session when it comes). An error answered in time raises, as before.
    """
    e164 = normalize_phone(phone)
    if session.status != SessionStatus.QR:
        raise Conflict(
            f"A pairing code needs a session waiting for a scan; this one is {session.status}.",
            details={"status": session.status},
        )
    request_id = uuid4().hex
    state = {"status": "pending", "phone": e164, "code": "", "error": "", "requestId": request_id}
    state["requestedAt"] = timezone.now().isoformat()
    Session.objects.filter(pk=session.id).update(pairing_code=state)
    _call_owner(session, "pairing_code", {"phone": e164.lstrip("+"), "requestId": request_id}, brief=True)
    session.refresh_from_db()
    return pairing_code_state(session)


def session_record_command_answer(*, session_id: UUID, command: str, args: dict, answer: dict) -> None:
    """Keeps what the engine answered to a command the API did not wait for to the end: a
    pairing code (or its error) on the session, a failed logout in the session's events."""
    if command == "pairing_code":
        with transaction.atomic():
            session = Session.objects.select_for_update().filter(pk=session_id).first()
            if session is None or session.pairing_code.get("requestId") != args.get("requestId"):
                return  # deleted, or a newer request replaced this one
            state = dict(session.pairing_code)
            if answer.get("error"):
                state.update(status="failed", error=str(answer["error"]), errorCode=answer.get("code", ""))
            else:
                state.update(status="ready", code=str(answer.get("code", "")))
            session.pairing_code = state
            session.save(update_fields=["pairing_code", "updated_at"])
    elif command == "logout" and answer.get("error"):
        session = Session.objects.filter(pk=session_id).first()
        if session is not None:
            session_set_status(
                session_id=session_id,
                status=session.status,
                reason=f"logout failed: {answer['error']}",
                record_same=True,
            )


def session_delete(*, session: Session) -> None:
    """Stops the browser, deletes the profile directory and every row of the session."""
    Session.objects.filter(pk=session.id).update(desired_state=DesiredState.STOPPED)
    if lease_owner(session.id):
        try:
            _call_owner(session, "stop", {}, timeout=settings.ENGINE_COMMAND_TIMEOUT)
        except ServiceUnavailable:
            logger.warning(
                "Deleting session %s while its engine did not confirm the stop",
                session.id,
                extra={"session_id": str(session.id)},
            )
    session_id = session.id  # Django clears the pk on delete
    session.delete()
    shutil.rmtree(Path(settings.SESSIONS_DIR) / str(session_id), ignore_errors=True)
    logger.info("Session %s deleted", session.name, extra={"session_id": str(session_id)})


# What a person can ask of a running or stopped session, by name (API, dashboard, admin, command).
SESSION_ACTIONS: dict[str, Callable[..., Session]] = {
    "start": session_start,
    "stop": session_stop,
    "restart": session_restart,
    "logout": session_logout,
}


# --- commands to engine nodes -----------------------------------------------------------------


def session_nudge(session_id: UUID) -> None:
    """Asks the owning node (or any engine node) to look at the session now: start it, or
    send what is queued. Best effort: nodes also scan the database every few seconds."""
    try:
        _route_command(session_id, "wake", {})
    except Exception as exc:  # Redis down: the periodic scan picks it up later
        logger.warning(
            "Could not nudge the engine for session %s: %s",
            session_id,
            exc,
            extra={"session_id": str(session_id)},
        )


def _route_command(session_id: UUID, command: str, args: dict):
    from sessions_app.tasks import session_command

    owner = lease_owner(session_id)
    queue = f"engine.{owner}" if owner else "engine"
    return session_command.apply_async((str(session_id), command, args), queue=queue, expires=60)


def _send_command(session_id: UUID, command: str) -> bool:
    """Sends a command to the node running the session; False when no node runs it."""
    try:
        if not lease_owner(session_id):
            return False
        _route_command(session_id, command, {})
        return True
    except Exception as exc:
        logger.warning(
            "Could not send %s to session %s: %s",
            command,
            session_id,
            exc,
            extra={"session_id": str(session_id)},
        )
        return False


def _call_owner(
    session: Session, command: str, args: dict, timeout: float | None = None, *, brief: bool = False
) -> dict | None:
    """Runs a command on the node that owns the session and waits for its answer. With
    `brief`, waits only ENGINE_COMMAND_WAIT and returns None when the answer is not there yet
    (the command goes on in the engine); otherwise a missing answer is a 503."""
    if brief:
        timeout = settings.ENGINE_COMMAND_WAIT
    timeout = timeout or settings.ENGINE_COMMAND_TIMEOUT + 5
    try:
        if not lease_owner(session.id):
            raise Conflict("No engine node runs this session right now.", details={"status": session.status})
        result = _route_command(session.id, command, args).get(timeout=timeout, propagate=False)
    except CeleryTimeout as exc:
        if brief:
            return None
        raise ServiceUnavailable(f"The engine did not answer {command} within {timeout:.0f}s.") from exc
    except Conflict:
        raise
    except Exception as exc:
        raise ServiceUnavailable(f"The engine could not be reached: {exc}") from exc
    if not isinstance(result, dict):
        raise ServiceUnavailable(f"The engine failed to run {command}: {result}")
    if result.get("error"):
        raise Conflict(
            result["error"], code=result.get("code", "engine_error"), details={"status": session.status}
        )
    return result
