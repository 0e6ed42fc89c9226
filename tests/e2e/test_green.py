"""The sync shell under gevent and under eventlet, each in its own monkey-patched process.

``green_app.py`` serves `SessionSockets` over ``socketio.Server(async_mode=<mode>)`` with the
green library's own WSGI server and prints ``READY <port> <cookie>``; this process connects a
real ``socketio.Client`` with that cookie, saves from an event, reads the session back (from
the store through `get_session`, and over HTTP), disconnects, and stops the app, which must
exit with status 0.
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from e2e_support import TIMEOUT, TRANSPORTS, sid_of

from servers import sync_client

APP = Path(__file__).with_name("green_app.py")
# A cold start imports gevent or eventlet, socketio and sessio.
START_TIMEOUT = 20.0


class GreenApp:
    """``green_app.py`` running in a child process, and the lines it prints."""

    def __init__(self, mode: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(APP), mode],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def expect(self, kind: str, timeout: float = TIMEOUT) -> list[str]:
        """The words of the next line that starts with `kind` (other lines are skipped)."""
        while True:
            try:
                line = self._lines.get(timeout=timeout)
            except queue.Empty:
                raise TimeoutError(f"no {kind} line from {APP.name} in {timeout} s") from None
            if line is None:
                raise AssertionError(f"{APP.name} ended before printing {kind}: {self.stderr()}")
            words = line.split(" ", 2)
            if words[0] == kind:
                return words[1:]

    def expect_json(self, kind: str) -> Any:
        return json.loads(" ".join(self.expect(kind)))

    def stderr(self) -> str:
        if self.process.poll() is None or self.process.stderr is None:
            return ""
        return self.process.stderr.read()


def green_app(mode: str) -> Iterator[GreenApp]:
    app = GreenApp(mode)
    try:
        yield app
    finally:
        if app.process.poll() is None:
            app.process.kill()
        app.process.wait(TIMEOUT)
        for stream in (app.process.stdout, app.process.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture(params=["gevent", "eventlet"])
def app(request: pytest.FixtureRequest) -> Iterator[GreenApp]:
    yield from green_app(request.param)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_the_sync_shell_on_a_green_server(app: GreenApp, transport: str) -> None:
    port, cookie = app.expect("READY", START_TIMEOUT)
    url = f"http://127.0.0.1:{port}"

    client = sync_client()
    try:
        client.connect(
            url, headers={"Cookie": cookie}, transports=[transport], wait_timeout=TIMEOUT
        )
        sid = sid_of(client)
        assert app.expect_json("CONNECT") == [None, sid, {"user": "alice"}]

        saved = client.call("set", ("visits", 1), timeout=TIMEOUT)
        assert saved == {"user": "alice", "visits": 1}
        assert client.call("fresh", timeout=TIMEOUT) == {"user": "alice", "visits": 1}
        stored = requests.get(f"{url}/session", headers={"Cookie": cookie}, timeout=TIMEOUT)
        assert stored.status_code == 200
        assert stored.json()["visits"] == 1
    finally:
        client.disconnect()
    gone_sid, session, _reason = app.expect_json("DISCONNECT")
    assert gone_sid == sid and session == {"user": "alice", "visits": 1}

    assert requests.get(f"{url}/stop", timeout=TIMEOUT).text == "stopping"
    assert app.process.wait(TIMEOUT) == 0, app.stderr()
