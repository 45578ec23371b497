"""Questions to a connected session's page (is this number on WhatsApp? whose lid is this?),
asked through the engine's command path and answered within a bounded wait.

The app that owns a question registers its command with the engine (registry.on_command); the
command gets `wait` in its arguments and answers within it, or with code `page_timeout`."""

from __future__ import annotations

from celery.exceptions import TimeoutError as CeleryTimeout

from sessions_app.engine.lease import lease_owner
from sessions_app.models import Session, SessionStatus
from sessions_app.services import _route_command
from yesapp.errors import Conflict, GatewayTimeout, ServiceUnavailable

# Beyond the page's own wait: the command's trip through Celery and the actor's queue (the
# actor takes commands between drains, at most a second apart, or after a send in progress).
QUERY_MARGIN_SECONDS = 5.0
# Answers meaning the session has no browser right now.
_NOT_RUNNING = ("not_running", "no_engine")
_TIMED_OUT = ("page_timeout", "engine_timeout")


def session_page_query(*, session: Session, command: str, args: dict, wait: float) -> dict:
    """Runs `command` in the session's browser and returns its answer. 409
    (`session_not_connected`) unless the session is connected; 504 (`engine_timeout`) when the
    page does not answer within `wait` (plus the trip); 503 when the engine fails otherwise."""
    if session.status != SessionStatus.CONNECTED or not lease_owner(session.id):
        raise _not_connected(session)
    limit = wait + QUERY_MARGIN_SECONDS
    try:
        result = _route_command(session.id, command, {**args, "wait": wait}).get(
            timeout=limit, propagate=False
        )
    except CeleryTimeout as exc:
        raise GatewayTimeout(
            f"The session's page did not answer {command} within {limit:.0f}s; retry, or raise "
            "CONTACTS_QUERY_TIMEOUT if WhatsApp is slow.",
            details={"status": session.status},
        ) from exc
    except Exception as exc:
        raise ServiceUnavailable(f"The engine could not be reached: {exc}") from exc
    if not isinstance(result, dict):
        raise ServiceUnavailable(f"The engine failed to run {command}: {result}")
    code = result.get("code") or ""
    if code in _NOT_RUNNING:
        raise _not_connected(session)
    if code in _TIMED_OUT:
        raise GatewayTimeout(result.get("error") or f"The page did not answer {command} in time.")
    if result.get("error"):
        raise ServiceUnavailable(result["error"], code=code or "engine_error")
    return result


def _not_connected(session: Session) -> Conflict:
    return Conflict(
        f"Session {session.name!r} is {session.status}, not connected: WhatsApp can only be asked "
        "through a connected session.",
        code="session_not_connected",
        details={"status": session.status},
    )
