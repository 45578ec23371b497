"""What the apps do with a session's browser: the engine's only view of them.

The engine knows nothing of messages, contacts or the sandbox. Each app registers here, from
its `AppConfig.ready()`, what it handles; the session actor dispatches to it, in the one thread
that owns the session's browser:

- page events by wa-js name (`chat.new_message`): `handler(session_id, data, engine)`;
- commands other threads ask the actor to run (`host.handle_command`):
  `command(session_id, engine, args) -> dict`;
- send steps, run while the session is connected: `step(session_id, engine) -> int`, the
  work done (more than 0: more may be due, so the actor looks again at once);
- send waits: `wait(session_id) -> float | None`, the seconds until a send step has work that
  is waiting for its time (a rate limit, typing), so the actor wakes then, not a drain later;
- start steps, run once before the actor's first browser (recovering what a crash left);
- catch-up: the unix time from which a reconnected session asks the page for messages it
  may have missed (`WPP.chat.list` + `getMessages`), or None when nothing can be missing;
  the messages found are handled as `chat.new_message` events;
- the page a session opens: the first provider that answers for it wins; otherwise
  WhatsApp Web with wa-js injected.

A name registered twice is a programming error, so it raises at startup.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

if TYPE_CHECKING:
    from sessions_app.engine.base import Engine
    from sessions_app.models import Session

EventHandler = Callable[[UUID, Any, "Engine"], None]
CommandHandler = Callable[[UUID, "Engine", dict], dict]
SendStep = Callable[[UUID, "Engine"], int]
SendWait = Callable[[UUID], "float | None"]
StartStep = Callable[[UUID], Any]
CatchUpSince = Callable[[UUID], "float | None"]


@dataclass(frozen=True)
class PageTarget:
    """The page a session's browser opens, and whether wa-js is injected into it (a stand-in
    page such as the sandbox brings its own `WPP`)."""

    url: str
    inject_wajs: bool


PageProvider = Callable[["Session"], "PageTarget | None"]

_event_handlers: dict[str, EventHandler] = {}
_commands: dict[str, CommandHandler] = {}
_send_steps: list[SendStep] = []
_send_waits: list[SendWait] = []
_start_steps: list[StartStep] = []
_catch_up_since: list[CatchUpSince] = []
_page_providers: list[PageProvider] = []


def _add_once(registry: dict, name: str, handler: Callable) -> None:
    if registry.get(name, handler) is not handler:
        raise ValueError(f"{name!r} is already handled by {registry[name]!r}")
    registry[name] = handler


def _append_once(registry: list, handler: Callable) -> None:
    if handler not in registry:
        registry.append(handler)


def on_event(name: str, handler: EventHandler) -> None:
    _add_once(_event_handlers, name, handler)


def on_command(name: str, handler: CommandHandler) -> None:
    _add_once(_commands, name, handler)


def add_send_step(step: SendStep) -> None:
    _append_once(_send_steps, step)


def add_send_wait(wait: SendWait) -> None:
    _append_once(_send_waits, wait)


def add_start_step(step: StartStep) -> None:
    _append_once(_start_steps, step)


def add_catch_up_since(since: CatchUpSince) -> None:
    _append_once(_catch_up_since, since)


def add_page_provider(provider: PageProvider) -> None:
    _append_once(_page_providers, provider)


# --- what the engine calls -----------------------------------------------------------------
def event_handler(name: str) -> EventHandler | None:
    return _event_handlers.get(name)


def handled_events() -> frozenset[str]:
    return frozenset(_event_handlers)


def command_handler(name: str) -> CommandHandler | None:
    return _commands.get(name)


def run_send_steps(session_id: UUID, engine: Engine) -> int:
    return sum(step(session_id, engine) or 0 for step in _send_steps)


def next_send_in(session_id: UUID) -> float | None:
    """Seconds until the earliest wait of any send step ends (0 when it already has), or None."""
    waits = [w for w in (wait(session_id) for wait in _send_waits) if w is not None]
    return max(0.0, min(waits)) if waits else None


def run_start_steps(session_id: UUID) -> None:
    for step in _start_steps:
        step(session_id)


def catch_up_since(session_id: UUID) -> float | None:
    """The earliest time any app wants caught up from, or None when none does."""
    times = [t for t in (since(session_id) for since in _catch_up_since) if t is not None]
    return min(times) if times else None


def page_target(session: Session, *, default_url: str) -> PageTarget:
    for provider in _page_providers:
        target = provider(session)
        if target is not None:
            return target
    return PageTarget(url=default_url, inject_wajs=True)
