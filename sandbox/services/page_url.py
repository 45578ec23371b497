"""The sandbox page's URL and its token: how the engine's browser opens the page and how
the page's endpoints know which session they serve (no API key: the browser has none)."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.crypto import constant_time_compare

from sessions_app.models import Session
from yesapp.errors import NotFound, ServiceError

_PAGE_SALT = "yesapp.sandbox.page"


class PageForbidden(ServiceError):
    status_code = 403
    code = "permission_denied"


def _page_signer() -> signing.Signer:
    return signing.Signer(salt=_PAGE_SALT)


def sandbox_page_token(*, session_id) -> str:
    """A token bound to one session id; it never expires (the engine reopens the page for
    as long as the session runs) and changes only with SECRET_KEY."""
    return _page_signer().signature(str(session_id))


def sandbox_page_url(*, session: Session) -> str:
    """The absolute URL the engine's browser opens for a sandbox session."""
    path = reverse("sandbox:page", kwargs={"session_id": session.id})
    return f"{settings.INTERNAL_BASE_URL}{path}?token={sandbox_page_token(session_id=session.id)}"


def sandbox_page_session(*, session_id, token: str) -> Session:
    """The sandbox session a page token opens; 403 for a wrong token, 404 for no such session.

    The token is checked first, so a caller without one learns nothing about which ids exist.
    """
    if not token or not constant_time_compare(token, sandbox_page_token(session_id=session_id)):
        raise PageForbidden("The sandbox page token is missing or wrong for this session.")
    session = Session.objects.filter(pk=session_id, sandbox=True).first()
    if session is None:
        raise NotFound("No sandbox session with this id.", details={"sessionId": str(session_id)})
    return session
