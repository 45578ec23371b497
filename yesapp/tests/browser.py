"""Headless Chromium for browser tests, with the same flags as the engine's browsers."""

from pathlib import Path

from django.conf import settings
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from sessions_app.engine.browser_process import CHROMIUM_FLAGS


def new_test_driver(
    *, profile_dir: Path | None = None, extra_flags: tuple[str, ...] = (), console_logs: bool = False
) -> webdriver.Chrome:
    """A Selenium driver for Debian's Chromium; the driver path is explicit so Selenium
    Manager never tries to download one. The caller quits it."""
    options = webdriver.ChromeOptions()
    options.binary_location = settings.CHROMIUM_PATH
    for flag in (*CHROMIUM_FLAGS, *extra_flags):
        options.add_argument(flag)
    if profile_dir is not None:
        options.add_argument(f"--user-data-dir={profile_dir}")
    if console_logs:
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=settings.CHROMEDRIVER_PATH), options=options)
    driver.set_script_timeout(30)
    driver.set_page_load_timeout(30)
    return driver
