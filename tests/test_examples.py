"""Every app in ``examples/`` started as its README says, and driven as a user would.

Each example runs as its own process on a free port (``PORT``), with the suite's private
redis-server (``REDIS_URL``). The test logs in over HTTP, connects a real socket.io client
with the browser's cookie over websocket and then polling, reads the session (``incr``'s
answer), writes it where the format is writable, and sees the write over HTTP (``/whoami``);
a client without the cookie is refused.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import socketio

from redis_server import RedisServer
from servers import free_port, sync_client

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
# A cold start imports the framework, socketio and sessio (and eventlet or gevent).
START_TIMEOUT = 30.0
TIMEOUT = 10.0


class Example:
    """One example app, running in a child process on a free port."""

    def __init__(self, command: list[str], redis_url: str, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, "PORT": str(self.port), "REDIS_URL": redis_url, **env},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # the Express example's Python child goes with it
        )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"the example exited ({self.process.returncode}):\n{self.output()}"
                )
            try:
                requests.get(f"{self.url}/whoami", timeout=1)
                return
            except requests.ConnectionError:
                time.sleep(0.05)
        raise TimeoutError(f"the example did not answer within {START_TIMEOUT} s:\n{self.output()}")

    def stop(self) -> None:
        # The whole process group: the Express example's Python server is in it too.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            # uvicorn and aiohttp wait for open connections: no need to, here.
            self.process.wait(1)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(5)

    def output(self) -> str:
        self.stop()
        assert self.process.stdout is not None
        return self.process.stdout.read()


def leave(client: socketio.Client, transport: str) -> None:
    """Disconnect; over polling, without waiting for the answer to the client's last poll.

    A sync client's ``disconnect()`` over polling waits for its pending long-poll GET, which
    an ``AsyncServer`` answers only at its next ping (25 s by default; the examples keep the
    defaults): the server has the DISCONNECT at once, so the test need not wait with it.
    """
    if transport == "websocket":
        client.disconnect()
    else:
        threading.Thread(target=client.disconnect, daemon=True).start()


def drive(url: str, writable: bool) -> None:
    """Log in, then on each transport: connect with the cookie, incr, and check over HTTP."""
    http = requests.Session()
    login = http.get(f"{url}/login?user=alice", timeout=TIMEOUT)
    assert login.status_code == 200, login.text
    cookie = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
    assert cookie, "the login set no cookie"
    count = 0
    for transport in ("websocket", "polling"):
        client = sync_client()
        client.connect(
            url, headers={"Cookie": cookie}, transports=[transport], wait_timeout=TIMEOUT
        )
        try:
            answers = [client.call("incr", timeout=TIMEOUT) for _ in range(2)]
        finally:
            leave(client, transport)
        if writable:
            assert answers == [{"count": count + 1}, {"count": count + 2}], transport
            count += 2
        else:
            assert answers == [{"error": "read-only"}] * 2, transport
        shown: dict[str, Any] = http.get(f"{url}/whoami", timeout=TIMEOUT).json()
        assert shown["user"] == "alice"
        assert shown.get("count") == (count or None)
    stranger = sync_client()
    with pytest.raises(socketio.exceptions.ConnectionError):
        stranger.connect(url, transports=["websocket"], wait_timeout=TIMEOUT)
    if writable:
        log_out(url, http, cookie)


def log_out(url: str, http: requests.Session, cookie: str) -> None:
    """``/logout`` disconnects the session's open socket, and the session stays gone."""
    tab = sync_client()
    gone = threading.Event()
    tab.on("disconnect", lambda *reason: gone.set())
    tab.connect(url, headers={"Cookie": cookie}, transports=["websocket"], wait_timeout=TIMEOUT)
    try:
        assert http.get(f"{url}/logout", timeout=TIMEOUT).status_code == 200
        assert gone.wait(TIMEOUT), "the open socket was not disconnected"
    finally:
        tab.disconnect()
    # Not written back by the logout request itself: a reload is logged out.
    assert "user" not in http.get(f"{url}/whoami", timeout=TIMEOUT).json()
    again = sync_client()
    with pytest.raises(socketio.exceptions.ConnectionError):
        again.connect(
            url, headers={"Cookie": cookie}, transports=["websocket"], wait_timeout=TIMEOUT
        )


@pytest.fixture
def run(redis_server: RedisServer) -> Iterator[Any]:
    started: list[Example] = []

    def start(command: list[str], **env: str) -> Example:
        example = Example(command, redis_server.url, **env)
        started.append(example)
        example.wait_ready()
        return example

    yield start
    for example in started:
        example.stop()


PYTHON_EXAMPLES = {
    "flask_session": True,
    "fastapi": False,
    "fastapi_store": True,
    "django": True,
    "aiohttp": True,
}


@pytest.mark.parametrize(("name", "writable"), PYTHON_EXAMPLES.items())
def test_python_example(run: Any, name: str, writable: bool) -> None:
    example = run([sys.executable, str(EXAMPLES / name / "app.py")])
    drive(example.url, writable)


@pytest.mark.parametrize("mode", ["threading", "eventlet", "gevent"])
def test_flask_socketio_example(run: Any, mode: str) -> None:
    example = run([sys.executable, str(EXAMPLES / "flask_socketio" / "app.py")], ASYNC_MODE=mode)
    drive(example.url, writable=True)


def test_express_example(run: Any) -> None:
    if not (EXAMPLES / "express" / "node_modules").is_dir():
        pytest.fail("run `npm ci` in examples/express (scripts/check does)")
    node = shutil.which("node")
    assert node is not None, "node is not installed"
    example = run([node, str(EXAMPLES / "express" / "web.js")], PYTHON=sys.executable)
    drive(example.url, writable=True)
