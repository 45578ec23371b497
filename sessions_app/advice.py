"""What a person should do about a session's state, in words for the dashboard (and anyone
reading `lastError`). The engine records the reason (`last_error`); this only explains it."""

from dataclasses import dataclass

from sessions_app.models import Session, SessionStatus

# Chromium's net::ERR_* names for "the page's server could not be reached".
_UNREACHABLE = (
    "ERR_NAME_NOT_RESOLVED",
    "ERR_NAME_RESOLUTION_FAILED",
    "ERR_INTERNET_DISCONNECTED",
    "ERR_CONNECTION_",
    "ERR_ADDRESS_UNREACHABLE",
    "ERR_NETWORK_",
    "ERR_PROXY_",
    "ERR_TIMED_OUT",
    "ERR_TUNNEL_CONNECTION_FAILED",
    "ERR_CERT_",
)
# The actor's longest wait between two starts (sessions_app/engine/actor.py, MAX_BACKOFF).
RETRY_EVERY_AT_MOST = 30


@dataclass(frozen=True)
class SessionProblem:
    title: str
    reason: str
    todo: str
    retrying: bool


def session_problem(session: Session) -> SessionProblem | None:
    """Why a session is stuck and what to do, or None when nothing is wrong (or not yet known)."""
    reason = session.last_error
    if session.status == SessionStatus.FAILED:
        return SessionProblem(
            "The session stopped after a permanent error",
            reason or "No reason was recorded.",
            "Fix the cause below, then press Start. The Logs page has the details.",
            retrying=False,
        )
    if session.status != SessionStatus.STARTING or not reason:
        return None
    retry = (
        f"YesApp keeps trying, at most every {RETRY_EVERY_AT_MOST} s, and goes on by itself once it works."
    )
    if reason.startswith("Opening ") or any(marker in reason for marker in _UNREACHABLE):
        if session.sandbox:
            return SessionProblem(
                "The engine's browser cannot load the sandbox page",
                reason,
                "Check that INTERNAL_BASE_URL reaches this web server from the engine's machine and that "
                f"its host name is in ALLOWED_HOSTS. {retry}",
                retrying=True,
            )
        return SessionProblem(
            "This server cannot reach WhatsApp Web",
            reason,
            "The engine's machine must reach https://web.whatsapp.com: check its internet access, DNS, "
            f"firewall or proxy. {retry} To try YesApp without a phone or internet, create a sandbox "
            "session.",
            retrying=True,
        )
    if "WPP.isReady" in reason:
        return SessionProblem(
            "WhatsApp Web opened, but wa-js did not get ready",
            reason,
            "A WhatsApp Web update may have broken the pinned wa-js: look for a YesApp update, and at "
            f"the Logs page. {retry}",
            retrying=True,
        )
    return SessionProblem(
        "The browser could not start",
        reason,
        f"The Logs page has the details (filter on this session's id). {retry}",
        retrying=True,
    )
