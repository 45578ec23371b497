"""The sandbox's part in a session's browser, registered with the engine at startup: a
sandbox session opens the sandbox page (which brings its own `WPP`) instead of WhatsApp Web."""

from __future__ import annotations

from sandbox.services.page_url import sandbox_page_url
from sessions_app.engine import registry
from sessions_app.engine.registry import PageTarget
from sessions_app.models import Session


def sandbox_page_target(session: Session) -> PageTarget | None:
    if not session.sandbox:
        return None
    return PageTarget(url=sandbox_page_url(session=session), inject_wajs=False)


def register() -> None:
    registry.add_page_provider(sandbox_page_target)
