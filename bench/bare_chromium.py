"""The baseline every CPU and memory figure is a ratio to: N bare headless Chromium instances
started by Selenium with the engine's flags (sessions_app/engine/browser_process.py), each
showing a small page and doing nothing else, measured in the same run as the figure.

    python -m bench.bare_chromium --n 10        # idle CPU and PSS of 10 bare instances
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from bench.harness import cpu_seconds, emit, pss_kb, tree
from sessions_app.engine.browser_process import CHROMIUM_FLAGS

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER_PATH", "/usr/bin/chromedriver")
SMALL_PAGE = "data:text/html,<title>bare</title><h1>Bare Chromium</h1><p>A small page.</p>"


@contextmanager
def bare_chromium(n: int, *, with_drivers: bool = False):
    """Yields the root pids (ChromeDriver, whose tree holds its Chromium) of `n` idle browsers;
    `with_drivers`: (those pids, their WebDriver sessions), e.g. to read their JS heap."""
    tmp = Path(tempfile.mkdtemp(prefix="yesapp-bare-"))
    drivers = []
    try:
        for i in range(n):
            options = webdriver.ChromeOptions()
            options.binary_location = CHROMIUM
            for flag in CHROMIUM_FLAGS:
                options.add_argument(flag)
            options.add_argument(f"--user-data-dir={tmp / str(i)}")
            driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
            drivers.append(driver)
            driver.get(SMALL_PAGE)
        roots = [driver.service.process.pid for driver in drivers]
        yield (roots, drivers) if with_drivers else roots
    finally:
        for driver in drivers:
            try:
                driver.quit()
            except Exception:  # a bench cleans up what it can
                pass
        shutil.rmtree(tmp, ignore_errors=True)


def tree_cpu_percent(roots: list[int], seconds: float) -> float:
    """CPU of the process trees under `roots` over `seconds`, in % of one core."""
    pids = [pid for root in roots for pid in tree(root)]
    before = sum(cpu_seconds(p) for p in pids)
    time.sleep(seconds)
    return (sum(cpu_seconds(p) for p in pids) - before) / seconds * 100


def measure(n: int, seconds: float = 20, settle: float = 5) -> dict:
    with bare_chromium(n) as roots:
        time.sleep(settle)
        cpu = tree_cpu_percent(roots, seconds)
        mb = [sum(pss_kb(p) for p in tree(root)) / 1024 for root in roots]
    return {
        "instances": n,
        "idle_cpu_percent_of_one_core": round(cpu, 1),
        "mean_pss_mb": round(sum(mb) / n, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    emit({"benchmark": "bare_chromium", **measure(args.n, args.seconds)}, "bare_chromium")


if __name__ == "__main__":
    main()
