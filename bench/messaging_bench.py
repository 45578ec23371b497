"""Messaging benchmark: S sandbox sessions each sending R messages per minute for M minutes
(rate limit raised), plus one inbound message per session every few seconds.

Prints: accepted and sent per minute per session, p50/p99 from API accept to `sent`,
p50/p99 from a sandbox inbound to the row in the database, API accept latency p50/p99
under that load, and the engine worker's memory.

    python -m bench.messaging_bench                       # 10 sessions, 100/min, 3 min
    python -m bench.messaging_bench --sessions 2 --minutes 1
"""

import argparse
import threading
import time
from datetime import datetime

from bench.harness import Stack, emit, pss_kb, tree
from bench.sessions_bench import percentile


def parse_time(value: str | None) -> float | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() if value else None


def link_sessions(stack: Stack, count: int) -> list[str]:
    ids = []
    for i in range(count):
        response = stack.post("/api/v1/sessions", {"name": f"msg-{i}", "sandbox": True})
        response.raise_for_status()
        ids.append(response.json()["id"])
    for i, session_id in enumerate(ids):
        stack.wait(lambda sid=session_id: stack.status(sid) == "qr", 180, "qr")
        stack.post(f"/api/v1/sandbox/sessions/{session_id}/link", {"phone": f"+3361234{i:04d}"})
    for session_id in ids:
        stack.wait(lambda sid=session_id: stack.status(sid) == "connected", 120, "connected")
    return ids


def sender(stack: Stack, session_id: str, per_minute: int, seconds: float, out: dict) -> None:
    interval = 60.0 / per_minute
    start = time.monotonic()
    n = 0
    while time.monotonic() - start < seconds:
        t0 = time.monotonic()
        response = stack.post(
            f"/api/v1/sessions/{session_id}/messages", {"to": "+33698765432", "text": f"bench {n}"}
        )
        out["accept_ms"].append((time.monotonic() - t0) * 1000)
        if response.status_code == 202:
            out["accepted"].append(response.json()["messageId"])
        else:
            out["rejected"] += 1
        n += 1
        time.sleep(max(0.0, start + n * interval - time.monotonic()))


def inbound(stack: Stack, session_id: str, every: float, seconds: float, out: dict) -> None:
    start = time.monotonic()
    n = 0
    while time.monotonic() - start < seconds:
        text = f"in {session_id[:8]} {n}"
        t0 = time.time()
        stack.post(f"/api/v1/sandbox/sessions/{session_id}/inbound", {"from": "+33698765432", "text": text})
        out["inbound"][text] = t0
        n += 1
        time.sleep(every)


def drive_load(stack: Stack, ids: list[str], per_minute: int, seconds: float) -> dict:
    """Senders and inbound contacts on every session for `seconds`; what each one saw."""
    results = {sid: {"accept_ms": [], "accepted": [], "rejected": 0, "inbound": {}} for sid in ids}
    threads = [
        threading.Thread(target=sender, args=(stack, sid, per_minute, seconds, results[sid])) for sid in ids
    ]
    threads += [
        threading.Thread(target=inbound, args=(stack, sid, 5.0, seconds, results[sid])) for sid in ids
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def outbound_sent_latencies(stack: Stack, session_id: str, accept_to_sent: list[float]) -> int:
    """Pages through the session's outbound messages; appends accept-to-sent ms; returns how many
    were sent."""
    url = f"/api/v1/sessions/{session_id}/messages"
    page = stack.get(url, params={"limit": 500, "direction": "outbound"})
    sent = 0
    offset = 0
    while True:
        body = page.json()
        for msg in body["items"]:
            created, sent_at = parse_time(msg["createdAt"]), parse_time(msg["sentAt"])
            if sent_at:
                sent += 1
                accept_to_sent.append((sent_at - created) * 1000)
        offset += len(body["items"])
        if offset >= body["total"] or not body["items"]:
            return sent
        page = stack.get(url, params={"limit": 500, "offset": offset, "direction": "outbound"})


def inbound_row_latencies(stack: Stack, session_id: str, inbound_sent: dict[str, float]) -> list[float]:
    rows = stack.get(
        f"/api/v1/sessions/{session_id}/messages", params={"limit": 500, "direction": "inbound"}
    ).json()
    return [
        (parse_time(msg["createdAt"]) - inbound_sent[msg["text"]]) * 1000
        for msg in rows["items"]
        if inbound_sent.get(msg["text"])
    ]


def run(sessions: int, per_minute: int, minutes: float) -> dict:
    env = {"RATE_LIMIT_PER_MINUTE": "0", "QUEUE_MAX": "100000", "ENGINE_MAX_SESSIONS": str(max(10, sessions))}
    with Stack(redis_db=8, env=env) as stack:
        ids = link_sessions(stack, sessions)
        results = drive_load(stack, ids, per_minute, minutes * 60)
        time.sleep(10)  # let the tail of the queue drain
        accept_to_sent, inbound_to_row, sent_counts = [], [], []
        for sid in ids:
            sent_counts.append(outbound_sent_latencies(stack, sid, accept_to_sent))
            inbound_to_row += inbound_row_latencies(stack, sid, results[sid]["inbound"])
        accept_ms = [ms for r in results.values() for ms in r["accept_ms"]]
        engine_pid = stack.procs["engine0"].pid
        return {
            "sessions": sessions,
            "target_per_minute_per_session": per_minute,
            "minutes": minutes,
            "accepted_per_minute_per_session": round(
                sum(len(r["accepted"]) for r in results.values()) / sessions / minutes, 1
            ),
            "sent_per_minute_per_session": round(sum(sent_counts) / sessions / minutes, 1),
            "rejected": sum(r["rejected"] for r in results.values()),
            "accept_to_sent_ms": {
                "p50": percentile(accept_to_sent, 50),
                "p99": percentile(accept_to_sent, 99),
            },
            "inbound_to_db_ms": {
                "p50": percentile(inbound_to_row, 50),
                "p99": percentile(inbound_to_row, 99),
                "count": len(inbound_to_row),
            },
            "api_accept_latency_ms": {"p50": percentile(accept_ms, 50), "p99": percentile(accept_ms, 99)},
            "engine_worker_mb": round(pss_kb(engine_pid) / 1024, 1),
            "engine_node_total_mb": round(sum(pss_kb(p) for p in tree(engine_pid)) / 1024, 1),
        }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--per-minute", type=int, default=100)
    parser.add_argument("--minutes", type=float, default=3)
    args = parser.parse_args()
    emit({"benchmark": "messaging", **run(args.sessions, args.per_minute, args.minutes)}, "messaging")


if __name__ == "__main__":
    main()
