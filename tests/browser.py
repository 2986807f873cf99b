"""Debian's Chromium for the browser tests: where it is, how it is launched, and what happens
when it is missing (a skip, or a failure on CI, where it must be installed).

Importing this module skips the importing test module when playwright, an optional test
dependency, is not installed, rather than failing its collection. Playwright drives
``/usr/bin/chromium`` and never downloads a browser of its own.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

# without playwright the test module importing this one is skipped, not a collection error
pytest.importorskip("playwright.sync_api", reason="browser tests need playwright: pip install -e '.[test]'")

from playwright.sync_api import Browser, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",  # the network is closed: no update or sync attempts
    "--disable-component-update",
    "--disable-sync",
]


def chromium_executable(test: str) -> Path:
    """Debian's Chromium; ``test`` (what needs it, for the message) is skipped when it is missing,
    except on CI, where a missing browser fails the test."""
    if CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing on CI: {test} needs it (install it with `make chromium`)")
    pytest.skip(f"{CHROMIUM} is not installed (`make chromium` installs it as root); {test} skipped")


@contextmanager
def launched_chromium(executable: Path) -> Iterator[Browser]:
    """Headless Chromium run from ``executable``, closed on leaving (also when the test fails)."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(executable), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()
