"""The hub (events/hub.py) in the test's own event loop: many open streams, one reader of the
log; and the exact bytes a stream sends (its heartbeat must end with a blank line, or an
SSE client never dispatches it)."""

import asyncio

import pytest
from asgiref.sync import sync_to_async

from events import hub as hub_module
from events.stream import HEARTBEAT, StreamFilters, event_stream
from events.tests.conftest import emit_received
from yesapp.apikeys import apikey_create

# Bounds for a loaded machine: a healthy run takes milliseconds.
WAIT = 20.0


async def next_chunk(stream) -> str:
    return await asyncio.wait_for(stream.__anext__(), WAIT)


async def next_events(stream, n: int) -> list[str]:
    """The next `n` SSE events of `stream`, skipping comments."""
    found = []
    while len(found) < n:
        chunk = await next_chunk(stream)
        if not chunk.startswith(":"):
            found.append(chunk)
    return found


def texts(chunks: list[str]) -> list[str]:
    import json

    return [json.loads(chunk.split("data: ", 1)[1])["text"] for chunk in chunks]


def open_stream(key, *, heartbeat: float = 30.0, **filters):
    return event_stream(
        filters=StreamFilters(key=key, **filters), after=0, pruned_through=0, heartbeat=heartbeat
    )


def test_a_quiet_stream_sends_comments_that_end_with_a_blank_line(transactional_db):
    key, _ = apikey_create(name="heartbeat")

    async def scenario():
        stream = open_stream(key, heartbeat=0.2)
        try:
            return [await next_chunk(stream) for _ in range(3)]
        finally:
            await stream.aclose()

    chunks = asyncio.run(scenario())
    assert chunks == [": stream open\n\n", HEARTBEAT, HEARTBEAT]
    assert HEARTBEAT == ": heartbeat\n\n"


def test_many_open_streams_share_one_read_of_each_new_entry(transactional_db, make_session, monkeypatch):
    session = make_session()
    key, _ = apikey_create(name="hub")
    reads = []
    real_read = hub_module._read_after

    def counted_read(position):
        batch = real_read(position)
        if batch:  # a quiet heartbeat on a slow machine may add empty reads
            reads.append([entry.id for entry in batch])
        return batch

    monkeypatch.setattr(hub_module, "_read_after", counted_read)

    async def scenario():
        streams = [open_stream(key) for _ in range(20)]
        try:
            for stream in streams:
                assert await next_chunk(stream) == ": stream open\n\n"
            assert len(hub_module.event_hub().subscribers) == 20
            for n in range(3):
                await sync_to_async(emit_received)(session, f"message {n}")
            return [texts(await next_events(stream, 3)) for stream in streams]
        finally:
            for stream in streams:
                await stream.aclose()

    seen = asyncio.run(scenario())
    assert seen == [["message 0", "message 1", "message 2"]] * 20
    # Each entry read once for all 20 streams (in one to three reads), not once per stream.
    read_ids = [entry_id for batch in reads for entry_id in batch]
    assert len(read_ids) == len(set(read_ids)) == 3


def test_a_stream_too_slow_for_its_inbox_reads_its_gap_from_the_log(
    transactional_db, make_session, monkeypatch
):
    session = make_session()
    key, _ = apikey_create(name="slow")
    monkeypatch.setattr(hub_module, "MAX_BACKLOG", 2)

    async def scenario():
        slow, fast = open_stream(key), open_stream(key)
        try:
            await next_chunk(slow)
            await next_chunk(fast)
            for n in range(6):
                await sync_to_async(emit_received)(session, f"message {n}")
            # The fast one keeps up with its inbox; the slow one reads nothing until all are in.
            fast_seen = texts(await next_events(fast, 6))
            return fast_seen, texts(await next_events(slow, 6))
        finally:
            await slow.aclose()
            await fast.aclose()

    fast_seen, slow_seen = asyncio.run(scenario())
    expected = [f"message {n}" for n in range(6)]
    assert fast_seen == expected
    assert slow_seen == expected  # in order, nothing twice, nothing missed


def test_live_entries_of_sessions_outside_the_key_or_the_filters_are_left_out(transactional_db, make_session):
    shop, clinic = make_session("shop"), make_session("clinic")
    admin, _ = apikey_create(name="admin")
    scoped, _ = apikey_create(name="scoped", session_ids=[shop.pk])

    async def scenario():
        streams = {
            "scoped": open_stream(scoped),
            "clinic only": open_stream(admin, session_id=clinic.pk),
            "statuses": open_stream(admin, names=("session.status",)),
        }
        try:
            for stream in streams.values():
                await next_chunk(stream)
            await sync_to_async(emit_received)(clinic, "clinic 1")
            await sync_to_async(emit_received)(shop, "shop 1")
            await sync_to_async(emit_received)(shop, "shop status", event="session.status")
            await sync_to_async(emit_received)(clinic, "clinic 2")
            return {
                "scoped": texts(await next_events(streams["scoped"], 2)),
                "clinic only": texts(await next_events(streams["clinic only"], 2)),
                "statuses": texts(await next_events(streams["statuses"], 1)),
            }
        finally:
            for stream in streams.values():
                await stream.aclose()

    assert asyncio.run(scenario()) == {
        "scoped": ["shop 1", "shop status"],
        "clinic only": ["clinic 1", "clinic 2"],
        "statuses": ["shop status"],
    }


@pytest.fixture(autouse=True)
def _fresh_hubs():
    # A hub belongs to one event loop; each test runs its own.
    hub_module._hubs.clear()
    yield
    hub_module._hubs.clear()
