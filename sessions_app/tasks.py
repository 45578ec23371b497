"""Engine commands: short tasks that hand a command to the session's actor and return."""

import logging

from celery import shared_task

from sessions_app.quarantine import failed_events_prune

logger = logging.getLogger(__name__)


@shared_task(name="sessions_app.tasks.session_command", acks_late=False)
def session_command(session_id: str, command: str, args: dict) -> dict:
    """Runs on an engine node (its own `engine.<node>` queue, or the shared `engine` queue
    when no node owns the session yet). Not acked late: a command is only a nudge, and
    running `logout` twice after a redelivery would be worse than losing it."""
    from sessions_app.engine.host import current_host

    host = current_host()
    if host is None:
        answer = {
            "error": "This worker hosts no sessions (it does not consume the engine queue).",
            "code": "no_engine",
        }
    else:
        answer = host.handle_command(session_id, command, args)
    if command in ("pairing_code", "logout"):
        # The API waited only briefly (ENGINE_COMMAND_WAIT): the answer goes where it polls.
        from sessions_app.services import session_record_command_answer

        session_record_command_answer(session_id=session_id, command=command, args=args, answer=answer)
    return answer


@shared_task(name="sessions_app.tasks.prune_failed_events")
def prune_failed_events() -> int:
    """Hourly (beat): quarantined page events past FAILED_EVENT_RETENTION_DAYS."""
    return failed_events_prune()
