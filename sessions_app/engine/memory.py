"""How much memory each session's browser uses, as its engine node last measured it.

WhatsApp Web grows as it keeps the chats it has seen (docs/PERFORMANCE.md, soak): operators
need to see it per session. The node that runs a session measures its browser's process tree
(PSS: pages shared between browsers are split between them) into Redis, where any web
process reads it; a figure no node has renewed for a few scans is stale and not shown. Beside
it, the page's JS heap (used bytes, `Performance.getMetrics` over the engine's DevTools
connection), which tells a page that keeps what it has seen from a browser growing by itself.

A session above ENGINE_SESSION_MEMORY_MAX has its browser recycled (engine/recycle.py).
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
HEAP_KEY = "yesapp:browser_js_heap"  # the same, for the page's JS heap (used bytes)


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


def memory_cap_bytes() -> int:
    """ENGINE_SESSION_MEMORY_MAX (MB) in bytes; 0 when no cap is set."""
    return max(0, int(settings.ENGINE_SESSION_MEMORY_MAX)) << 20


def browser_memory_report(figures: dict[str, int], heaps: dict[str, int] | None = None) -> None:
    """Stores each session's figures (PSS; JS heap when read); they count until a few scans
    from now (then they are stale)."""
    now = int(time.time())
    for key, values in ((MEMORY_KEY, figures), (HEAP_KEY, heaps or {})):
        if values:
            get_redis().hset(key, mapping={sid: f"{size} {now}" for sid, size in values.items()})


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


def browser_memory_all(key: str = MEMORY_KEY) -> dict[str, int]:
    """Every running session's last figure, in bytes; stale ones are dropped from Redis.
    `key`: HEAP_KEY for the pages' JS heaps."""
    redis, now = get_redis(), time.time()
    figures = {sid.decode(): _fresh(value, now) for sid, value in redis.hgetall(key).items()}
    if stale := [sid for sid, size in figures.items() if size is None]:
        redis.hdel(key, *stale)
    return {sid: size for sid, size in figures.items() if size is not None}


def js_heap_all() -> dict[str, int]:
    """Every running session's last JS heap figure (used bytes)."""
    return browser_memory_all(HEAP_KEY)
