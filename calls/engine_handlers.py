"""Calls' part in a session's browser: wa-js `call.incoming_call` (calls/services.py)."""

from __future__ import annotations

from uuid import UUID

from calls import services
from sessions_app.engine import registry
from sessions_app.engine.base import Engine


def _incoming_call(session_id: UUID, data, engine: Engine) -> None:
    services.call_received(session_id=session_id, data=data, engine=engine)


def register() -> None:
    registry.on_event("call.incoming_call", _incoming_call)
