"""How much memory each session's browser uses, as its engine node last measured it.

WhatsApp Web grows as it keeps the chats it has seen (docs/PERFORMANCE.md, soak): operators
need to see it per session. The node that runs a session measures its browser's process tree
(PSS: pages shared between browsers are split between them) into Redis, where any web
process reads it; a figure no node has renewed for a few scans is stale and not shown.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings

from yesapp.redis import get_redis

# One hash for all sessions, {session id: "<bytes> <unix time measured>"}: reading every
# figure is one call, not a scan of the database.
MEMORY_KEY = "yesapp:browser_memory"


def _stale_after() -> float:
    return max(60.0, settings.ENGINE_SCAN_INTERVAL * 6)


def pss_bytes(pids: Iterable[int]) -> int:
    """The processes' proportional set size, in bytes (a process that is gone counts 0)."""
    total_kb = 0
    for pid in pids:
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        for line in rollup.splitlines():
            if line.startswith("Pss:"):
                total_kb += int(line.split()[1])
                break
    return total_kb * 1024


def browser_memory_report(figures: dict[str, int]) -> None:
    """Stores each session's figure; it counts until a few scans from now (then it is stale)."""
    if figures:
        now = int(time.time())
        get_redis().hset(MEMORY_KEY, mapping={sid: f"{size} {now}" for sid, size in figures.items()})


def _fresh(value: bytes | None, now: float) -> int | None:
    if not value:
        return None
    size, measured_at = value.split()
    return int(size) if now - int(measured_at) <= _stale_after() else None


def browser_memory_of(session_ids: Iterable) -> dict[str, int]:
    """The last figure of each running session among `session_ids`, in bytes."""
    ids = [str(session_id) for session_id in session_ids]
    if not ids:
        return {}
    now = time.time()
    values = get_redis().hmget(MEMORY_KEY, ids)
    figures = {sid: _fresh(value, now) for sid, value in zip(ids, values, strict=True)}
    return {sid: size for sid, size in figures.items() if size is not None}


def browser_memory_all() -> dict[str, int]:
    """Every running session's last figure, in bytes; stale ones are dropped from Redis."""
    redis, now = get_redis(), time.time()
    figures = {sid.decode(): _fresh(value, now) for sid, value in redis.hgetall(MEMORY_KEY).items()}
    if stale := [sid for sid, size in figures.items() if size is None]:
        redis.hdel(MEMORY_KEY, *stale)
    return {sid: size for sid, size in figures.items() if size is not None}
