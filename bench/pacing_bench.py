"""Pacing benchmark: S sandbox sessions each sending N queued short texts, under the sending
policy `off` and then `natural`, at the default rate limit (RATE_LIMIT_PER_MINUTE=50).

For each preset, the messages are all queued first (quiet hours hold them) and then released at
once, so what is measured is the sending, not how fast this client posts. Then: the gaps between
a session's consecutive sends (from `sentAt`), the "typing…" each contact's phone saw (the
sandbox's chat timeline), the throughput per session, and the CPU the engine node spent (worker
+ browsers) as a ratio to its Chromium processes alone ("bare Chromium"), and to the same
sessions idle. Each contact writes first, so each chat exists and typing can show at once.

`schedule` gives the same from what the schedule asked for rather than when messages went, as
this machine's load makes the sends late: each message's planned time is the `notBefore` of the
last wait event (`message.status`, status `queued`) the event log holds for it; `scheduled_gap_s`
is the planned time less the previous message's `sentAt`, `late_s` is `sentAt` less the planned
time, and `per_minute_per_session` is computed as above on the planned times. It also counts the
wait events (how many per message, by `waitingFor`), which webhooks receive too.

    python -m bench.pacing_bench                          # 10 sessions x 100 messages
    python -m bench.pacing_bench --sessions 2 --messages 20 --redis-db 8
"""

import argparse
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from bench.harness import Stack, browser_pids, cpu_seconds, emit, tree
from bench.messaging_bench import link_sessions, parse_time
from bench.sessions_bench import percentile

CONTACT = "+33698765432"
CHAT = "33698765432@c.us"
# Short texts, 5 to 12 characters with their number: what a quick chat reply looks like, and the
# case where pacing must still let the rate limit's 50 a minute through.
TEXTS = ("Hi!", "Sure", "Thanks!", "On my way", "OK", "Got it")


def distribution(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "min": round(min(values), 3),
        "p50": percentile(values, 50),
        "p90": percentile(values, 90),
        "max": round(max(values), 3),
        "mean": round(statistics.fmean(values), 3),
    }


def cpu_of(pids: list[int]) -> float:
    return sum(cpu_seconds(pid) for pid in pids)


def sent_times(stack: Stack, session_id: str, since: float) -> list[float]:
    body = stack.get(
        f"/api/v1/sessions/{session_id}/messages", params={"limit": 500, "direction": "outbound"}
    ).json()
    times = [parse_time(m["sentAt"]) for m in body["items"] if m["sentAt"]]
    return sorted(t for t in times if t >= since)


def sent_at(stack: Stack, session_id: str, since: float) -> dict[str, float]:
    """messageId → sentAt of the session's messages sent since `since`."""
    body = stack.get(
        f"/api/v1/sessions/{session_id}/messages", params={"limit": 500, "direction": "outbound"}
    ).json()
    times = {m["messageId"]: parse_time(m["sentAt"]) for m in body["items"] if m["sentAt"]}
    return {mid: t for mid, t in times.items() if t >= since}


def status_events(stack: Stack, session_id: str, since: float) -> list[dict]:
    """The session's `message.status` events logged since `since`, oldest first (their `data`)."""
    found, after = [], 0
    while True:
        params = {"session": session_id, "types": "message.status", "after": after, "limit": 500}
        page = stack.get("/api/v1/events", params=params).json()["items"]
        found += [item["data"] for item in page if parse_time(item["createdAt"]) >= since]
        if len(page) < 500:
            return found
        after = page[-1]["id"]


def schedule_figures(stack: Stack, session_id: str, since: float, released: float) -> dict:
    """What the schedule asked for, from the wait events (docs/WEBHOOKS.md, "Waits"): a message's
    planned time is the `notBefore` of the last wait announced for it (none: it was due at once).
    `scheduled_gap` is planned − the previous message's sentAt (what the policy asked for once the
    previous one was out: under `natural` mostly its typing); `late` is sentAt − planned (the
    actor's lateness and the send's own time in the page); `rate` is a session's messages a
    minute from first to last planned time. Only the waits after `released` count (not the quiet hours that
    held the queue while it was filled). Also the wait events a message got, by kind."""
    went = sent_at(stack, session_id, since)
    planned: dict[str, float] = {}
    kinds: dict[str, int] = {}
    for data in status_events(stack, session_id, released):
        if data["messageId"] in went and data.get("waitingFor"):
            planned[data["messageId"]] = parse_time(data["notBefore"])
            kinds[data["waitingFor"]] = kinds.get(data["waitingFor"], 0) + 1
    order = sorted(went, key=went.get)
    gaps = [planned.get(mid, went[mid]) - went[prev] for prev, mid in zip(order, order[1:], strict=False)]
    late = [went[mid] - planned[mid] for mid in order if mid in planned]
    plan = sorted(planned.get(mid, went[mid]) for mid in order)
    rate = (len(plan) - 1) / (plan[-1] - plan[0]) * 60 if len(plan) > 1 and plan[-1] > plan[0] else 0
    return {"gaps": gaps, "late": late, "kinds": kinds, "waited": len(planned), "rate": rate}


def typing_seen(stack: Stack, session_id: str, since: float) -> list[float]:
    timeline = stack.get(f"/api/v1/sandbox/sessions/{session_id}/chats/{CHAT}").json()["timeline"]
    return [
        e["seconds"]
        for e in timeline
        if e["kind"] == "typing" and e["seconds"] is not None and parse_time(e["at"]) >= since
    ]


def hold_now() -> dict:
    """Quiet hours around now: the session queues what it is given and sends nothing."""
    now = datetime.now(UTC)
    start, end = now - timedelta(hours=1), now + timedelta(hours=1)
    return {"start": f"{start:%H:%M}", "end": f"{end:%H:%M}", "timeZone": "UTC"}


def queue_all(stack: Stack, ids: list[str], preset: str, messages: int) -> None:
    """Every session's messages queued while quiet hours hold them, one client thread per session
    (in order within it). Setting the policy to `preset` alone then releases them all."""
    policy = "/api/v1/sessions/{}/sending-policy"
    for sid in ids:
        stack.put(policy.format(sid), {"preset": preset, "quietHours": hold_now()}).raise_for_status()

    def post(sid: str) -> None:
        for n in range(messages):
            body = {"to": CONTACT, "text": f"{TEXTS[n % len(TEXTS)]} {n}", "queue": True}
            stack.post(f"/api/v1/sessions/{sid}/messages", body).raise_for_status()

    with ThreadPoolExecutor(len(ids)) as pool:
        list(pool.map(post, ids))


def sent_figures(stack: Stack, ids: list[str], messages: int, started: float, released: float) -> dict:
    """Per preset: when messages went (sentAt, the contacts' phones) and what the schedule asked."""
    gaps, typing, rates = [], [], []
    planned_gaps, late, planned_rates, kinds, waited = [], [], [], {}, 0
    for sid in ids:
        times = sent_times(stack, sid, started)
        gaps += [b - a for a, b in zip(times, times[1:], strict=False)]
        rates.append((len(times) - 1) / (times[-1] - times[0]) * 60 if len(times) > 1 else 0)
        typing += typing_seen(stack, sid, started)
        plan = schedule_figures(stack, sid, started, released)
        planned_gaps += plan["gaps"]
        late += plan["late"]
        planned_rates.append(plan["rate"])
        waited += plan["waited"]
        for kind, n in plan["kinds"].items():
            kinds[kind] = kinds.get(kind, 0) + n
    return {
        "per_minute_per_session": distribution(rates),
        "gap_s": distribution(gaps),
        "typing_s": distribution(typing),
        # From the schedule (the wait events' notBefore), not the machine's lateness:
        "schedule": {
            "per_minute_per_session": distribution(planned_rates),
            "scheduled_gap_s": distribution(planned_gaps),
            "late_s": distribution(late),
            "messages_that_waited": waited,
            "wait_events_by_kind": kinds,
            "wait_events_per_message": round(sum(kinds.values()) / (len(ids) * messages), 2),
        },
    }


def run_preset(stack: Stack, ids: list[str], preset: str, messages: int, browsers: list[int]) -> dict:
    started = time.time()
    # Queued first, sent after: the figures are the sending's, not how fast this client posts.
    queue_all(stack, ids, preset, messages)
    engine = tree(stack.procs["engine0"].pid)
    cpu_before, browsers_before = cpu_of(engine), cpu_of(browsers)
    t0, released = time.monotonic(), time.time()
    for sid in ids:
        stack.put(f"/api/v1/sessions/{sid}/sending-policy", {"preset": preset}).raise_for_status()

    def done() -> bool:
        return all(len(sent_times(stack, sid, started)) >= messages for sid in ids)

    stack.wait(done, 60 * (messages / 20 + 2), f"{preset}: every message sent", interval=2)
    elapsed = time.monotonic() - t0
    engine_cpu = cpu_of(tree(stack.procs["engine0"].pid)) - cpu_before
    browser_cpu = cpu_of(browsers) - browsers_before
    return {
        "preset": preset,
        "messages_per_session": messages,
        "seconds_to_send_all": round(elapsed, 1),
        **sent_figures(stack, ids, messages, started, released),
        "engine_cpu_pct": round(engine_cpu / elapsed * 100, 1),
        "cpu_ratio_to_bare_chromium": round(engine_cpu / browser_cpu, 2) if browser_cpu else None,
    }


def run(sessions: int, messages: int, redis_db: int) -> dict:
    env = {"ENGINE_MAX_SESSIONS": str(max(10, sessions)), "QUEUE_MAX": "100000"}
    with Stack(redis_db=redis_db, env=env) as stack:
        ids = link_sessions(stack, sessions)
        for sid in ids:
            stack.post(f"/api/v1/sandbox/sessions/{sid}/inbound", {"from": CONTACT, "text": "Hello?"})
        time.sleep(5)  # the inbound messages stored, the pages settled
        browsers = [pid for sid in ids for pid in browser_pids(stack.tmp, sid)]
        engine = tree(stack.procs["engine0"].pid)
        before, browsers_before = cpu_of(engine), cpu_of(browsers)
        time.sleep(10)
        idle = {
            "engine_cpu_pct": round((cpu_of(engine) - before) / 10 * 100, 1),
            "cpu_ratio_to_bare_chromium": round(
                (cpu_of(engine) - before) / max(cpu_of(browsers) - browsers_before, 1e-6), 2
            ),
        }
        results = [run_preset(stack, ids, "off", messages, browsers)]
        time.sleep(61)  # the previous preset's sends leave the rolling minute
        results.append(run_preset(stack, ids, "natural", messages, browsers))
        return {
            "sessions": sessions,
            "rate_limit_per_minute": 50,
            "idle": idle,
            "presets": results,
        }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--messages", type=int, default=100)
    parser.add_argument("--redis-db", type=int, default=8)
    args = parser.parse_args()
    emit(run(args.sessions, args.messages, args.redis_db), "pacing")


if __name__ == "__main__":
    main()
