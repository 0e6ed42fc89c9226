"""Chromium for the browser tests, and the official socket.io client's browser build.

Debian's ``chromium`` (``scripts/check`` installs it with apt when it is missing), driven by
playwright from PyPI with ``executable_path``: never ``playwright install``, which downloads
browsers. One browser per test module (a fixture there asks `launch` for it); each test opens
its own contexts (a context is one browser profile: its own cookies, so its own login).

The official client is ``socket.io-client`` from npm, pinned in ``package-lock.json`` here and
installed with ``npm ci`` (by ``scripts/check``, or by `client_script` when it is missing). A
test server serves its ``dist/socket.io.min.js`` itself: no CDN.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

HERE = Path(__file__).resolve().parent
CLIENT_DIST = HERE / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"
#: How long a browser-side wait may take (milliseconds, as playwright counts).
WAIT_MS = 5_000
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]

_install_lock = threading.Lock()


@contextmanager
def launch() -> Iterator[Browser]:
    """Headless Debian chromium under playwright; a missing one is an install step CI forgot."""
    executable = shutil.which("chromium")
    if executable is None:
        raise RuntimeError("chromium is not installed: apt-get install -y chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


def client_script() -> bytes:
    """The official client's browser build (``npm ci`` here first, when it is missing)."""
    with _install_lock:
        if not CLIENT_DIST.is_file():
            npm = shutil.which("npm")
            if npm is None:
                raise RuntimeError(f"npm is not installed: cannot run `npm ci` in {HERE}")
            subprocess.run(
                [npm, "ci", "--silent", "--no-audit", "--no-fund"],
                cwd=HERE,
                check=True,
                timeout=300,
            )
    return CLIENT_DIST.read_bytes()
