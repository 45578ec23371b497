"""Lookups through the viewer's key scope: what the viewer may not see is a plain 404 page,
exactly like the API's 404 for sessions outside a key's scope (ids don't leak)."""

from collections.abc import Callable
from typing import TypeVar

from django.http import Http404, HttpRequest

from sessions_app.models import Session
from sessions_app.selectors import session_get_for_key
from yesapp.errors import NotFound

T = TypeVar("T")


def found_or_404(lookup: Callable[..., T], **kwargs) -> T:
    """Runs a selector that raises NotFound; a 404 page instead."""
    try:
        return lookup(**kwargs)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def session_for_viewer(request: HttpRequest, session_id) -> Session:
    return found_or_404(session_get_for_key, key=request.viewer.key, session_id=session_id)
