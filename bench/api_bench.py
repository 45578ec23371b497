"""API benchmark: requests/s and latency of `POST .../messages` and `GET .../messages` on
gunicorn, loaded by wrk on loopback (bounded in time; stops by itself). wrk is installed by
scripts/install-bench-tools.sh (`make bench` runs it); Python client threads on 2 cores were
themselves the bottleneck.

    python -m bench.api_bench                      # 2 wrk threads, 8 connections, 20 s per endpoint
    python -m bench.api_bench --connections 16 --seconds 30
    python -m bench.api_bench --sessions 10        # POSTs spread over 10 connected sandbox sessions
    python -m bench.api_bench --database-url postgres://postgres@127.0.0.1:5432/yesapp_bench

With `--sessions N`, the POSTs go to N connected sandbox sessions in turn while their engine
sends what is accepted (sending policy `off`: as fast as the engine goes), so the API's writes
meet the engine's (`sent` updates, events) as in production. `--database-url` runs the stack on
that database instead of a fresh SQLite file: a database of the benchmark's own, which it
empties first (`manage.py flush`).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from urllib.parse import urlsplit

from bench.harness import Stack, emit
from bench.messaging_bench import link_sessions

# Latency above wrk's --timeout is left out of its histogram (counted as a timeout instead), so
# the timeout is set well above any tail we expect, or p99 would be cut off.
TIMEOUT_S = 30
# More unexpected answers than this and the run measured errors, not the API.
MAX_UNEXPECTED = 0.01

# Each wrk thread counts the statuses it sees; `done` adds them up (wrk's own errors.status
# counts only >= 400) and prints everything as one JSON line after wrk's own report.
REPORT_LUA = """
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      counts[status] = (counts[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(counts) do
    table.insert(parts, string.format('"%d": %d', status, n))
  end
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, '
      .. '"statuses": {%s}, "errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, table.concat(parts, ", "),
    e.connect, e.read, e.write, e.timeout))
end
"""


def lua_string(value: str) -> str:
    assert "]==]" not in value
    return f"[==[{value}]==]"


def wrk_version() -> str:
    # `wrk -v` prints its version and usage, and exits 1.
    run = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    return (run.stdout or run.stderr).splitlines()[0].split(" Copyright")[0].strip()


def wrk_script(stack: Stack, body: dict | None, paths: list[str] | None = None) -> tuple[str, str, list[str]]:
    """wrk's method, Lua script and extra headers: POST `body` as JSON, or GET without one.
    With `paths`, each request goes to the next of them in turn (one per session)."""
    if body is None:
        return "GET", REPORT_LUA, ["-H", f"X-API-Key: {stack.key}"]
    script = REPORT_LUA + (
        'wrk.method = "POST"\n'
        f"wrk.body = {lua_string(json.dumps(body))}\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["X-API-Key"] = {lua_string(stack.key)}\n'
    )
    if paths and len(paths) > 1:
        listed = ", ".join(lua_string(path) for path in paths)
        script += (
            f"local paths = {{{listed}}}\n"
            "local turn = math.random(#paths)\n"
            "function request()\n"
            "  turn = turn % #paths + 1\n"
            "  return wrk.format(nil, paths[turn])\n"
            "end\n"
        )
    return "POST", script, []


def run_wrk(stack: Stack, path: str, script: str, headers: list[str], *, threads, connections, seconds):
    with tempfile.NamedTemporaryFile("w", suffix=".lua", prefix="api-bench-", dir=stack.tmp) as lua:
        lua.write(script)
        lua.flush()
        command = [
            "wrk",
            "--latency",
            "--threads",
            str(threads),
            "--connections",
            str(connections),
            "--duration",
            f"{seconds}s",
            "--timeout",
            f"{TIMEOUT_S}s",
            "--script",
            lua.name,
            *headers,
            stack.url + path,
        ]
        return subprocess.run(command, capture_output=True, text=True, timeout=seconds + TIMEOUT_S + 60)


def figures(raw: dict) -> dict:
    """The report's figures from wrk's JSON line (REPORT_LUA)."""
    statuses = {int(status): n for status, n in sorted(raw["statuses"].items())}
    return {
        "requests": raw["requests"],
        "requests_per_s": round(raw["requests"] / (raw["duration_us"] / 1e6), 1),
        "p50_ms": round(raw["p50_us"] / 1000, 3),
        "p90_ms": round(raw["p90_us"] / 1000, 3),
        "p99_ms": round(raw["p99_us"] / 1000, 3),
        "max_ms": round(raw["max_us"] / 1000, 3),
        "statuses": statuses,
        "non_2xx": sum(n for status, n in statuses.items() if not 200 <= status < 300),
        "socket_errors": raw["errors"],
    }


def load(
    stack: Stack,
    path: str,
    *,
    body: dict | None,
    expected: int,
    threads: int,
    connections: int,
    seconds: int,
    paths: list[str] | None = None,
) -> dict:
    """Runs wrk against one endpoint (POST `body` as JSON, or GET without one; POSTs spread
    over `paths` when given) and returns its figures; exits if more than 1 % of the answers are
    not `expected` (a load run full of 4xx would measure nothing)."""
    method, script, headers = wrk_script(stack, body, paths)
    run = run_wrk(stack, path, script, headers, threads=threads, connections=connections, seconds=seconds)
    report = next((line for line in reversed(run.stdout.splitlines()) if line.startswith("{")), None)
    if run.returncode or report is None:
        sys.exit(f"wrk failed on {method} {path} (exit {run.returncode}):\n{run.stdout}{run.stderr}")
    result = figures(json.loads(report))
    answered = sum(result["statuses"].values())
    tried = answered + sum(result["socket_errors"].values())
    unexpected = tried - result["statuses"].get(expected, 0)
    if not answered or unexpected > MAX_UNEXPECTED * tried:
        sys.exit(
            f"{method} {path}: {unexpected} of {tried} requests were not answered {expected} "
            f"(more than {MAX_UNEXPECTED:.0%}); the figures would measure errors:\n"
            + json.dumps(result, indent=2)
        )
    return result


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections kept open")
    parser.add_argument("--seconds", type=int, default=20, help="wrk duration per endpoint")
    parser.add_argument("--sessions", type=int, default=1, help="connected sandbox sessions the POSTs go to")
    parser.add_argument(
        "--database-url", default="", help="run on this database (emptied first) instead of SQLite"
    )
    parser.add_argument("--redis-db", type=int, default=8, help="the stack's Redis database")
    args = parser.parse_args()
    if args.connections < args.threads:
        parser.error("--connections must be at least --threads (each wrk thread needs one)")
    if args.sessions < 1:
        parser.error("--sessions must be at least 1")
    return args


def stack_env(args: argparse.Namespace) -> dict:
    # Accepting is what is measured: the queue may grow. The sessions send what is accepted as
    # fast as their engine goes (policy `off`, no rate limit).
    env = {
        "QUEUE_MAX": "1000000",
        "RATE_LIMIT_PER_MINUTE": "0",
        "SENDING_POLICY_DEFAULT_PRESET": "off",
        "ENGINE_MAX_SESSIONS": str(max(10, args.sessions)),
    }
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    return env


def database_name(url: str) -> str:
    """The database's kind and name, without its credentials."""
    if not url:
        return "sqlite"
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}:{parts.port or ''}{parts.path}"


def sent_count(stack: Stack, session_ids: list[str]) -> int:
    """Messages the sessions' engine has sent so far (`sent` or beyond, as the API lists them)."""
    total = 0
    for session_id in session_ids:
        for status in ("sent", "delivered", "read"):
            page = stack.get(f"/api/v1/sessions/{session_id}/messages", params={"status": status, "limit": 1})
            total += page.json().get("total", 0) if page.ok else 0
    return total


def measure(stack: Stack, args: argparse.Namespace) -> dict:
    if args.database_url:
        stack.manage("flush", "--noinput")  # a database of the benchmark's own, emptied first
        stack.key = stack.manage("createapikey", "--name", "bench").split("API Key:", 1)[1].split()[0]
    ids = link_sessions(stack, args.sessions)
    paths = [f"/api/v1/sessions/{session_id}/messages" for session_id in ids]
    knobs = {"threads": args.threads, "connections": args.connections, "seconds": args.seconds}
    body = {"to": "+33698765432", "text": "load"}
    post = load(stack, paths[0], body=body, expected=202, paths=paths, **knobs)
    sent_during_post = sent_count(stack, ids)
    get = load(stack, paths[0] + "?limit=50", body=None, expected=200, **knobs)
    return {
        "post_messages": post,
        "get_messages": get,
        "sessions": {"count": args.sessions, "sent_when_post_ended": sent_during_post},
    }


def main() -> None:
    args = parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: run scripts/install-bench-tools.sh (make bench does it)")
    settings = {
        "version": wrk_version(),
        "threads": args.threads,
        "connections": args.connections,
        "seconds_per_endpoint": args.seconds,
        "timeout_s": TIMEOUT_S,
    }
    started = time.monotonic()
    with Stack(redis_db=args.redis_db, env=stack_env(args)) as stack:
        figures_ = measure(stack, args)
    emit(
        {
            "benchmark": "api",
            "load_tool": "wrk",
            "wrk": settings,
            "database": database_name(args.database_url),
            **figures_,
            "load_average_1m_at_end": round(os.getloadavg()[0], 2),
            "wall_s": round(time.monotonic() - started, 1),
        },
        "api",
    )


if __name__ == "__main__":
    main()
