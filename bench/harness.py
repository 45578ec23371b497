"""A private YesApp stack for benchmarks: its own data dir, SQLite file, Redis database and
ports, so a benchmark never touches a developer's data. Started and stopped by each bench."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pss_kb(pid: int) -> int:
    """Proportional set size: shared pages split between the processes that share them."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                todo.extend(int(p) for p in (task / "children").read_text().split())
            except (OSError, ValueError):
                pass
    return pids


def browser_pids(data_dir: Path, session_id: str) -> list[int]:
    marker = f"--user-data-dir={data_dir / 'sessions' / session_id / 'profile'}".encode()
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if marker in (proc / "cmdline").read_bytes():
                    found.append(int(proc.name))
            except OSError:
                pass
    return found


RUNNING_KEY = "yesapp:bench:running"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Stack:
    def __init__(
        self,
        *,
        redis_db: int = 8,
        engine_workers: int = 1,
        env: dict | None = None,
        web_as_make_run: bool = False,
    ):
        self.tmp = Path(tempfile.mkdtemp(prefix="yesapp-bench-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = dict(os.environ)
        self.env.update(
            DATA_DIR=str(self.tmp),
            REDIS_URL=f"redis://127.0.0.1:6379/{redis_db}",
            INTERNAL_BASE_URL=self.url,
            PUBLIC_URL=self.url,
            LOG_LEVEL="WARNING",
            PYTHONUNBUFFERED="1",
            ENGINE_SCAN_INTERVAL="0.5",
            # Benchmarks load the API with one key on purpose; a bench that measures the
            # per-key limit sets it again.
            API_RATE_LIMIT="0",
        )
        self.env.update(env or {})
        if not web_as_make_run:
            # Threaded WSGI: a sandbox page's long poll would hold a thread for its whole wait.
            self.env.setdefault("SANDBOX_LONG_POLL_SECONDS", "0")
        self.engine_workers = engine_workers
        # True: the web server exactly as `make run` and Docker start it (scripts/serve.sh web);
        # False: gunicorn with more threads, for the throughput benchmarks.
        self.web_as_make_run = web_as_make_run
        self.procs: dict[str, subprocess.Popen] = {}
        self.key = ""

    def manage(self, *args: str) -> str:
        return subprocess.run(
            [PYTHON, "manage.py", *args], cwd=ROOT, env=self.env, check=True, capture_output=True, text=True
        ).stdout

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        log = (self.tmp / f"{name}.log").open("ab")
        proc = subprocess.Popen(
            args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.procs[name] = proc
        return proc

    def start(self) -> Stack:
        self._claim_redis()
        try:
            return self._start_processes()
        except BaseException:
            self.stop()
            raise

    def _claim_redis(self) -> None:
        """Benchmarks share one Redis database: a second one started meanwhile would take over
        the first's queues and leases (and a soak's figures would be worthless)."""
        import redis

        client = redis.Redis.from_url(self.env["REDIS_URL"])
        db = client.connection_pool.connection_kwargs["db"]
        while not client.set(RUNNING_KEY, os.getpid(), nx=True):
            holder = client.get(RUNNING_KEY)
            if holder is not None and _alive(int(holder)):
                shutil.rmtree(self.tmp, ignore_errors=True)
                raise SystemExit(
                    f"Another benchmark (pid {int(holder)}) uses Redis DB {db}; wait for it to end."
                )
            # Its benchmark died without cleaning up (SIGKILL, OOM): the database is free.
            client.delete(RUNNING_KEY)
        for key in client.scan_iter(count=1000):
            if key != RUNNING_KEY.encode():
                client.delete(key)
        # A benchmark stopped with SIGTERM still stops its stack (and frees the database).
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    def _start_processes(self) -> Stack:
        self.manage("migrate", "--noinput")
        self.key = self.manage("createapikey", "--name", "bench").split("API Key:", 1)[1].split()[0]
        if self.web_as_make_run:
            self.env["PORT"] = str(self.port)
            self._spawn("web", [str(ROOT / "scripts" / "serve.sh"), "web"])
        else:
            self._spawn_gunicorn()
        for i in range(self.engine_workers):
            self.start_engine(f"engine{i}")
        self._spawn(
            "worker",
            [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "yesapp",
                "worker",
                "-n",
                "worker@%h",
                "-Q",
                "default,webhooks",
                "-c",
                "4",
                "--loglevel=WARNING",
            ],
        )
        self.wait(lambda: self.get("/health").ok, 30, "web server")
        return self

    def _spawn_gunicorn(self) -> subprocess.Popen:
        return self._spawn(
            "web",
            [
                PYTHON,
                "-m",
                "gunicorn",
                "yesapp.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "2",
                "--threads",
                "8",
                "--log-level",
                "warning",
            ],
        )

    def start_engine(self, name: str) -> subprocess.Popen:
        return self._spawn(
            name,
            [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "yesapp",
                "worker",
                "-n",
                f"{name}@%h",
                "-Q",
                "engine",
                "-P",
                "threads",
                "-c",
                "8",
                "--loglevel=WARNING",
            ],
        )

    def stop(self) -> None:
        for proc in self.procs.values():
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for proc in self.procs.values():
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        if keep := os.environ.get("BENCH_KEEP_LOGS"):  # a directory to copy the stack's logs to
            for log in self.tmp.glob("*.log"):
                shutil.copy(log, Path(keep) / log.name)
        shutil.rmtree(self.tmp, ignore_errors=True)
        import redis

        redis.Redis.from_url(self.env["REDIS_URL"]).flushdb()  # the RUNNING_KEY with the rest

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- HTTP --------------------------------------------------------------------------
    def headers(self) -> dict:
        return {"X-API-Key": self.key}

    def get(self, path: str, **kw) -> requests.Response:
        try:
            return requests.get(self.url + path, headers=self.headers(), timeout=10, **kw)
        except requests.RequestException as exc:
            response = requests.Response()
            response.status_code, response._content = 599, str(exc).encode()
            return response

    def post(self, path: str, body: dict | None = None) -> requests.Response:
        return requests.post(self.url + path, json=body or {}, headers=self.headers(), timeout=30)

    def put(self, path: str, body: dict) -> requests.Response:
        return requests.put(self.url + path, json=body, headers=self.headers(), timeout=30)

    @staticmethod
    def wait(predicate, timeout: float, what: str, interval: float = 0.05):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(interval)
        raise TimeoutError(f"timed out waiting for {what}")

    def status(self, session_id: str) -> str:
        return self.get(f"/api/v1/sessions/{session_id}").json().get("status", "")


def percentiles(values: list[float]) -> dict:
    """n, p50/p95/p99/max in milliseconds of durations in seconds."""
    ordered = sorted(values)

    def at(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000, 1)

    return {"n": len(ordered), "p50_ms": at(50), "p95_ms": at(95), "p99_ms": at(99), "max_ms": at(100)}


def emit(result: dict, name: str) -> None:
    """Prints the result as JSON and keeps it in bench/results/<name>.json."""
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    text = json.dumps(result, indent=2)
    (out / f"{name}.json").write_text(text + "\n")
    print(text)
