"""sessio owns its connect and disconnect handlers, and says so when someone replaces them.

python-socketio keeps one handler per event and namespace, so a handler registered on the
server directly replaces sessio's (or is replaced by it) without a word from python-socketio.
sessio warns in either order, and a socket that connected past a replaced connect handler
never reaches a sessio event handler with ``session=None``: its events are dropped, loudly.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest
import socketio

from servers import run_wsgi, sync_client
from sessio import formats
from sessio.aio import AsyncSessionSockets
from sessio.aio import MemoryStore as AsyncMemoryStore
from sessio.sync import MemoryStore, SessionSockets

FMT = formats.express(secrets=["keyboard cat"])


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def test_handlers_on_the_server_before_sessio_are_replaced_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sio = socketio.AsyncServer(async_mode="asgi")
    sio.on("connect", lambda sid, environ: None)
    sio.on("disconnect", lambda sid, reason: None)
    sio.on("other", lambda sid: None)
    sessions = AsyncSessionSockets(sio, AsyncMemoryStore(), FMT)
    with caplog.at_level(logging.WARNING, "sessio"):
        sessions.on("chat", lambda sid, session, text: None)
    said = warnings(caplog)
    assert any("already has a connect handler; sessio replaces it" in m for m in said)
    assert any("already has a disconnect handler; sessio replaces it" in m for m in said)
    assert len(said) == 2  # "other" is no handler of sessio's: it stays, quietly
    assert "other" in sio.handlers["/"]


@pytest.mark.parametrize("event", ["connect", "disconnect", "chat"])
def test_a_handler_on_the_server_after_sessio_is_warned_about(
    event: str, caplog: pytest.LogCaptureFixture
) -> None:
    sio = socketio.AsyncServer(async_mode="asgi")
    sessions = AsyncSessionSockets(sio, AsyncMemoryStore(), FMT)
    sessions.on("chat", lambda sid, session, text: None)
    with caplog.at_level(logging.WARNING, "sessio"):
        sio.on(event, lambda *args: None)
    [said] = warnings(caplog)
    assert f"a {event!r} handler registered on the server for namespace / replaces sessio's" in said
    assert f"sessions.on({event!r})" in said


def test_an_unrelated_handler_after_sessio_is_no_concern(caplog: pytest.LogCaptureFixture) -> None:
    sio = socketio.Server(async_mode="threading")
    sessions = SessionSockets(sio, MemoryStore(), FMT)
    sessions.on("chat", lambda sid, session, text: None)
    with caplog.at_level(logging.WARNING, "sessio"):
        sio.on("ping", lambda sid: "pong")
        sio.on("connect", lambda sid, environ: None, namespace="/elsewhere")
    assert warnings(caplog) == []


def test_events_of_a_socket_sessio_did_not_see_connect_are_dropped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sio = socketio.Server(async_mode="threading", ping_interval=1, ping_timeout=2)
    sessions = SessionSockets(sio, MemoryStore(), FMT, require_session=True)
    got: list[Any] = []
    called = threading.Event()

    @sessions.on("chat")
    def chat(sid: str, session: Any, text: str) -> str:
        got.append(session)
        return "handled"

    @sio.on("connect")  # replaces sessio's: the socket connects unchecked, without a cookie
    def connect(sid: str, environ: dict[str, Any]) -> None:
        called.set()

    with caplog.at_level(logging.INFO, "sessio"), run_wsgi(socketio.WSGIApp(sio)) as url:
        client = sync_client()
        client.connect(url, transports=["websocket"], wait_timeout=5)
        try:
            assert called.wait(5)
            # An empty ack: the event reached no handler (whose ack says "handled").
            assert client.call("chat", "hi", timeout=5) is None
        finally:
            client.disconnect()
    assert got == []  # never session=None
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any("event 'chat' from socket" in m and "dropped" in m for m in errors)
