"""The real Express app (``tests/express_app``) as a test fixture: start it, talk to it, stop it.

``run_express`` installs the app's pinned packages when ``node_modules`` is missing (CI's
``scripts/check`` does that beforehand), starts ``node server.js`` against a Redis the test
owns, waits for its ``LISTENING <port>`` line with a deadline, and terminates it at exit.
`ExpressApp` speaks to it the way a browser would, except that it keeps no cookies: every
request carries exactly the ``Cookie`` header the test gives it.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import select
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import requests

APP_DIR = Path(__file__).resolve().parent.parent / "express_app"
COOKIE = "connect.sid"
START_TIMEOUT = 20.0
STOP_TIMEOUT = 5.0
REQUEST_TIMEOUT = 5.0

_install_lock = threading.Lock()


def node_binary() -> str:
    """The ``node`` executable; a missing one is an install step CI forgot, not a skip."""
    found = shutil.which("node")
    if found is None:
        raise RuntimeError("node is not installed: the Express interop tests need Node >= 20")
    return found


def ensure_installed() -> None:
    """``npm ci`` in the app's folder, once, when its ``node_modules`` is missing."""
    with _install_lock:
        if (APP_DIR / "node_modules").is_dir():
            return
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError(f"npm is not installed: cannot run `npm ci` in {APP_DIR}")
        subprocess.run(
            [npm, "ci", "--silent", "--no-audit", "--no-fund"],
            cwd=APP_DIR,
            check=True,
            timeout=300,
        )


def cookie_pair(response: requests.Response, name: str = COOKIE) -> str:
    """The ``name=value`` pair that a browser sends back for the response's ``Set-Cookie``."""
    header = response.headers.get("Set-Cookie")
    assert header is not None, f"no Set-Cookie in the answer to {response.url}"
    pair = header.split(";", 1)[0]
    assert pair.startswith(name + "="), header
    return pair


class _NoCookies(http.cookiejar.DefaultCookiePolicy):
    """A jar policy that accepts nothing: each request says its own ``Cookie`` header."""

    def set_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return False


def browser() -> requests.Session:
    """A ``requests`` session for 127.0.0.1: no proxies from the environment, no cookie jar."""
    session = requests.Session()
    session.trust_env = False
    session.cookies.set_policy(_NoCookies())
    return session


class ExpressApp:
    """A running Express app: its routes, each taking the ``Cookie`` header to send."""

    def __init__(self, url: str, http: requests.Session) -> None:
        self.url = url
        self.http = http

    def get(self, path: str, cookie: str | None = None, **params: str) -> requests.Response:
        """``GET path?params`` with ``Cookie: cookie`` (none when None)."""
        headers = {} if cookie is None else {"Cookie": cookie}
        return self.http.get(
            self.url + path, params=params, headers=headers, timeout=REQUEST_TIMEOUT
        )

    def login(self, user: str) -> tuple[str, str]:
        """Log `user` in; the browser's cookie pair and express-session's session id."""
        response = self.get("/login", user=user)
        response.raise_for_status()
        sid: str = response.json()["sid"]
        return cookie_pair(response), sid

    def whoami(self, cookie: str) -> dict[str, Any] | None:
        """The whole session (``cookie`` object included) Express loads, or None (no user)."""
        response = self.get("/whoami", cookie)
        if response.status_code == 401:
            return None
        response.raise_for_status()
        session: dict[str, Any] = response.json()["session"]
        return session

    def set(self, cookie: str, key: str, value: str) -> Any:
        """``req.session[key] = value`` (JSON-parsed when it parses); what Express stored."""
        response = self.get("/set", cookie, key=key, value=value)
        response.raise_for_status()
        return response.json()["value"]

    def value(self, cookie: str, key: str) -> Any:
        """``req.session[key]`` as Express reads it (None when absent)."""
        response = self.get("/get", cookie, key=key)
        response.raise_for_status()
        return response.json()["value"]

    def logout(self, cookie: str) -> None:
        """``req.session.destroy()``."""
        self.get("/logout", cookie).raise_for_status()


def _read_line(stream: IO[bytes], deadline: float) -> bytes:
    """One line from `stream` (a pipe), or b"" when the deadline passes or the pipe closes."""
    chunks: list[bytes] = []
    fd = stream.fileno()
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        byte = os.read(fd, 1)
        if not byte:
            break
        if byte == b"\n":
            return b"".join(chunks)
        chunks.append(byte)
    return b""


@contextlib.contextmanager
def run_express(
    redis_url: str,
    secrets: Sequence[str],
    *,
    prefix: str | None = None,
    max_age_ms: float | None = None,
) -> Iterator[ExpressApp]:
    """Run ``tests/express_app`` on a free port against `redis_url`; yield it once it listens.

    `secrets` is express-session's ``secret`` (the first signs, all verify), `prefix`
    connect-redis's key prefix (its default ``sess:`` when None), `max_age_ms` the cookie's
    ``maxAge`` (a browser-session cookie, ``expires: null``, when None).
    """
    ensure_installed()
    env = {k: v for k, v in os.environ.items() if k not in ("PREFIX", "MAX_AGE_MS")}
    env.update(REDIS_URL=redis_url, SECRETS=json.dumps(list(secrets)), PORT="0")
    if prefix is not None:
        env["PREFIX"] = prefix
    if max_age_ms is not None:
        env["MAX_AGE_MS"] = repr(max_age_ms)
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(
            [node_binary(), "server.js"],
            cwd=APP_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
        )
        assert process.stdout is not None
        http = browser()
        try:
            line = _read_line(process.stdout, time.monotonic() + START_TIMEOUT).decode()
            if not line.startswith("LISTENING "):
                process.kill()
                process.wait(STOP_TIMEOUT)
                stderr.seek(0)
                raise RuntimeError(
                    f"the Express app did not start (exit {process.returncode}, "
                    f"stdout {line!r}): {stderr.read().decode(errors='replace')[-2000:]}"
                )
            port = int(line.split()[1])
            yield ExpressApp(f"http://127.0.0.1:{port}", http)
        finally:
            http.close()
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(STOP_TIMEOUT)
            process.stdout.close()
