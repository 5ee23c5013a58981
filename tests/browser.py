"""Headless Chromium with the network cut off: render a page from disk, as a reader would.

Chromium comes from Debian's package (``scripts/install-test-browser.sh`` installs it).
Every host name resolves to nothing and every request goes to a dead proxy, so a page that
needs the internet shows it. Console messages are collected to catch script errors.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

#: Set GEOHEALTH_REQUIRE_BROWSER=1 to make a missing browser a failure rather than a skip.
REQUIRED = os.environ.get("GEOHEALTH_REQUIRE_BROWSER") == "1"


def chromium() -> str:
    """Path of the Chromium binary, or skip (fail under CI) when there is none."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    if REQUIRED:
        pytest.fail("Chromium is not installed (apt-get install chromium)")
    pytest.skip("Chromium is not installed (apt-get install chromium)")
    raise AssertionError  # unreachable


@dataclass(frozen=True)
class Rendered:
    """What the browser made of a page."""

    dom: str
    console: list[str]


_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--proxy-server=http://127.0.0.1:9",
    "--enable-logging=stderr",
    "--v=0",
    "--window-size=1280,900",
    "--virtual-time-budget=10000",
]


def render(page: Path, screenshot: Path | None = None) -> Rendered:
    """Open ``page`` offline; return the DOM after its scripts ran, and the console lines.

    With ``screenshot``, a PNG of the window is written there too (a second run).
    """
    binary = chromium()
    url = page.resolve().as_uri()
    with tempfile.TemporaryDirectory() as profile:
        flags = [*_FLAGS, f"--user-data-dir={profile}"]
        run = subprocess.run(
            [binary, *flags, "--dump-dom", url],
            capture_output=True,
            text=True,
            timeout=180,
            check=True,
        )
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run(
                [binary, *flags, f"--screenshot={screenshot}", url],
                capture_output=True,
                timeout=180,
                check=True,
            )
    console = [line for line in run.stderr.splitlines() if ":CONSOLE" in line]
    return Rendered(dom=run.stdout, console=console)
