"""Headless Chromium for the report.html tests: load a page from disk, let its scripts run, dump the DOM.

Needs Debian's `chromium` package (`apt-get install -y chromium`); without a browser the tests skip
with that reason. `R1LIT_CHROMIUM` names another binary (e.g. google-chrome).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")


def find_browser() -> str | None:
    """The Chromium binary: `$R1LIT_CHROMIUM`, else the first of BROWSERS on PATH."""
    if os.environ.get("R1LIT_CHROMIUM"):
        return os.environ["R1LIT_CHROMIUM"]
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


@pytest.fixture(scope="session")
def dump_dom(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Path, str], str]:
    """``dump_dom(page, hash)``: the DOM of ``file://page#hash`` after its scripts ran (up to 5 s of page time)."""
    browser = find_browser()
    if browser is None:
        pytest.skip("no Chromium found (install Debian's `chromium` package, or set R1LIT_CHROMIUM)")
    profile = tmp_path_factory.mktemp("chromium-profile")

    def run(page: Path, fragment: str = "") -> str:
        url = page.resolve().as_uri() + (f"#{fragment}" if fragment else "")
        cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               f"--user-data-dir={profile}", "--virtual-time-budget=5000", "--dump-dom", url]  # fmt: skip
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert 'data-ready="1"' in proc.stdout, f"the page's script did not finish: {proc.stderr[-2000:]}"
        return proc.stdout

    return run
