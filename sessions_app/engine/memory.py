"""How much memory each session's browser uses, as its engine node last measured it.

WhatsApp Web grows as it keeps the chats it has seen (docs/PERFORMANCE.md, soak): operators
need to see it per session. The node that runs a session measures its browser's process tree
(PSS: pages shared between browsers are split between them) and keeps the figure in Redis
for a few scans, so any web process can show it; a session no node runs has no figure.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from django.conf import settings

from yesapp.redis import get_redis

MEMORY_KEY = "yesapp:session:{session_id}:browser_memory"


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
    """Stores each session's figure until a few scans from now (then it is stale)."""
    ttl = max(60, int(settings.ENGINE_SCAN_INTERVAL * 6))
    pipe = get_redis().pipeline(transaction=False)
    for session_id, size in figures.items():
        pipe.set(MEMORY_KEY.format(session_id=session_id), size, ex=ttl)
    pipe.execute()


def browser_memory_of(session_ids: Iterable) -> dict[str, int]:
    """The last figure of each running session among `session_ids`, in bytes."""
    ids = [str(session_id) for session_id in session_ids]
    if not ids:
        return {}
    values = get_redis().mget([MEMORY_KEY.format(session_id=session_id) for session_id in ids])
    return {session_id: int(value) for session_id, value in zip(ids, values, strict=True) if value}


def browser_memory_all() -> dict[str, int]:
    """Every running session's last figure, in bytes."""
    prefix, suffix = MEMORY_KEY.split("{session_id}")
    redis = get_redis()
    keys = list(redis.scan_iter(match=f"{prefix}*{suffix}", count=500))
    values = redis.mget(keys) if keys else []
    return {
        key.decode()[len(prefix) : -len(suffix)]: int(value)
        for key, value in zip(keys, values, strict=True)
        if value
    }
