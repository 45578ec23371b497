"""The engine's registry: what the apps registered at startup, and its rules."""

import uuid

import pytest

from sessions_app.engine import registry
from sessions_app.engine.registry import PageTarget
from sessions_app.models import Session


def test_the_apps_registered_their_engine_handlers_at_startup():
    assert {"chat.new_message", "chat.msg_ack_change"} <= registry.handled_events()
    assert registry.event_handler("no.such_event") is None
    assert registry.command_handler("no_such_command") is None


def test_a_name_handled_twice_is_refused(monkeypatch):
    monkeypatch.setattr(registry, "_event_handlers", {})
    registry.on_event("chat.x", print)
    registry.on_event("chat.x", print)  # the same handler again (a second ready()) is harmless
    with pytest.raises(ValueError, match="already handled"):
        registry.on_event("chat.x", repr)


def test_catch_up_starts_from_the_earliest_time_any_app_asks_for(monkeypatch):
    monkeypatch.setattr(registry, "_catch_up_since", [])
    registry.add_catch_up_since(lambda session_id: None)
    assert registry.catch_up_since(uuid.uuid4()) is None
    registry.add_catch_up_since(lambda session_id: 200.0)
    registry.add_catch_up_since(lambda session_id: 100.0)
    assert registry.catch_up_since(uuid.uuid4()) == 100.0


def test_send_steps_add_up_the_work_done(monkeypatch):
    monkeypatch.setattr(registry, "_send_steps", [])
    registry.add_send_step(lambda session_id, engine: 2)
    registry.add_send_step(lambda session_id, engine: 0)
    assert registry.run_send_steps(uuid.uuid4(), engine=None) == 2


@pytest.mark.django_db
def test_a_sandbox_session_opens_the_sandbox_page_and_a_real_one_whatsapp_web():
    sandbox = Session.objects.create(name="s", sandbox=True)
    real = Session.objects.create(name="r", sandbox=False)
    target = registry.page_target(sandbox, default_url="https://web.whatsapp.com/")
    assert str(sandbox.id) in target.url and "token=" in target.url
    assert target.inject_wajs is False
    assert registry.page_target(real, default_url="https://web.whatsapp.com/") == PageTarget(
        url="https://web.whatsapp.com/", inject_wajs=True
    )


def test_the_next_send_is_due_when_the_earliest_send_wait_ends(monkeypatch):
    monkeypatch.setattr(registry, "_send_waits", [])
    assert registry.next_send_in(uuid.uuid4()) is None
    registry.add_send_wait(lambda session_id: None)
    registry.add_send_wait(lambda session_id: 1.5)
    registry.add_send_wait(lambda session_id: 0.4)
    assert registry.next_send_in(uuid.uuid4()) == 0.4
    registry.add_send_wait(lambda session_id: -0.2)  # already over: due now
    assert registry.next_send_in(uuid.uuid4()) == 0.0
