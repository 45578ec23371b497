"""The browser's fence (sessions_app/engine/bin/fence.py), through the real ./chromedriver
wrapper, around a fake "ChromeDriver" (sleep) with a fake "Chromium" that it orphans, as real
helpers get orphaned when their parent dies: no browser, no Django, a second or two a test."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sessions_app.engine.browser_process import WRAPPERS_DIR
from sessions_app.tests.helpers import wait_for

FAKE_DRIVER = """#!/bin/sh
# A "browser" helper that outlives its parent, then the "driver" itself.
( sleep 300 & echo $! > "$1" )
exec sleep 300
"""


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


class Browser:
    """The wrapper started as Selenium starts it: in a process session of its own."""

    def __init__(self, tmp_path: Path, until: float):
        self.lease_file = tmp_path / "lease-until.node"
        self.renew(until)
        driver = tmp_path / "driver"
        driver.write_text(FAKE_DRIVER)
        driver.chmod(0o755)
        helper_file = tmp_path / "helper.pid"
        env = {
            "PATH": os.environ["PATH"],
            "YESAPP_CHROMEDRIVER": str(driver),
            "YESAPP_LEASE_FILE": str(self.lease_file),
            "YESAPP_PYTHON": sys.executable,
        }
        self.driver = subprocess.Popen(
            [str(WRAPPERS_DIR / "chromedriver"), str(helper_file)], env=env, start_new_session=True
        )
        self.helper = int(wait_for(lambda: helper_file.exists() and helper_file.read_text().strip(), 10))
        self.fence = wait_for(self._fence_pid, 10, what="the fence")

    def _fence_pid(self) -> int | None:
        for pid in Path("/proc").iterdir():
            try:
                fence = pid.name.isdigit() and b"fence.py" in (pid / "cmdline").read_bytes()
                if fence and os.getsid(int(pid.name)) == self.driver.pid:
                    return int(pid.name)
            except OSError:
                continue
        return None

    def renew(self, until: float) -> None:
        part = self.lease_file.with_suffix(".part")
        part.write_text(f"{until:.3f}\n")
        part.replace(self.lease_file)

    def close(self) -> None:
        os.killpg(self.driver.pid, signal.SIGKILL) if alive(self.driver.pid) else None
        for pid in (self.helper, self.fence):
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        self.driver.wait(5)


@pytest.fixture
def browser(tmp_path):
    made = []

    def make(until: float) -> Browser:
        made.append(Browser(tmp_path, until))
        return made[-1]

    yield make
    for each in made:
        each.close()


def test_a_renewed_lease_keeps_the_browser_and_one_run_out_kills_all_of_it(browser):
    ttl = 1.5
    b = browser(time.time() + ttl)
    renewed_until = time.monotonic() + 3 * ttl  # renewed, late but within its TTL, for 3 TTLs
    while time.monotonic() < renewed_until:
        time.sleep(ttl * 0.8)
        assert alive(b.driver.pid) and alive(b.helper) and alive(b.fence)
        b.renew(time.time() + ttl)
    until = time.time() + ttl  # the last renewal
    b.renew(until)
    time.sleep(max(0.0, until - time.time() - 0.2))
    assert alive(b.driver.pid) and alive(b.helper), "killed before the lease ran out"
    assert b.driver.wait(3) == -signal.SIGKILL
    wait_for(lambda: not alive(b.helper) and not alive(b.fence), 3, what="helper and fence gone")
    assert time.time() >= until  # never before the written time


def test_the_fence_ends_with_the_browser_and_kills_nothing_after(browser):
    b = browser(time.time() + 1)
    os.kill(b.driver.pid, signal.SIGTERM)  # the browser closes (quit) while its lease holds
    b.driver.wait(3)
    wait_for(lambda: not alive(b.fence), 3, what="the fence gone with its browser")
    time.sleep(1.5)  # past the lease: a fence left behind would kill the helper now
    assert alive(b.helper)


def test_a_fence_without_a_process_session_of_its_own_refuses_to_run(tmp_path):
    """Not led by ChromeDriver, its session is someone else's: it must kill nothing."""
    lease = tmp_path / "lease"
    lease.write_text(f"{time.time() - 60:.3f}\n")  # long run out
    fence = WRAPPERS_DIR / "fence.py"
    # The outer shell leads a new session, the inner one is the fence's parent: they differ.
    inner = f'"{sys.executable}" -I -S "{fence}" "{lease}"; echo $? > "{tmp_path}/rc"'
    script = f"sleep 300 & sh -c '{inner}'; kill $!"
    outer = subprocess.Popen(["sh", "-c", script], start_new_session=True)
    assert outer.wait(10) == 0
    assert (tmp_path / "rc").read_text().strip() == "2"
