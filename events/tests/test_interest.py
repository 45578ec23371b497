"""Opt-in events (`chat.presence`) are logged only while a webhook or an open stream asks for
them by name (events/interest.py), and reach only readers that name them."""

import asyncio
import json

from asgiref.sync import sync_to_async

from events import hub as hub_module
from events.models import Event
from events.tests.conftest import emit_received
from events.tests.test_hub import next_chunk, next_events, open_stream
from webhooks.models import WebhookConfig
from yesapp.apikeys import apikey_create
from yesapp.events import CHAT_PRESENCE, MESSAGE_RECEIVED


def typing(session) -> None:
    emit_received(session, "typing", event=CHAT_PRESENCE)


def logged_names() -> list[str]:
    return list(Event.objects.values_list("name", flat=True))


def test_presence_nobody_listens_to_is_not_logged(make_session):
    session = make_session()
    WebhookConfig.objects.create(session=session, url="https://hooks.example.com/in", secret="s" * 32)
    typing(session)
    emit_received(session, "hello")
    assert logged_names() == [MESSAGE_RECEIVED]


def test_presence_is_logged_for_a_webhook_that_names_it(make_session):
    session, other = make_session("shop"), make_session("clinic")
    WebhookConfig.objects.create(
        session=session, url="https://hooks.example.com/in", secret="s" * 32, events=[CHAT_PRESENCE]
    )
    typing(session)
    typing(other)  # its session has no such webhook
    (entry,) = Event.objects.all()
    assert (entry.name, entry.session_id) == (CHAT_PRESENCE, session.pk)
    assert entry.webhook_deliveries.count() == 1


def test_an_open_stream_naming_presence_gets_it_logged_and_only_it_receives_it(
    transactional_db, make_session
):
    session = make_session()
    key, _ = apikey_create(name="presence")
    hub_module._hubs.clear()

    async def scenario():
        wants, unfiltered = open_stream(key, names=(CHAT_PRESENCE,)), open_stream(key)
        try:
            await next_chunk(wants)
            await next_chunk(unfiltered)
            await sync_to_async(typing)(session)
            await sync_to_async(emit_received)(session, "hello")
            return await next_events(wants, 1), await next_events(unfiltered, 1)
        finally:
            await wants.aclose()
            await unfiltered.aclose()

    (presence,), (message,) = asyncio.run(scenario())
    hub_module._hubs.clear()
    assert "event: chat.presence" in presence
    assert json.loads(message.split("data: ", 1)[1])["text"] == "hello"
    assert logged_names() == [CHAT_PRESENCE, MESSAGE_RECEIVED]


def test_the_event_list_has_opt_in_events_only_when_named(make_session, scoped_key):
    session = make_session()
    WebhookConfig.objects.create(
        session=session, url="https://hooks.example.com/in", secret="s" * 32, events=[CHAT_PRESENCE]
    )
    typing(session)
    emit_received(session, "hello")
    _, client = scoped_key(session)
    everything = client.get("/api/v1/events").json()["items"]
    named = client.get("/api/v1/events", {"types": CHAT_PRESENCE}).json()["items"]
    assert [item["event"] for item in everything] == [MESSAGE_RECEIVED]
    assert [item["event"] for item in named] == [CHAT_PRESENCE]
