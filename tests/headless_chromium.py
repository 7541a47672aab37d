"""Headless Chromium for the page tests (the leaderboard, the predict gallery): a uniquely named
helper module, imported after ``sys.path`` gets this folder.

``skip_without_chromium()`` skips the calling module unless Chromium, ChromeDriver and selenium
are installed (CI installs them). Selenium is pointed at /usr/bin/chromedriver explicitly, so
Selenium Manager never downloads anything. Screenshots go to ``ARTIFACTS`` (git-ignored).
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


def skip_without_chromium():
    """The ``selenium.webdriver`` module, or a module-level skip."""
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    if not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)):
        pytest.skip(f"needs {CHROMIUM} and {CHROMEDRIVER} (Debian chromium, chromium-driver)", allow_module_level=True)
    return webdriver


def chromium_driver(user_data_dir: Path, *, javascript: bool = True, window: str = "1280,900",
                    console_log: bool = False, extra_flags: tuple[str, ...] = ()):
    """A headless Chrome session on a fresh profile; ``console_log`` keeps the page's console
    messages for ``driver.get_log("browser")``."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--hide-scrollbars", f"--window-size={window}",
                 f"--user-data-dir={user_data_dir}", *extra_flags):
        options.add_argument(flag)
    if not javascript:
        options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    if console_log:
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
