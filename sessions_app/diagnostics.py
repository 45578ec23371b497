"""A session's self-diagnosis: what the page says about itself (through the engine's command
path) and what the app knows (last event, browser memory, last errors), each with a verdict."""

import time
from datetime import UTC, datetime

from celery.exceptions import TimeoutError as CeleryTimeout
from django.conf import settings

from sessions_app.engine.lease import lease_owner
from sessions_app.engine.memory import browser_memory_of
from sessions_app.engine.wpp_contract import EVENTS, FUNCTIONS
from sessions_app.models import DesiredState, Session, SessionEvent
from sessions_app.services import _route_command
from yesapp.errors import Conflict, GatewayTimeout, ServiceUnavailable

# Peers report Chromium sessions growing from ~270 MB to over 1 GB over days (../shared/WAJS.md).
MEMORY_WARN_BYTES = 1024**3
# A connected session hears from the page at least this often in normal use (acks, messages).
QUIET_AFTER_SECONDS = 24 * 3600


def session_diagnose(*, session: Session) -> dict:
    """The diagnostics report (GET /api/v1/sessions/{id}/diagnostics, `manage.py sessions doctor`).

    409 when no engine node runs the session; 504 when the page did not answer in time."""
    if session.desired_state != DesiredState.RUNNING or not lease_owner(session.id):
        raise Conflict(
            f"The session is not running (status {session.status}): start it to diagnose its page.",
            details={"status": session.status},
        )
    answer = _ask_page(session)
    page = answer["page"]
    checks = [
        _check("wa-js", bool(page.get("wajsVersion")), page.get("wajsVersion") or "unknown", "loaded"),
        _whatsapp_check(page),
        _functions_check(page.get("missingFunctions") or []),
        _events_check(page.get("unsubscribedEvents") or []),
        _last_event_check(answer.get("lastEvent") or {}),
        _memory_check(browser_memory_of([session.id]).get(str(session.id))),
        _errors_check(session),
    ]
    return {
        "sessionId": str(session.id),
        "status": session.status,
        "checkedAt": datetime.now(UTC),
        "wajsVersion": page.get("wajsVersion") or "",
        "whatsappVersion": page.get("whatsappVersion") or "",
        "healthy": all(check["ok"] is not False for check in checks),
        "checks": checks,
    }


def _ask_page(session: Session) -> dict:
    wait = settings.ENGINE_DIAGNOSTICS_TIMEOUT + settings.ENGINE_COMMAND_TIMEOUT
    try:
        result = _route_command(session.id, "diagnostics", {}).get(timeout=wait, propagate=False)
    except CeleryTimeout as exc:
        raise GatewayTimeout(f"No engine node answered the diagnostics within {wait}s.") from exc
    except Exception as exc:
        raise ServiceUnavailable(f"The engine could not be reached: {exc}") from exc
    if not isinstance(result, dict):
        raise ServiceUnavailable(f"The engine failed to run the diagnostics: {result}")
    if result.get("code") == "engine_timeout" or (not result.get("error") and "page" not in result):
        raise GatewayTimeout(
            "The page did not answer the diagnostics in time; the browser is restarted if it hangs.",
            details={"status": session.status},
        )
    if result.get("error"):
        raise Conflict(
            result["error"], code=result.get("code", "engine_error"), details={"status": session.status}
        )
    return result


def _check(name: str, ok: bool | None, value, verdict: str) -> dict:
    return {"name": name, "ok": ok, "value": value, "verdict": verdict}


def _whatsapp_check(page: dict) -> dict:
    version = page.get("whatsappVersion") or ""
    if version:
        return _check("WhatsApp Web", True, version, f"WhatsApp Web {version}")
    return _check("WhatsApp Web", None, "", "version not reported (the sandbox, or WhatsApp Web hides it)")


def _functions_check(missing: list[str]) -> dict:
    if not missing:
        return _check("contract functions", True, len(FUNCTIONS), f"all {len(FUNCTIONS)} present")
    names = ", ".join(f"WPP.{name}" for name in missing)
    return _check(
        "contract functions", False, missing, f"missing {names}: update wa-js (docs/UPGRADING_WAJS.md)"
    )


def _events_check(unsubscribed: list[str]) -> dict:
    if not unsubscribed:
        return _check("contract events", True, len(EVENTS), f"listening to all {len(EVENTS)}")
    return _check("contract events", False, unsubscribed, f"not listening to {', '.join(unsubscribed)}")


def _last_event_check(last: dict) -> dict:
    if not last.get("name"):
        return _check("last event", None, None, "no event since the browser started")
    age = time.time() - last["at"]
    value = {"name": last["name"], "at": datetime.fromtimestamp(last["at"], UTC)}
    if age > QUIET_AFTER_SECONDS:
        return _check("last event", False, value, f"{last['name']} {age / 3600:.0f} h ago: unusually quiet")
    return _check("last event", True, value, f"{last['name']} {age:.0f} s ago")


def _memory_check(size: int | None) -> dict:
    if not size:
        return _check("browser memory", None, None, "not measured yet")
    verdict = f"{size / 1024**2:.0f} MB"
    if size > MEMORY_WARN_BYTES:
        return _check("browser memory", False, size, verdict + ": high, a restart frees it")
    return _check("browser memory", True, size, verdict)


def _errors_check(session: Session) -> dict:
    recent = list(
        SessionEvent.objects.filter(session=session)
        .exclude(reason="")
        .order_by("-created_at")
        .values("to_status", "reason", "created_at")[:5]
    )
    value = {"lastError": session.last_error, "recentReasons": recent}
    if session.last_error:
        return _check("last errors", False, value, session.last_error)
    return _check("last errors", True, value, "none")
