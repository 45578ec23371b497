"""Event stream benchmark: 500 open `GET /api/v1/events/stream` connections on one server.

The web server runs exactly as `make run` starts it (scripts/serve.sh web: gunicorn with 2
uvicorn workers). Client processes (4 by default, so the clients' own Python does not become
the bottleneck) open the streams with raw sockets and note when each `id:` line arrives. A
separate process then commits events into the log one by one, noting the wall-clock time of
each commit. Reported:

- committed → received, over every (stream, event) pair, and per event until *every* stream
  had it (p50/p95/p99/max, ms);
- the web workers' memory (RSS and PSS) per open stream: after opening them minus before;
- `GET /api/v1/sessions` latency with no stream open and while the events flow to the streams;
- the machine's load average, since on a shared 2-core machine it moves every figure.

    python -m bench.stream_bench                     # 500 streams, 20 events 0.5 s apart
    python -m bench.stream_bench --streams 100 --events 10 --redis-db 3
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import resource
import subprocess
import threading
import time
from pathlib import Path

from bench.harness import PYTHON, ROOT, Stack, emit, percentiles, tree
from bench.web_bench import probe_for

# Generous bounds: on a loaded machine 500 connections take a while to open.
OPEN_TIMEOUT_S = 120.0
DRAIN_TIMEOUT_S = 60.0

# Run by `manage.py shell` in the stack's environment: commits events one by one and prints,
# for each, its log id and the wall-clock time its transaction committed.
EMITTER = """
import json, time
from django.db import transaction
from events.log import event_record
stamps = []
for n in range({events}):
    with transaction.atomic():
        # Registered first, so it runs first once the transaction has committed.
        transaction.on_commit(lambda: stamps.append(time.time()))
        entry = event_record(event="message.received", session_id="{session_id}",
                             payload={{"type": "text", "text": f"bench {{n}}"}})
    stamps[-1] = (entry.id, stamps[-1])
    time.sleep({interval})
print("STAMPS" + json.dumps(stamps))
"""


async def _stream(host: str, port: int, key: str, opened: list, arrivals: list) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(
        f"GET /api/v1/events/stream HTTP/1.1\r\nHost: {host}:{port}\r\nX-API-Key: {key}\r\n"
        "Accept: text/event-stream\r\n\r\n".encode()
    )
    rest = b""
    try:
        while chunk := await reader.read(65536):
            now = time.time()
            lines = (rest + chunk).split(b"\n")
            rest = lines.pop()
            for line in lines:
                if line.startswith(b"id: "):
                    arrivals.append((int(line[4:]), now))
                elif line.startswith(b": stream open"):
                    opened.append(1)
    finally:
        writer.close()


async def _clients(url: str, key: str, count: int, ready, stop) -> list[list]:
    host, port = url.removeprefix("http://").split(":")
    opened: list = []
    per_stream: list[list] = [[] for _ in range(count)]
    tasks = []
    for i in range(count):
        tasks.append(asyncio.create_task(_stream(host, int(port), key, opened, per_stream[i])))
        if i % 25 == 24:
            await asyncio.sleep(0.05)  # a gentle ramp: the listen backlog is finite
    deadline = time.monotonic() + OPEN_TIMEOUT_S
    while len(opened) < count and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    ready.put(len(opened))
    while not stop.is_set():
        await asyncio.sleep(0.1)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return per_stream


def client_process(url: str, key: str, count: int, ready, stop, results) -> None:
    results.put(asyncio.run(_clients(url, key, count, ready, stop)))


def memory_kb(pids: list[int]) -> dict:
    total = {"rss_kb": 0, "pss_kb": 0}
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                name, _, value = line.partition(":")
                if name in ("Rss", "Pss"):
                    total[f"{name.lower()}_kb"] += int(value.split()[0])
        except OSError:
            pass
    return total


def web_workers(stack: Stack) -> list[int]:
    master = stack.procs["web"].pid
    return [pid for pid in tree(master) if pid != master]


def emit_events(stack: Stack, session_id: str, events: int, interval: float) -> list[tuple[int, float]]:
    code = EMITTER.format(events=events, session_id=session_id, interval=interval)
    out = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=stack.env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [tuple(pair) for pair in json.loads(out.split("STAMPS", 1)[1])]


def latencies(stamps: list[tuple[int, float]], per_stream: list[list]) -> dict:
    committed = dict(stamps)
    deliveries, every_stream, missing = [], [], 0
    by_event: dict[int, list[float]] = {event_id: [] for event_id in committed}
    for arrivals in per_stream:
        got = {event_id: at for event_id, at in arrivals if event_id in committed}
        missing += len(committed) - len(got)
        for event_id, at in got.items():
            by_event[event_id].append(at - committed[event_id])
    for values in by_event.values():
        deliveries.extend(values)
        if values:
            every_stream.append(max(values))
    return {
        "each_delivery": percentiles(deliveries),
        "until_every_stream": percentiles(every_stream),
        "deliveries_missing": missing,
    }


def memory_per_stream(stack: Stack, before: dict, with_streams: dict, opened: int) -> dict:
    return {
        "web_workers": len(web_workers(stack)),
        "before": before,
        "with_streams": with_streams,
        "rss_kb_per_stream": round((with_streams["rss_kb"] - before["rss_kb"]) / max(opened, 1), 1),
        "pss_kb_per_stream": round((with_streams["pss_kb"] - before["pss_kb"]) / max(opened, 1), 1),
    }


def run(stack: Stack, args) -> dict:
    session_id = stack.post("/api/v1/sessions", {"name": "stream", "sandbox": True}).json()["id"]
    # Warm both workers (imports, the first stream) so "before" is a server that has served.
    for _ in range(20):
        stack.get("/api/v1/sessions")
    baseline = probe_for(f"{stack.url}/api/v1/sessions", stack.headers(), args.probe_seconds)
    before = memory_kb(web_workers(stack))

    ctx = multiprocessing.get_context("spawn")
    ready, results, stop = ctx.Queue(), ctx.Queue(), ctx.Event()
    shares = [args.streams // args.clients + (i < args.streams % args.clients) for i in range(args.clients)]
    procs = [
        ctx.Process(target=client_process, args=(stack.url, stack.key, share, ready, stop, results))
        for share in shares
    ]
    for proc in procs:
        proc.start()
    opened = sum(ready.get(timeout=OPEN_TIMEOUT_S + 30) for _ in procs)
    time.sleep(2)  # let the workers settle (buffers, the hubs' first reads)
    with_streams = memory_kb(web_workers(stack))

    probed: dict = {}
    prober = threading.Thread(
        target=lambda: probed.update(
            probe_for(f"{stack.url}/api/v1/sessions", stack.headers(), args.events * args.interval)
        )
    )
    prober.start()
    load_before = os.getloadavg()[0]
    stamps = emit_events(stack, session_id, args.events, args.interval)
    prober.join()
    time.sleep(min(DRAIN_TIMEOUT_S, 3.0))  # the last event reaches the slowest streams
    stop.set()
    per_stream = [stream for _ in procs for stream in results.get(timeout=DRAIN_TIMEOUT_S)]
    for proc in procs:
        proc.join(30)
    return {
        "streams_asked": args.streams,
        "streams_open": opened,
        "events": args.events,
        "interval_s": args.interval,
        "committed_to_received": latencies(stamps, per_stream),
        "memory": memory_per_stream(stack, before, with_streams, opened),
        "get_sessions": {"no_streams": baseline, "while_streaming": probed},
        "load_average_1m": {"before_events": round(load_before, 1), "after": round(os.getloadavg()[0], 1)},
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--streams", type=int, default=500, help="open streams")
    parser.add_argument("--clients", type=int, default=4, help="client processes holding them")
    parser.add_argument("--events", type=int, default=20, help="events committed, one by one")
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between two events")
    parser.add_argument("--probe-seconds", type=float, default=5, help="baseline probing time")
    parser.add_argument("--redis-db", type=int, default=8, help="the Redis database the stack uses (flushed)")
    args = parser.parse_args()
    # Each stream is a socket here and one in the server (a process of its own, same limit).
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 4 * args.streams + 256)), hard))
    with Stack(redis_db=args.redis_db, engine_workers=0, web_as_make_run=True) as stack:
        result = run(stack, args)
    emit({"benchmark": "stream", "web_server": "scripts/serve.sh web (as make run)", **result}, "stream")


if __name__ == "__main__":
    main()
