"""The end-to-end helpers work: real servers, real python-socketio clients, a private Redis."""

from __future__ import annotations

import socket
import threading
import time
import urllib.request
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any

import pytest
import redis
import socketio

from redis_server import RedisServer
from servers import (
    HOST,
    async_client,
    free_port,
    run_asgi,
    run_wsgi,
    sync_client,
    wait_for,
)

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

TRANSPORTS = [
    pytest.param(["websocket"], id="websocket"),
    pytest.param(["polling"], id="polling"),
]

# Short pings keep tests fast: engine.io's per-session ping thread (threading mode) sleeps a
# full interval before it notices its session closed, and over ASGI a polling client's
# disconnect() waits ping_interval + ping_timeout (the async server never answers the pending
# long-poll GET after the client's CLOSE packet).
PING_INTERVAL = 0.5
PING_TIMEOUT = 1.0


@pytest.fixture
def anyio_backend() -> str:
    # python-socketio's AsyncClient and AsyncServer run on asyncio only.
    return "asyncio"


class Seen:
    """What a server's handlers saw, written from server threads, read by the test."""

    def __init__(self) -> None:
        self.connected: list[tuple[str, str | None, Any]] = []
        self.disconnected: dict[str, str] = {}


def _on_connect(seen: Seen, sid: str, environ: dict[str, Any], auth: Any) -> None:
    seen.connected.append((sid, environ.get("HTTP_COOKIE"), auth))


def sync_server() -> tuple[socketio.Server, Seen]:
    """A threading-mode server that records connections and echoes the "echo" event."""
    sio = socketio.Server(
        async_mode="threading", ping_interval=PING_INTERVAL, ping_timeout=PING_TIMEOUT
    )
    seen = Seen()

    @sio.event
    def connect(sid: str, environ: dict[str, Any], auth: Any) -> None:
        _on_connect(seen, sid, environ, auth)

    @sio.event
    def disconnect(sid: str, reason: str) -> None:
        seen.disconnected[sid] = reason

    @sio.event
    def echo(sid: str, data: Any) -> dict[str, Any]:
        return {"sid": sid, "data": data}

    return sio, seen


def async_server() -> tuple[socketio.AsyncServer, Seen]:
    """The asyncio twin of ``sync_server``."""
    sio = socketio.AsyncServer(
        async_mode="asgi", ping_interval=PING_INTERVAL, ping_timeout=PING_TIMEOUT
    )
    seen = Seen()

    @sio.event
    async def connect(sid: str, environ: dict[str, Any], auth: Any) -> None:
        _on_connect(seen, sid, environ, auth)

    @sio.event
    async def disconnect(sid: str, reason: str) -> None:
        seen.disconnected[sid] = reason

    @sio.event
    async def echo(sid: str, data: Any) -> dict[str, Any]:
        return {"sid": sid, "data": data}

    return sio, seen


def hello_wsgi(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello from wsgi"]


async def hello_asgi(
    scope: Any, receive: Callable[[], Awaitable[Any]], send: Callable[[Any], Awaitable[None]]
) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"hello from asgi"})


def http_get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        body: bytes = response.read()
        return body.decode()


def helper_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith(("wsgi-", "asgi-"))]


def refuses_connections(url: str) -> bool:
    port = int(url.rsplit(":", 1)[1])
    try:
        socket.create_connection((HOST, port), timeout=1).close()
    except OSError:
        return True
    return False


# --- a sync server under run_wsgi --------------------------------------------------------------


@pytest.mark.parametrize("transports", TRANSPORTS)
def test_run_wsgi_serves_a_sync_client(transports: list[str]) -> None:
    sio, seen = sync_server()
    with run_wsgi(socketio.WSGIApp(sio, hello_wsgi)) as url:
        client = sync_client()
        client.connect(
            url,
            headers={"Cookie": "k=v"},  # a fresh dict: connect() moves the cookie out of it
            auth={"token": "t"},
            transports=transports,
            wait_timeout=5,
        )
        try:
            assert client.transport() == transports[0]
            sid = client.get_sid()
            assert sid is not None
            assert client.call("echo", [1, "two"], timeout=5) == {"sid": sid, "data": [1, "two"]}
        finally:
            client.disconnect()
        assert not client.connected
        wait_for(lambda: sid in seen.disconnected, message="server saw the disconnect")
        assert seen.connected == [(sid, "k=v", {"token": "t"})]
        assert http_get(url + "/hello") == "hello from wsgi"
    assert refuses_connections(url)
    assert helper_threads() == []


@pytest.mark.anyio
@pytest.mark.parametrize("transports", TRANSPORTS)
async def test_run_wsgi_serves_an_async_client(transports: list[str]) -> None:
    sio, seen = sync_server()
    with run_wsgi(socketio.WSGIApp(sio)) as url:
        client = async_client()
        await client.connect(url, headers={"Cookie": "k=v"}, transports=transports, wait_timeout=5)
        try:
            assert client.transport() == transports[0]
            sid = client.get_sid()
            assert await client.call("echo", {"n": 1}, timeout=5) == {"sid": sid, "data": {"n": 1}}
        finally:
            await client.disconnect()
        wait_for(lambda: sid in seen.disconnected, message="server saw the disconnect")
        assert seen.connected == [(sid, "k=v", None)]


def test_run_wsgi_closes_what_a_test_left_open() -> None:
    sio, seen = sync_server()
    client = sync_client()
    with run_wsgi(socketio.WSGIApp(sio)) as url:
        client.connect(url, transports=["websocket"], wait_timeout=5)
        sid = client.get_sid()
        started = time.monotonic()
    assert time.monotonic() - started < 2
    assert seen.disconnected == {sid: "server disconnect"}
    wait_for(lambda: not client.connected, message="client saw the server go")
    assert refuses_connections(url)
    assert helper_threads() == []


# --- an async server under run_asgi ------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("transports", TRANSPORTS)
async def test_run_asgi_serves_an_async_client(transports: list[str]) -> None:
    sio, seen = async_server()
    with run_asgi(socketio.ASGIApp(sio, hello_asgi)) as url:
        client = async_client()
        await client.connect(
            url,
            headers={"Cookie": "k=v"},
            auth={"token": "t"},
            transports=transports,
            wait_timeout=5,
        )
        try:
            assert client.transport() == transports[0]
            sid = client.get_sid()
            assert await client.call("echo", "x", timeout=5) == {"sid": sid, "data": "x"}
        finally:
            await client.disconnect()
        assert not client.connected
        wait_for(lambda: sid in seen.disconnected, message="server saw the disconnect")
        assert seen.connected == [(sid, "k=v", {"token": "t"})]
        assert http_get(url + "/hello") == "hello from asgi"
    assert refuses_connections(url)
    assert helper_threads() == []


@pytest.mark.parametrize("transports", TRANSPORTS)
def test_run_asgi_serves_a_sync_client(transports: list[str]) -> None:
    sio, seen = async_server()
    with run_asgi(socketio.ASGIApp(sio)) as url:
        client = sync_client()
        client.connect(url, headers={"Cookie": "k=v"}, transports=transports, wait_timeout=5)
        try:
            sid = client.get_sid()
            assert client.call("echo", 7, timeout=5) == {"sid": sid, "data": 7}
        finally:
            client.disconnect()
        wait_for(lambda: sid in seen.disconnected, message="server saw the disconnect")
        assert seen.connected == [(sid, "k=v", None)]


@pytest.mark.anyio
async def test_run_asgi_closes_what_a_test_left_open() -> None:
    sio, seen = async_server()
    client = async_client()
    with run_asgi(socketio.ASGIApp(sio)) as url:
        await client.connect(url, transports=["websocket"], wait_timeout=5)
        sid = client.get_sid()
        started = time.monotonic()
    assert time.monotonic() - started < 2
    assert seen.disconnected == {sid: "server disconnect"}
    deadline = time.monotonic() + 5
    while client.connected and time.monotonic() < deadline:
        await client.sleep(0.01)
    assert not client.connected
    assert refuses_connections(url)
    assert helper_threads() == []


def test_servers_can_restart_on_the_same_port() -> None:
    port = free_port()
    for _ in range(2):
        sio, _seen = sync_server()
        with run_wsgi(socketio.WSGIApp(sio, hello_wsgi), port=port) as url:
            assert url == f"http://{HOST}:{port}"
            assert http_get(url + "/") == "hello from wsgi"
    for _ in range(2):
        asio, _seen = async_server()
        with run_asgi(socketio.ASGIApp(asio, hello_asgi), port=port) as url:
            assert http_get(url + "/") == "hello from asgi"


def test_wait_for_gives_up_at_its_deadline() -> None:
    started = time.monotonic()
    with pytest.raises(TimeoutError, match="never"):
        wait_for(lambda: False, timeout=0.1, message="never")
    assert time.monotonic() - started < 1


# --- the private redis-server ------------------------------------------------------------------


def test_redis_server_answers_stops_and_comes_back(redis_server: RedisServer) -> None:
    assert redis_server.port != 6379
    assert redis_server.url == f"redis://127.0.0.1:{redis_server.port}/0"
    client = redis_server.client()
    assert client.ping()
    client.set("key", "value")

    redis_server.stop()
    assert not redis_server.ping()
    with pytest.raises(redis.ConnectionError):
        client.ping()

    redis_server.start()
    assert client.ping()  # the same client reconnects: same port
    assert client.get("key") is None  # persistence is off


def test_redis_server_can_crash(redis_server: RedisServer) -> None:
    redis_server.stop(kill=True)
    assert not redis_server.running
    assert not redis_server.ping()
    redis_server.start()
    assert redis_server.ping()


def test_redis_server_session_answers(redis_server_session: RedisServer) -> None:
    assert redis_server_session.client().ping()
