"""The audit of commit 1967016, shell findings: each test failed there and passes now.

Both shells run the same scenarios: `SessionSockets` over a threaded ``socketio.Server`` under
werkzeug, `AsyncSessionSockets` over ``socketio.AsyncServer`` under uvicorn, driven by real
``socketio.Client`` connections (and raw engine.io polling requests where a test needs to
leave in the middle of a connect). The application's handlers are plain functions, which both
shells accept; calls into the async shell run on its server's loop (`Node.call`).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
import threading
import time
import uuid
from collections.abc import AsyncGenerator, Callable, Generator, Iterator
from typing import Any

import aiohttp_session
import anyio.to_thread
import pytest
import redis
import redis.asyncio
import requests
import socketio
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from e2e_support import PING_INTERVAL, PING_TIMEOUT, SECRET, TIMEOUT, Seen

from redis_server import RedisServer
from servers import LOOPS, run_asgi, run_wsgi, sync_client, wait_for
from sessio import Failure, formats
from sessio import aio as sessio_aio
from sessio import sync as sessio_sync
from sessio.core import Format
from sessio.core._control import CONTROL_CHANNEL, SUBSCRIBED, Disconnect, encode_control
from sessio.core._rooms import session_room

SHELLS = ["sync", "async"]
EXPRESS = formats.express(secrets=[SECRET])
ZERO = {"sessions": 0, "reasons": 0, "members": 0, "touched": 0, "checked": 0}


@pytest.fixture(params=SHELLS)
def shell(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


class Node:
    """One socket.io server of either shell with sessio on it, and what its handlers saw."""

    def __init__(
        self,
        shell: str,
        store: Any,
        fmt: Format = EXPRESS,
        **options: Any,
    ) -> None:
        self.shell = shell
        self.store = store
        self.seen = Seen()
        self.raise_on_disconnect = False
        self.url = ""
        self.sio: socketio.Server | socketio.AsyncServer
        self.sessions: sessio_sync.SessionSockets | sessio_aio.AsyncSessionSockets
        if shell == "sync":
            self.sio = socketio.Server(
                async_mode="threading", ping_interval=PING_INTERVAL, ping_timeout=PING_TIMEOUT
            )
            self.sessions = sessio_sync.SessionSockets(self.sio, store, fmt, **options)
        else:
            self.sio = socketio.AsyncServer(
                async_mode="asgi", ping_interval=PING_INTERVAL, ping_timeout=PING_TIMEOUT
            )
            self.sessions = sessio_aio.AsyncSessionSockets(self.sio, store, fmt, **options)
        self.sessions.on("connect", self._connect)
        self.sessions.on("disconnect", self._disconnect)

    def _connect(self, err: Failure | None, sid: str, session: Any) -> Any:
        self.seen.add("connect", (None if err is None else err.code, sid))
        return None

    def _disconnect(self, sid: str, session: Any, reason: str) -> None:
        self.seen.add("disconnect", (sid, reason))
        if self.raise_on_disconnect:
            raise RuntimeError(f"the app's disconnect handler broke for {sid}")

    def call(self, function: Callable[..., Any], *args: Any) -> Any:
        """Call a shell method from the test's thread, on the server's loop if it is async."""
        if self.shell == "sync":
            return function(*args)

        async def run() -> Any:
            result = function(*args)
            return await result if inspect.isawaitable(result) else result

        return asyncio.run_coroutine_threadsafe(run(), LOOPS[self.url]).result(TIMEOUT)

    def tables(self) -> dict[str, int]:
        counts: dict[str, int] = self.call(self.sessions.tables)
        return counts

    def sockets_known_to_socketio(self) -> int:
        """Sockets python-socketio itself still holds in "/" (connected or half-connected)."""
        return len(self.sio.manager.rooms.get("/", {}).get(None, {}))


@contextlib.contextmanager
def serve(node: Node) -> Iterator[Node]:
    if node.shell == "sync":
        assert isinstance(node.sio, socketio.Server)
        with run_wsgi(socketio.WSGIApp(node.sio)) as url:
            node.url = url
            yield node
            node.call(node.sessions.close)
    else:
        assert isinstance(node.sio, socketio.AsyncServer)
        with run_asgi(socketio.ASGIApp(node.sio)) as url:
            node.url = url
            yield node
            node.call(node.sessions.close)


@contextlib.contextmanager
def clients() -> Iterator[Callable[..., socketio.Client]]:
    """A factory of connected clients; all are disconnected at exit."""
    made: list[socketio.Client] = []

    def connect(url: str, cookie: str | None, **kwargs: Any) -> socketio.Client:
        client = sync_client()
        made.append(client)
        client.connect(
            url,
            headers={} if cookie is None else {"Cookie": cookie},
            transports=["websocket"],
            wait_timeout=TIMEOUT,
            **kwargs,
        )
        return client

    try:
        yield connect
    finally:
        for client in made:
            client.disconnect()


def redis_store(shell: str, server: RedisServer, prefix: str) -> Any:
    if shell == "sync":
        return sessio_sync.RedisStore(redis.Redis(port=server.port), key_prefix=prefix)
    return sessio_aio.RedisStore(redis.asyncio.Redis(port=server.port), key_prefix=prefix)


def memory_store(shell: str) -> Any:
    return sessio_sync.MemoryStore() if shell == "sync" else sessio_aio.MemoryStore()


def subscribers(client: redis.Redis, channel: str) -> int:
    reply: Any = client.pubsub_numsub(channel)
    return int(reply[0][1])


@pytest.fixture
def prefix() -> str:
    """A key prefix of this test's own on the run's shared private Redis."""
    return f"t{uuid.uuid4().hex[:12]}:"


# --- an exception from the app's disconnect handler stops no logout ---------------------------


@pytest.mark.parametrize("via", ["disconnect_session", "control-channel", "revalidation"])
def test_a_raising_disconnect_handler_stops_no_logout(
    shell: str,
    via: str,
    redis_server_session: RedisServer,
    prefix: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="sessio")
    plain = redis_server_session.client()
    store = redis_store(shell, redis_server_session, prefix)
    revalidate_every = 0.2 if via == "revalidation" else None
    node = Node(shell, store, revalidate_every=revalidate_every)
    heard = plain.pubsub(ignore_subscribe_messages=True)  # type: ignore[no-untyped-call]
    heard.subscribe(prefix + CONTROL_CHANNEL)
    with serve(node), clients() as connect:
        minted = node.call(node.sessions.create, {"user": "ann"})
        sockets = [connect(node.url, minted.cookie) for _ in range(3)]
        node.seen.wait("connect", 3)
        node.raise_on_disconnect = True
        wait_for(lambda: subscribers(plain, prefix + CONTROL_CHANNEL) >= 2, TIMEOUT)

        if via == "disconnect_session":
            node.call(node.sessions.disconnect_session, minted.session_id)
        elif via == "control-channel":
            message = encode_control(Disconnect(session_room(minted.session_id), "session-revoked"))
            plain.publish(prefix + CONTROL_CHANNEL, message)
        else:
            plain.delete(prefix + EXPRESS.store_key(minted.session_id))

        gone = node.seen.wait("disconnect", 3)
        wait_for(lambda: not any(client.connected for client in sockets), TIMEOUT)
        expected = "session-not-found" if via == "revalidation" else "session-revoked"
        assert sorted(reason for _, reason in gone) == [expected] * 3
        wait_for(lambda: node.tables() == ZERO, TIMEOUT, message="sessio's tables empty")

        if via == "disconnect_session":
            # Every other node is told, too.
            published = None
            deadline = time.monotonic() + TIMEOUT
            while published is None and time.monotonic() < deadline:
                published = heard.get_message(timeout=0.1)
            assert published is not None
            assert json.loads(published["data"])["room"] == session_room(minted.session_id)

    failures = [r for r in caplog.records if "disconnect handler failed" in r.getMessage()]
    assert len(failures) == 3
    assert all(r.exc_info and r.exc_info[0] is RuntimeError for r in failures)
    # The listener never took an application error for a lost channel.
    assert not [r for r in caplog.records if "control channel lost" in r.getMessage()]
    heard.close()


# --- deeply nested session data is a classified failure ---------------------------------------


def aiohttp_simple_cookie(data: dict[str, Any]) -> str:
    """The Cookie header pair aiohttp-session's SimpleCookieStorage sets for `data`."""

    async def make() -> str:
        storage = aiohttp_session.SimpleCookieStorage()
        response = web.Response()
        session = aiohttp_session.Session(None, data=None, new=True, max_age=None)
        session.update(data)
        await storage.save_session(make_mocked_request("GET", "/"), response, session)
        morsel = response.cookies[storage.cookie_name]
        return f"{morsel.key}={morsel.coded_value}"

    return asyncio.run(make())


def deep(levels: int) -> Any:
    value: Any = []
    for _ in range(levels - 1):
        value = [value]
    return value


def test_a_deeply_nested_cookie_session_is_refused_with_its_code(shell: str) -> None:
    cookie = aiohttp_simple_cookie({"user": "ann", "deep": deep(500)})
    assert len(cookie) < 2000
    node = Node(shell, memory_store(shell), formats.aiohttp(storage="simple"))
    with serve(node):
        # Served anonymously: the handler sees the failure, the client is answered.
        client = sync_client()
        client.connect(
            node.url, headers={"Cookie": cookie}, transports=["websocket"], wait_timeout=TIMEOUT
        )
        assert node.seen.wait("connect") == [("malformed-cookie", client.get_sid())]
        client.disconnect()
        node.seen.wait("disconnect")
        wait_for(lambda: node.tables() == ZERO and node.sockets_known_to_socketio() == 0)


def test_a_deeply_nested_stored_session_is_corrupt_and_refused(shell: str) -> None:
    store = memory_store(shell)
    node = Node(shell, store, require_session=True)
    sid = "deep-session"
    value = json.dumps({"cookie": {"originalMaxAge": None}, "deep": deep(500)}).encode()
    cookie = f"{EXPRESS.key}={EXPRESS.cookie_value(sid)}"
    with serve(node):
        node.call(store.set, EXPRESS.store_key(sid), value, 60)
        errors: list[Any] = []
        client = sync_client()
        client.on("connect_error", errors.append)
        with pytest.raises(socketio.exceptions.ConnectionError):
            client.connect(
                node.url, headers={"Cookie": cookie}, transports=["websocket"], wait_timeout=TIMEOUT
            )
        assert errors == [{"message": "corrupt-session", "data": {"code": "corrupt-session"}}]
        wait_for(lambda: node.tables() == ZERO and node.sockets_known_to_socketio() == 0)


def test_a_connect_handler_that_raises_refuses_and_keeps_nothing(
    shell: str, caplog: pytest.LogCaptureFixture
) -> None:
    node = Node(shell, memory_store(shell))

    def broken(err: Failure | None, sid: str, session: Any) -> None:
        raise KeyError("the app's connect handler broke")

    node.sessions.on("connect", broken)
    with serve(node):
        minted = node.call(node.sessions.create, {"user": "ann"})
        errors: list[Any] = []
        client = sync_client()
        client.on("connect_error", errors.append)
        with pytest.raises(socketio.exceptions.ConnectionError):
            client.connect(
                node.url,
                headers={"Cookie": minted.cookie},
                transports=["websocket"],
                wait_timeout=TIMEOUT,
            )
        # Refused, with nothing of why.
        assert len(errors) == 1 and "broke" not in json.dumps(errors)
        wait_for(lambda: node.tables() == ZERO and node.sockets_known_to_socketio() == 0)
    assert any(r.exc_info and r.exc_info[0] is KeyError for r in caplog.records)


# --- a client that leaves during the store read leaves nothing behind -------------------------


class GatedSyncStore(sessio_sync.MemoryStore):
    """A MemoryStore whose reads wait until the test opens the gate."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.started = 0
        self.reads = 0
        self._count = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._count:
            self.started += 1
        assert self.gate.wait(TIMEOUT)
        with self._count:
            self.reads += 1
        return super().get(key)


class GatedAsyncStore(sessio_aio.MemoryStore):
    """The async twin of `GatedSyncStore`."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.started = 0
        self.reads = 0

    async def get(self, key: str) -> bytes | None:
        self.started += 1
        assert await anyio.to_thread.run_sync(self.gate.wait, TIMEOUT)
        self.reads += 1
        return await super().get(key)


class PollingClient:
    """A socket.io client over raw engine.io polling requests, to leave at a chosen moment."""

    def __init__(self, url: str, cookie: str) -> None:
        self.http = requests.Session()
        self.http.headers["Cookie"] = cookie
        self.base = f"{url}/socket.io/?EIO=4&transport=polling"
        opened = self.http.get(self.base, timeout=TIMEOUT)
        self.url = f"{self.base}&sid={json.loads(opened.text[1:])['sid']}"
        # The server answers a socket.io CONNECT only once the connect handler is done.
        self.connecting = threading.Thread(target=self._post, args=("40",))
        self.connecting.start()

    def _post(self, body: str) -> None:
        with contextlib.suppress(requests.RequestException):
            self.http.post(self.url, data=body, timeout=TIMEOUT)

    def leave(self) -> None:
        """Close the engine.io session (a tab closed), while the CONNECT is still pending."""
        with requests.Session() as other:
            assert other.post(self.url, data="1", timeout=TIMEOUT).ok

    def close(self) -> None:
        self.connecting.join(TIMEOUT)
        self.http.close()


def test_clients_that_leave_during_the_read_leave_no_rows(shell: str) -> None:
    store = GatedSyncStore() if shell == "sync" else GatedAsyncStore()
    node = Node(shell, store, touch_every=60, revalidate_every=60)
    count = 20
    with serve(node):
        store.gate.set()
        minted = node.call(node.sessions.create, {"user": "ann"})
        store.gate.clear()
        polling = [PollingClient(node.url, minted.cookie) for _ in range(count)]
        wait_for(lambda: store.started == count, TIMEOUT, message="every read started")
        for client in polling:
            client.leave()
        store.gate.set()
        for client in polling:
            client.close()
        wait_for(lambda: store.reads == count, TIMEOUT, message="every read done")
        wait_for(
            lambda: node.tables() == ZERO and node.sockets_known_to_socketio() == 0,
            TIMEOUT,
            message="no rows left",
        )
        assert node.seen.get("connect") == []


# --- the control channel: bad messages, and revokes missed while unsubscribed -----------------


def test_a_bad_control_message_costs_no_subscription(
    shell: str, redis_server_session: RedisServer, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    plain = redis_server_session.client()
    node = Node(shell, redis_store(shell, redis_server_session, prefix))
    with serve(node), clients() as connect:
        minted = node.call(node.sessions.create, {"user": "ann"})
        client = connect(node.url, minted.cookie)
        sid = client.get_sid()
        wait_for(lambda: subscribers(plain, prefix + CONTROL_CHANNEL) == 1, TIMEOUT)
        for junk in (b"[" * 100_000, b"[" * 4000, b"\xff\xfe", b'{"op": "disconnect"}'):
            plain.publish(prefix + CONTROL_CHANNEL, junk)
        # Published right after the junk: on 1967016 the listener was resubscribing by now.
        message = encode_control(Disconnect(session_room(minted.session_id), "session-revoked"))
        plain.publish(prefix + CONTROL_CHANNEL, message)
        assert node.seen.wait("disconnect") == [(sid, "session-revoked")]
    assert not [r for r in caplog.records if "control channel lost" in r.getMessage()]
    assert [r for r in caplog.records if "skipped a message" in r.getMessage()]


def test_the_node_subscribes_when_started(
    shell: str, redis_server_session: RedisServer, prefix: str
) -> None:
    plain = redis_server_session.client()
    node = Node(shell, redis_store(shell, redis_server_session, prefix))
    with serve(node):
        assert subscribers(plain, prefix + CONTROL_CHANNEL) == 0
        node.call(node.sessions.start)
        wait_for(lambda: subscribers(plain, prefix + CONTROL_CHANNEL) == 1, TIMEOUT)
        node.call(node.sessions.start)  # once is enough
        assert subscribers(plain, prefix + CONTROL_CHANNEL) == 1


class Channel:
    """An in-process control channel whose subscription the test drops and restores.

    `publish` reaches only a live subscription, as Redis pub/sub does: what is published
    while the channel is down is lost.
    """

    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.live = threading.Event()
        self.up = threading.Event()
        self.up.set()
        self.drop = threading.Event()
        self.lock = threading.Lock()

    def publish(self, message: bytes) -> None:
        with self.lock:
            if self.live.is_set():
                self.messages.append(message)

    def next_item(self) -> bytes | None:
        """What the subscription yields next; raises once the test drops the channel."""
        if self.drop.is_set():
            self.live.clear()
            self.drop.clear()
            raise ConnectionError("the test dropped the channel")
        with self.lock:
            if self.messages:
                return self.messages.pop(0)
        return None


class ChannelSyncStore(sessio_sync.MemoryStore):
    def __init__(self, channel: Channel) -> None:
        super().__init__()
        self.channel = channel

    def publish(self, name: str, message: bytes) -> None:
        self.channel.publish(message)

    def subscribe(self, name: str) -> Generator[bytes | None, None, None]:
        if not self.channel.up.wait(0.05):
            raise ConnectionError("the test keeps the channel down")
        self.channel.live.set()
        yield SUBSCRIBED
        while True:
            time.sleep(0.01)
            yield self.channel.next_item()


class ChannelAsyncStore(sessio_aio.MemoryStore):
    def __init__(self, channel: Channel) -> None:
        super().__init__()
        self.channel = channel

    async def publish(self, name: str, message: bytes) -> None:
        self.channel.publish(message)

    async def subscribe(self, name: str) -> AsyncGenerator[bytes | None, None]:
        if not self.channel.up.is_set():
            await anyio.sleep(0.05)
            raise ConnectionError("the test keeps the channel down")
        self.channel.live.set()
        yield SUBSCRIBED
        while True:
            await anyio.sleep(0.01)
            yield self.channel.next_item()


def test_a_revoke_missed_while_unsubscribed_takes_effect_when_the_channel_is_back(
    shell: str,
) -> None:
    channel = Channel()
    store = ChannelSyncStore(channel) if shell == "sync" else ChannelAsyncStore(channel)
    # No revalidation timer: only the re-check on resubscription can find the logout.
    node = Node(shell, store)
    with serve(node), clients() as connect:
        minted = node.call(node.sessions.create, {"user": "ann"})
        client = connect(node.url, minted.cookie)
        sid = client.get_sid()
        assert channel.live.wait(TIMEOUT)
        channel.up.clear()
        channel.drop.set()
        wait_for(lambda: not channel.live.is_set(), TIMEOUT)
        # The logout happens while this node is not listening: its message is lost.
        revoke = sessio_sync.revoke if shell == "sync" else sessio_aio.revoke
        node.call(revoke, store, EXPRESS, minted.session_id)
        assert channel.messages == []
        assert client.connected
        channel.up.set()
        assert node.seen.wait("disconnect") == [(sid, "session-not-found")]


# --- intervals and close() --------------------------------------------------------------------


@pytest.mark.parametrize("argument", ["touch_every", "revalidate_every"])
@pytest.mark.parametrize("seconds", [0, -1, 0.0, float("nan"), float("inf")])
def test_intervals_must_be_positive(shell: str, argument: str, seconds: float) -> None:
    with pytest.raises(ValueError, match=argument):
        Node(shell, memory_store(shell), EXPRESS, **{argument: seconds})


def test_close_ends_the_revalidation_timer_at_once(shell: str) -> None:
    node = Node(shell, memory_store(shell), revalidate_every=3600)
    liveness = node.sessions._liveness
    if shell == "sync":
        timer = threading.Thread(target=liveness._revalidate_periodically)
        timer.start()
        node.sessions.close()
        timer.join(1.0)
        assert not timer.is_alive()
    else:

        async def main() -> None:
            assert isinstance(liveness, sessio_aio._liveness.AsyncLiveness)
            task = asyncio.create_task(liveness._revalidate_periodically())
            await asyncio.sleep(0)
            await node.sessions.close()  # type: ignore[misc]
            await asyncio.wait_for(task, 1.0)

        asyncio.run(main())
