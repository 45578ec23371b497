"""Engine "machines" on this one machine: network namespaces that share nothing but a network.

Each machine is a network namespace (`ip netns`) with its own veth link to a bridge on the host,
its own empty DATA_DIR, its own engine worker and Chromium. A namespace cannot reach the host's
loopback, so what the machines share is offered on the bridge's host address: a redis-server of
the test's own bound there, and `socat` forwarders to the test's PostgreSQL and to the live
server (the web server the sandbox page and the media come from). Everything is torn down by
`Machines.close()`, which the fixture calls even when the test fails.
"""

import contextlib
import ipaddress
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import connection

from yesapp.tests.fixtures import ROOT, child_env


def netns_unavailable() -> str:
    """Why these tests cannot run here ('' when they can)."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    for tool in ("ip", "socat", "redis-server"):
        if not shutil.which(tool):
            return f"{tool} is not installed"
    probe = f"ya-probe-{secrets.token_hex(3)}"
    if subprocess.run(["ip", "netns", "add", probe], capture_output=True).returncode:
        return "`ip netns add` fails here (no CAP_SYS_ADMIN, or no netns support)"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    if connection.vendor != "postgresql":
        return "the machines share PostgreSQL (DATABASE_URL=postgres://...); SQLite is one machine's file"
    return ""


def ip(*args: str, ns: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    prefix = ["ip", "netns", "exec", ns, "ip"] if ns else ["ip"]
    return subprocess.run([*prefix, *args], capture_output=True, text=True, check=check, timeout=30)


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def _wait_port(host: str, port: int, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing answers on {host}:{port}")


def _free_subnet() -> ipaddress.IPv4Network:
    """A /24 in 10.0.0.0/8 that no interface of the host uses."""
    used = ip("-4", "-o", "addr").stdout
    for _ in range(50):
        net = ipaddress.IPv4Network(f"10.{random.randint(100, 250)}.{random.randint(0, 255)}.0/24")  # noqa: S311
        if f" 10.{net.network_address.packed[1]}.{net.network_address.packed[2]}." not in used:
            return net
    raise RuntimeError("no free 10.x.y.0/24 for the test network")


class Machine:
    """One engine machine: a namespace, its address, its DATA_DIR, its engine worker."""

    def __init__(self, network: "Machines", letter: str, address: str, data_dir: Path):
        self.network, self.letter, self.address, self.data_dir = network, letter, address, data_dir
        self.ns = f"ya-{network.suffix}-{letter}"
        self.host_end, self.ns_end = f"yah{network.suffix}{letter}", f"yan{network.suffix}{letter}"
        self.name = f"engine-{letter}"
        self.proc: subprocess.Popen | None = None
        self.log_path = network.root / f"worker-{letter}.log"

    def create(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        ip("netns", "add", self.ns)
        ip("link", "add", self.host_end, "type", "veth", "peer", "name", self.ns_end)
        ip("link", "set", self.ns_end, "netns", self.ns)
        ip("link", "set", self.host_end, "master", self.network.bridge, "up")
        ip("addr", "add", f"{self.address}/24", "dev", self.ns_end, ns=self.ns)
        ip("link", "set", self.ns_end, "up", ns=self.ns)
        ip("link", "set", "lo", "up", ns=self.ns)  # ChromeDriver and Chromium talk over loopback

    def start_engine(self, **env: str) -> "Machine":
        """An engine worker (Celery on the `engine` queue + the session host) in the namespace."""
        env = self.network.env(DATA_DIR=str(self.data_dir), **env)
        log = self.log_path.open("ab")
        command = [sys.executable, "-m", "celery", "-A", "yesapp", "worker", "-n", f"{self.name}@%h"]
        command += ["-Q", "engine", "-P", "threads", "-c", "4", "--loglevel=INFO"]
        command += ["--without-gossip", "--without-mingle"]
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", self.ns, *command],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def wait_ready(self, timeout: float = 60) -> None:
        from yesapp.celery import app

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            replies = app.control.ping(timeout=0.5) or []
            if any(reply and list(reply)[0].startswith(f"{self.name}@") for reply in replies):
                return
            if self.proc.poll() is not None:
                break
        raise RuntimeError(f"{self.name} did not start; see {self.log_path}:\n{self.tail()}")

    def tail(self, lines: int = 40) -> str:
        with contextlib.suppress(FileNotFoundError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def kill(self) -> None:
        """The machine dies: every process of its engine group goes at once (SIGKILL)."""
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(10)
        # Chromium runs in a session of its own and dies of its parent's death (pdeathsig) a
        # moment later; make sure, and wait until nothing writes to the machine's disk.
        deadline = time.monotonic() + 30
        while (pids := self.browser_pids(helpers=True)) and time.monotonic() < deadline:
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.1)

    def stop(self, timeout: float = 30) -> None:
        if self.proc is None or self.proc.poll() is not None:
            self.kill()
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
        self.kill()

    def freeze(self) -> None:
        """The engine worker stops dead (SIGSTOP), as a long garbage collection or a starved CPU
        would stop it: no lease renewal, no page turn. Its Chromium, in a session of its own,
        runs on, as it would through a stall of the worker alone."""
        os.killpg(self.proc.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        os.killpg(self.proc.pid, signal.SIGCONT)

    def cut(self) -> None:
        """Pulls the machine's network cable: its only interface goes down."""
        ip("link", "set", self.ns_end, "down", ns=self.ns)

    def uncut(self) -> None:
        ip("link", "set", self.ns_end, "up", ns=self.ns)

    def browser_pids(self, *, helpers: bool = False) -> list[int]:
        """Chromium browsers of this machine (their profile lies in its DATA_DIR); with
        `helpers`, their renderers and other helper processes too."""
        marker = f"--user-data-dir={self.data_dir}/".encode()
        pids = []
        for proc in Path("/proc").iterdir():
            if proc.name.isdigit():
                with contextlib.suppress(OSError):
                    cmdline = (proc / "cmdline").read_bytes()
                    if marker in cmdline and (helpers or b"--type=" not in cmdline):
                        pids.append(int(proc.name))
        return pids

    def destroy(self) -> None:
        self.kill()
        ip("netns", "del", self.ns, check=False)
        ip("link", "del", self.host_end, check=False)


class Machines:
    """A bridge on the host and up to 26 machines on it, with Redis, PostgreSQL and the web
    server offered on the bridge's host address. Use as the `machines` fixture."""

    def __init__(self, root: Path, web_port: int):
        self.root, self.web_port = root, web_port
        self.suffix = secrets.token_hex(2)
        self.bridge = f"yab{self.suffix}"
        subnet = _free_subnet()
        self.hosts = iter(subnet.hosts())
        self.host_address = str(next(self.hosts))
        self.machines: list[Machine] = []
        self.procs: list[subprocess.Popen] = []
        self.redis_port = self.pg_port = self.web_fwd_port = 0

    def open(self) -> "Machines":
        ip("link", "add", self.bridge, "type", "bridge")
        ip("addr", "add", f"{self.host_address}/24", "dev", self.bridge)
        ip("link", "set", self.bridge, "up")
        self.redis_port = _free_port(self.host_address)
        self._spawn(
            [shutil.which("redis-server"), "--port", str(self.redis_port)]
            # Bound to the bridge only, reachable from the test's namespaces: no protected mode.
            + ["--bind", self.host_address, "--protected-mode", "no"]
            + ["--save", "", "--appendonly", "no", "--dir", str(self.root)]
        )
        _wait_port(self.host_address, self.redis_port)
        db = connection.settings_dict
        self.pg_port = self._forward(db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432))
        self.web_fwd_port = self._forward("127.0.0.1", self.web_port)
        return self

    def _spawn(self, command: list[str]) -> None:
        quiet = subprocess.DEVNULL
        self.procs.append(subprocess.Popen(command, stdout=quiet, stderr=quiet, start_new_session=True))

    def offer(self, url: str) -> str:
        """A host-local http URL (an S3 emulator on loopback) as the machines reach it."""
        parts = urlsplit(url)
        return f"{parts.scheme}://{self.host_address}:{self._forward(parts.hostname, parts.port)}"

    def _forward(self, to_host: str, to_port: int) -> int:
        """A socat listening on the bridge address that forwards to a host-local port."""
        port = _free_port(self.host_address)
        listen = f"TCP-LISTEN:{port},bind={self.host_address},reuseaddr,fork"
        self._spawn([shutil.which("socat"), listen, f"TCP:{to_host}:{to_port}"])
        _wait_port(self.host_address, port)
        return port

    @property
    def redis_url(self) -> str:
        return f"redis://{self.host_address}:{self.redis_port}/0"

    @property
    def web_url(self) -> str:
        return f"http://{self.host_address}:{self.web_fwd_port}"

    def env(self, **extra: str) -> dict[str, str]:
        """What a process in a namespace needs: everything shared through the bridge."""
        db = connection.settings_dict
        database_url = f"postgres://{db['USER']}@{self.host_address}:{self.pg_port}/{db['NAME']}"
        return child_env(
            DATABASE_URL=database_url,
            REDIS_URL=self.redis_url,
            INTERNAL_BASE_URL=self.web_url,
            **extra,
        )

    def add(self) -> Machine:
        letter = "abcdefghijklmnopqrstuvwxyz"[len(self.machines)]
        machine = Machine(self, letter, str(next(self.hosts)), self.root / f"machine-{letter}")
        self.machines.append(machine)
        machine.create()
        return machine

    def close(self) -> None:
        for machine in self.machines:
            with contextlib.suppress(Exception):
                machine.destroy()
        for proc in self.procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            with contextlib.suppress(Exception):
                proc.wait(10)
        ip("link", "del", self.bridge, check=False)


@pytest.fixture
def machines(transactional_db, live_server, settings, tmp_path):
    """Engine machines in network namespaces; this test process and its host workers use the
    same private Redis. Skips when namespaces are unavailable."""
    from yesapp.celery import app
    from yesapp.tests.fixtures import point_celery_at

    reason = netns_unavailable()
    if reason:
        pytest.skip(reason)
    network = Machines(tmp_path, int(live_server.url.rsplit(":", 1)[1]))
    old_url = app.conf.broker_url
    try:
        network.open()
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, network.host_address]
        settings.INTERNAL_BASE_URL = network.web_url
        settings.REDIS_URL = settings.CELERY_BROKER_URL = settings.CELERY_RESULT_BACKEND = network.redis_url
        point_celery_at(network.redis_url)
        yield network
    finally:
        network.close()
        point_celery_at(old_url)
