"""Chromium as a process: its flags, environment, profile directory and process tree.

What `chromium.py` (the WebDriver side) needs to launch a browser for a session, and what the
node needs to measure and kill it. Nothing here talks to the page.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from functools import cache
from pathlib import Path

from django.conf import settings
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

logger = logging.getLogger(__name__)

# What ChromeDriver and Chromium may see of the worker's environment: never the app's secrets
# (SECRET_KEY, DATABASE_URL, REDIS_URL, webhook secrets...), which a page exploit could read.
_BROWSER_ENV = ("PATH", "HOME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "DISPLAY", "WAYLAND_DISPLAY")
_BROWSER_ENV_PREFIXES = ("LC_", "XDG_", "FONTCONFIG_", "CHROME_")


def browser_environment() -> dict[str, str]:
    return {
        name: value
        for name, value in os.environ.items()
        if name in _BROWSER_ENV or name.startswith(_BROWSER_ENV_PREFIXES)
    }


CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-extensions",
    "--mute-audio",
    "--window-size=1280,900",
)
# Profile files Chromium uses to refuse a second browser on the same profile.
SINGLETON_FILES = ("SingletonLock", "SingletonSocket", "SingletonCookie")
# Wrappers that make ChromeDriver and Chromium die with their parent (bin/chromedriver explains).
WRAPPERS_DIR = Path(__file__).parent / "bin"


@cache
def chromium_version() -> str:
    out = subprocess.run([settings.CHROMIUM_PATH, "--version"], capture_output=True, text=True, timeout=20)
    return next((part for part in out.stdout.split() if part[:1].isdigit()), "131.0.0.0")


def user_agent() -> str:
    """A normal desktop Chrome user agent: WhatsApp Web refuses `HeadlessChrome`."""
    return (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        f"Chrome/{chromium_version()} Safari/537.36"
    )


def profile_dir_for(session_id) -> Path:
    return Path(settings.SESSIONS_DIR) / str(session_id) / "profile"


def clear_stale_profile_lock(profile_dir: Path) -> None:
    """Removes Chromium's singleton lock left by a browser of ours that died with its worker.

    Only called while this node holds the session's lease, so no live browser of ours may
    use the profile: a Chromium still holding it here is an orphan of a killed worker.
    """
    lock = profile_dir / "SingletonLock"
    try:
        target = os.readlink(lock)  # "<hostname>-<pid>"
    except OSError:
        target = ""
    host, _, pid = target.rpartition("-")
    if host == socket.gethostname() and pid.isdigit():
        try:
            os.kill(int(pid), signal.SIGKILL)
            logger.warning("Killed orphaned Chromium %s holding %s", pid, profile_dir)
            time.sleep(0.5)
        except ProcessLookupError:
            pass
        except PermissionError:
            logger.warning("Chromium %s holds %s and cannot be killed", pid, profile_dir)
    for name in SINGLETON_FILES:
        try:
            (profile_dir / name).unlink()
        except FileNotFoundError:
            pass


def _children(pid: int) -> list[int]:
    # Chromium forks from several threads; each thread lists only its own children.
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children.extend(int(p) for p in (task / "children").read_text().split())
        except (OSError, ValueError):
            continue
    return children


def process_tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        todo.extend(_children(current))
    return pids


def chromium_options(profile_dir: Path) -> webdriver.ChromeOptions:
    options = webdriver.ChromeOptions()
    options.binary_location = str(WRAPPERS_DIR / "chromium")
    for flag in CHROMIUM_FLAGS:
        if flag == "--headless=new" and not settings.CHROMIUM_HEADLESS:
            continue
        options.add_argument(flag)
    for flag in settings.CHROMIUM_EXTRA_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile_dir}")
    options.add_argument(f"--user-agent={user_agent()}")
    options.page_load_strategy = "eager"
    return options


def chromedriver_service(profile_dir: Path, *, lease_file: str | None = None) -> Service:
    """ChromeDriver, started through the wrapper that kills the browser if the worker dies
    without closing it (SIGKILL, OOM): an orphaned page would go on receiving, and
    acknowledging, messages no one stores.

    The explicit driver path keeps Selenium Manager from ever trying to download one. A
    session of its own keeps Ctrl-C and process-group signals meant for the worker away from
    the browser: the worker closes it politely, so the profile is flushed to disk.

    With `lease_file` (a node's browser), the wrapper starts the fence (bin/fence.py) in that
    session: it kills the browser once the lease written there has run out, which a frozen
    worker cannot do."""
    log_output = subprocess.DEVNULL
    service_args = []
    if settings.ENGINE_BROWSER_LOGS:
        # ChromeDriver's and Chromium's own logs, for diagnosing browser crashes.
        log_output = open(profile_dir.parent / "chromedriver.log", "a")  # noqa: SIM115
        service_args = ["--enable-chrome-logs"]
    return Service(
        executable_path=str(WRAPPERS_DIR / "chromedriver"),
        log_output=log_output,
        service_args=service_args,
        env={
            **browser_environment(),
            "YESAPP_CHROMEDRIVER": settings.CHROMEDRIVER_PATH,
            "YESAPP_CHROMIUM": settings.CHROMIUM_PATH,
            **({"YESAPP_LEASE_FILE": str(lease_file), "YESAPP_PYTHON": sys.executable} if lease_file else {}),
        },
        popen_kw={"start_new_session": True},
    )


def kill_processes(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
