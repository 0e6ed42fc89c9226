"""An event that python-socketio runs after its socket has left reaches no handler.

python-socketio runs each event apart from the socket's reader (a task, or a thread), so an
event that arrived while its socket was connected can start after the socket was disconnected:
by a logout, a revoke, a failed re-check. sessio has released the socket's session by then. It
used to call the handler anyway, with ``session=None``, even under ``require_session``, which
promises handlers a session (found by ``benchmarks/faults.py``: with Redis restarted empty,
the re-check disconnected sockets while their saves were in flight, and a save handler got
None). Reproduced here directly: the test runs sessio's event handler the way python-socketio
runs such an event, once the server has seen the socket's disconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import socketio
from e2e_support import PING_INTERVAL, PING_TIMEOUT, SECRET, TIMEOUT

from servers import LOOPS, run_asgi, run_wsgi, sync_client
from sessio import Failure, formats
from sessio import aio as sessio_aio
from sessio import sync as sessio_sync


class App:
    """A server of one shell over a MemoryStore; handler ``x`` records the session it got."""

    def __init__(self, shell: str, *, require_session: bool) -> None:
        self.shell = shell
        self.url = ""
        self.got: list[Any] = []
        self.left = threading.Event()
        self.sio: socketio.Server | socketio.AsyncServer
        self.sessions: sessio_sync.SessionSockets | sessio_aio.AsyncSessionSockets
        fmt = formats.express(secrets=[SECRET])
        if shell == "sync":
            self.sio = socketio.Server(
                async_mode="threading", ping_interval=PING_INTERVAL, ping_timeout=PING_TIMEOUT
            )
            self.sessions = sessio_sync.SessionSockets(
                self.sio, sessio_sync.MemoryStore(), fmt, require_session=require_session
            )
        else:
            self.sio = socketio.AsyncServer(
                async_mode="asgi", ping_interval=PING_INTERVAL, ping_timeout=PING_TIMEOUT
            )
            self.sessions = sessio_aio.AsyncSessionSockets(
                self.sio, sessio_aio.MemoryStore(), fmt, require_session=require_session
            )
        self.sessions.on("connect", self.connect)
        self.sessions.on("disconnect", self.disconnect)
        self.sessions.on("x", self.x)

    def connect(self, err: Failure | None, sid: str, session: Any) -> None:
        return None

    def disconnect(self, sid: str, session: Any, reason: str) -> None:
        self.left.set()

    def x(self, sid: str, session: Any, n: int) -> str:
        self.got.append(None if session is None else session.id)
        return "handled"

    def cookie(self) -> str:
        if isinstance(self.sessions, sessio_sync.SessionSockets):
            return self.sessions.create({"user": "alice"}).cookie
        return asyncio.run(self.sessions.create({"user": "alice"})).cookie

    def late_event(self, sid: str, n: int) -> Any:
        """Run the server's handler of ``x`` for socket `sid` now, as python-socketio runs an
        event it took in before the socket left."""
        handler = self.sio.handlers["/"]["x"]
        if self.shell == "sync":
            return handler(sid, n)
        return asyncio.run_coroutine_threadsafe(handler(sid, n), LOOPS[self.url]).result(TIMEOUT)

    @contextlib.contextmanager
    def serving(self) -> Iterator[str]:
        if isinstance(self.sio, socketio.Server):
            with run_wsgi(socketio.WSGIApp(self.sio)) as self.url:
                yield self.url
        else:
            with run_asgi(socketio.ASGIApp(self.sio)) as self.url:
                yield self.url


@pytest.mark.parametrize("shell", ["sync", "async"])
@pytest.mark.parametrize("require_session", [True, False])
def test_an_event_run_after_its_socket_left_reaches_no_handler(
    shell: str, require_session: bool
) -> None:
    app = App(shell, require_session=require_session)
    cookie = app.cookie()
    with app.serving() as url:
        client = sync_client()
        client.connect(
            url, headers={"Cookie": cookie}, transports=["websocket"], wait_timeout=TIMEOUT
        )
        sid = client.get_sid("/")
        assert sid is not None
        assert client.call("x", 1, timeout=TIMEOUT) == "handled"
        client.disconnect()
        assert app.left.wait(TIMEOUT)
        assert app.late_event(sid, 2) is None
    # The handler ran for the event the socket sent while connected, with its session, and
    # not for the late one.
    assert len(app.got) == 1 and app.got[0] is not None


@pytest.mark.parametrize("shell", ["sync", "async"])
def test_a_socket_without_a_session_still_gets_its_events(shell: str) -> None:
    app = App(shell, require_session=False)
    with app.serving() as url:
        client = sync_client()
        client.connect(url, transports=["websocket"], wait_timeout=TIMEOUT)
        assert client.call("x", 1, timeout=TIMEOUT) == "handled"
        client.disconnect()
    assert app.got == [None]
