"""The control channel on python-socketio's own client managers, with a store that has none.

Two nodes share a `MemoryStore` (no pub/sub of its own: what a `DjangoStore` deployment looks
like) and link through the client manager they already run: ``KombuManager`` on the
RabbitMQ this machine runs (127.0.0.1:5672, an exchange of the test's own) for the sync shell,
``AsyncRedisManager`` on a private redis-server for the async one. A web worker with a
write-only manager and no socket.io server logs a session out (`revoke`) and rotates another
(`rotate`); the tabs on both nodes follow.

Both managers bind their queue or subscription when a node's first client connects, and drop
what was published before: a test first emits probes through the write-only manager until a
tab on each node hears one.
"""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import pytest
import socketio
from e2e_support import SECRET, Seen

import sessio.aio
import sessio.sync
from redis_server import RedisServer
from servers import LOOPS, run_asgi, run_wsgi, sync_client, wait_for
from sessio import formats

AMQP = "amqp://guest:guest@127.0.0.1:5672//"
FMT = formats.express(secrets=[SECRET])
TIMEOUT = 10.0


def rabbitmq_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 5672), timeout=1).close()
    except OSError:
        return False
    return True


class Tabs:
    """Sync socket.io clients with a cookie; what each heard, and why it was dropped."""

    def __init__(self) -> None:
        self.heard = Seen()
        self.clients: list[socketio.Client] = []

    def open(self, url: str, cookie: str) -> int:
        index = len(self.clients)
        client = sync_client()
        client.on("probe", lambda *args: self.heard.add(f"probe{index}", args))
        client.on("disconnect", lambda *args: self.heard.add("dropped", index))
        client.connect(url, headers={"Cookie": cookie}, transports=["websocket"])
        self.clients.append(client)
        return index

    def close(self) -> None:
        for client in self.clients:
            client.disconnect()


def probe(emit: Callable[[], None], tabs: Tabs, indexes: list[int]) -> None:
    """Emit probes until every tab in `indexes` heard one: every node is listening."""

    def heard_all() -> bool:
        emit()
        return all(tabs.heard.get(f"probe{i}") for i in indexes)

    wait_for(heard_all, TIMEOUT, interval=0.1, message="both managers listening")


def sync_node(manager: socketio.Manager, store: sessio.sync.MemoryStore, seen: Seen) -> Any:
    sio = socketio.Server(async_mode="threading", client_manager=manager)
    control = sessio.sync.ManagerChannel(manager)
    sessions = sessio.sync.SessionSockets(sio, store, FMT, control=control)

    @sessions.on("whoami")
    def whoami(sid: str, session: Any) -> Any:
        return None if session is None else {"id": session.id, **session}

    @sessions.on("disconnect")
    def disconnect(sid: str, session: Any, reason: str) -> None:
        seen.add("disconnect", reason)

    return sio, sessions


def on_session(client: socketio.Client, session_id: str) -> bool:
    """Whether `client`'s socket is on session `session_id` now."""
    return bool(client.call("whoami")["id"] == session_id)


@pytest.fixture
def exchange() -> Iterator[str]:
    if not rabbitmq_up():
        pytest.fail("RabbitMQ is not running on 127.0.0.1:5672 (apt-get install rabbitmq-server)")
    yield f"sessio-test-{uuid.uuid4().hex}"


def test_kombu_manager_carries_revoke_and_rotate(exchange: str) -> None:
    store = sessio.sync.MemoryStore()
    seen = Seen()
    one, sessions = sync_node(socketio.KombuManager(AMQP, channel=exchange), store, seen)
    two, other = sync_node(socketio.KombuManager(AMQP, channel=exchange), store, seen)
    web = socketio.KombuManager(AMQP, channel=exchange, write_only=True)
    control = sessio.sync.ManagerChannel(web)
    ann = sessions.create({"user": "ann"})
    old = sessions.create({"user": None})
    new = sessions.create({"user": "bob"})
    tabs = Tabs()
    with run_wsgi(socketio.WSGIApp(one)) as url_one, run_wsgi(socketio.WSGIApp(two)) as url_two:
        try:
            ann_tabs = [tabs.open(url_one, ann.cookie), tabs.open(url_two, ann.cookie)]
            old_tabs = [tabs.open(url_one, old.cookie), tabs.open(url_two, old.cookie)]
            probe(lambda: web.emit("probe", 1), tabs, ann_tabs)

            sessio.sync.rotate(store, FMT, old.session_id, new.session_id, control=control)
            for index in old_tabs:
                client = tabs.clients[index]
                wait_for(partial(on_session, client, new.session_id), TIMEOUT, message="rotated")
                assert client.call("whoami") == {"id": new.session_id, "user": "bob"}

            sessio.sync.revoke(store, FMT, ann.session_id, control=control)
            assert sorted(tabs.heard.wait("dropped", 2, TIMEOUT)) == ann_tabs
            assert seen.wait("disconnect", 2) == ["session-revoked"] * 2
            assert all(tabs.clients[i].connected for i in old_tabs)
        finally:
            tabs.close()
            sessions.close()
            other.close()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_async_redis_manager_carries_revoke(redis_server: RedisServer) -> None:
    url = f"redis://127.0.0.1:{redis_server.port}/0"
    store = sessio.aio.MemoryStore()
    seen = Seen()
    nodes = []
    for _ in range(2):
        manager = socketio.AsyncRedisManager(url)
        sio = socketio.AsyncServer(async_mode="asgi", client_manager=manager)
        control = sessio.aio.AsyncManagerChannel(manager)
        sessions = sessio.aio.AsyncSessionSockets(sio, store, FMT, control=control)

        @sessions.on("disconnect")
        async def disconnect(sid: str, session: Any, reason: str) -> None:
            seen.add("disconnect", reason)

        nodes.append((sio, sessions))
    ann = asyncio.run(nodes[0][1].create({"user": "ann"}))

    async def web_worker(action: str) -> None:
        web = socketio.AsyncRedisManager(url, write_only=True)
        channel = sessio.aio.AsyncManagerChannel(web)
        if action == "probe":
            await web.emit("probe", 1)
        else:
            await sessio.aio.revoke(store, FMT, ann.session_id, control=channel)

    tabs = Tabs()
    with (
        run_asgi(socketio.ASGIApp(nodes[0][0])) as one,
        run_asgi(socketio.ASGIApp(nodes[1][0])) as two,
    ):
        try:
            indexes = [tabs.open(one, ann.cookie), tabs.open(two, ann.cookie)]
            probe(lambda: asyncio.run(web_worker("probe")), tabs, indexes)
            asyncio.run(web_worker("revoke"))
            assert sorted(tabs.heard.wait("dropped", 2, TIMEOUT)) == indexes
            assert seen.wait("disconnect", 2) == ["session-revoked"] * 2
        finally:
            tabs.close()
            for (_, sessions), url in zip(nodes, (one, two), strict=True):
                closing = sessions.close()
                asyncio.run_coroutine_threadsafe(closing, LOOPS[url]).result(TIMEOUT)
