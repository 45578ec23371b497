"""Reads recent records from the JSON log file (settings.LOG_DIR/yesapp.log), newest first.

The file can be large and is rotated by RotatingFileHandler, so reading is bounded: blocks
are read backwards from the end of the current file, then of `yesapp.log.1`, until enough
records match or a byte budget is spent. A request never reads the whole log.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

LOG_FILE_NAME = "yesapp.log"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
MAX_LIMIT = 1000
# Bytes read at most per request, across the current file and the previous one.
READ_BUDGET_BYTES = 4 * 1024 * 1024
_BLOCK_BYTES = 64 * 1024
# The first-start key is logged once as "API Key: <key>" so the operator can copy it from
# the terminal; the logs view and API never repeat it.
_PRINTED_KEY = re.compile(r"(API Key:\s*)([0-9a-fA-F]{8})[0-9a-fA-F]{8,}")
# Fields shown as columns; everything else is kept under `extra`.
_BASE_FIELDS = ("timestamp", "level", "logger", "message", "request_id")


@dataclass(frozen=True)
class LogRecord:
    timestamp: str
    level: str
    logger: str
    message: str
    request_id: str
    extra: dict

    def as_dict(self) -> dict:
        return {
            "timestamp": self.timestamp,
            "level": self.level,
            "logger": self.logger,
            "message": self.message,
            "requestId": self.request_id,
            "extra": self.extra,
        }


def level_number(name: str) -> int:
    return logging.getLevelName(name.upper()) if name.upper() in LEVELS else logging.NOTSET


def _lines_backwards(path: Path, budget: list[int]) -> Iterator[bytes]:
    """Complete lines of `path`, last first, reading at most `budget[0]` bytes (shared)."""
    try:
        handle = path.open("rb")
    except OSError:
        return
    with handle:
        position = handle.seek(0, os.SEEK_END)
        tail = b""
        while position > 0 and budget[0] > 0:
            size = min(_BLOCK_BYTES, position, budget[0])
            position -= size
            budget[0] -= size
            handle.seek(position)
            chunk = handle.read(size) + tail
            lines = chunk.split(b"\n")
            # The first piece may be the end of a line that starts in an earlier block.
            tail = lines.pop(0)
            for line in reversed(lines):
                if line.strip():
                    yield line
        if position == 0 and tail.strip():
            yield tail


def _parse(line: bytes) -> LogRecord | None:
    try:
        data = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        return None  # a line cut by rotation or written by something else
    if not isinstance(data, dict):
        return None
    message = _PRINTED_KEY.sub(lambda m: f"{m.group(1)}{m.group(2)}… (hidden)", str(data.get("message", "")))
    extra = {k: v for k, v in data.items() if k not in _BASE_FIELDS}
    if "exc_info" in extra and isinstance(extra["exc_info"], str):
        extra["exc_info"] = _PRINTED_KEY.sub(r"\1\2… (hidden)", extra["exc_info"])
    return LogRecord(
        timestamp=str(data.get("timestamp", "")),
        level=str(data.get("level", "")).upper(),
        logger=str(data.get("logger", "")),
        message=message,
        request_id=str(data.get("request_id", "")),
        extra=extra,
    )


def log_records(*, level: str = "", limit: int = 100, log_dir: Path | None = None) -> list[LogRecord]:
    """Up to `limit` records at `level` or above (all levels when empty), newest first."""
    limit = max(1, min(int(limit), MAX_LIMIT))
    minimum = level_number(level) if level else logging.NOTSET
    # A cheap bytes test before parsing: most lines of a busy log are INFO access lines, and
    # json.loads on each would dominate the read. False positives are parsed and dropped.
    wanted = [f'"{name}"'.encode() for name in LEVELS if level_number(name) >= minimum] if minimum else []
    directory = Path(log_dir or settings.LOG_DIR)
    budget = [READ_BUDGET_BYTES]
    found: list[LogRecord] = []
    for path in (directory / LOG_FILE_NAME, directory / f"{LOG_FILE_NAME}.1"):
        for line in _lines_backwards(path, budget):
            if wanted and not any(tag in line for tag in wanted):
                continue
            record = _parse(line)
            if record is None or level_number(record.level) < minimum:
                continue
            found.append(record)
            if len(found) >= limit:
                return found
        if budget[0] <= 0:
            break
    return found
