"""A session's sockets spread over two server processes that share one Redis.

One node is a threaded ``socketio.Server`` with a ``RedisManager`` under werkzeug, the other an
``AsyncServer`` with an ``AsyncRedisManager`` under uvicorn (``sessio_node.py``); both keep
sessions in a `RedisStore` on a private redis-server. Sessions are minted in this process
against the same Redis, as the web app's login would. Browser tabs are ``AsyncClient``s over
websocket. A "controller" tab of its own session asks a chosen node to run
``emit_to_session`` / ``disconnect_session``; `revoke` (``sessio.sync.revoke`` and
``sessio.aio.revoke``) runs in a third, plain Python process.

Nothing sleeps: a test waits, with a deadline, for an event a tab received, for a tab to be
dropped, or for a node's ``DISCONNECT`` record (which carries the reason its disconnect
handler got). That a tab of *another* session did not receive an event is shown with a fence:
a second emit, to that other session, from the same node right after the first; each node
handles the socket.io channel's messages in order, so when the fence has arrived, the first
emit would have too.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
from collections.abc import Iterator

import attrs
import pytest
import socketio
from multinode_support import KINDS, SECRET, Minter, Node, Tab, running_nodes, tabs

from redis_server import REDIS_BINARY, RedisServer

pytestmark = pytest.mark.anyio

SERVER_DISCONNECT = socketio.AsyncClient.reason.SERVER_DISCONNECT
# The revoking process starts a fresh interpreter first: this bounds the whole wait, the
# 1 s budget is checked against its own clock reading.
REVOKE_PROCESS_TIMEOUT = 20.0
REVOKE_BUDGET = 1.0
TABS_PER_NODE = 3  # lost-update test: N = 6 sockets over two nodes
INCREMENTS = 20  # M


@pytest.fixture
def anyio_backend() -> str:
    # socketio.AsyncClient calls asyncio directly.
    return "asyncio"


@attrs.frozen
class Cluster:
    """Two running nodes (by kind: "sync", "async"), their Redis, and a session minter."""

    redis: RedisServer
    nodes: dict[str, Node]
    minter: Minter


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """Redis first, then both nodes; at teardown the nodes go (SIGTERM) before Redis."""
    if shutil.which(REDIS_BINARY) is None:
        pytest.fail(f"{REDIS_BINARY} is not installed (apt-get install redis-server)")
    server = RedisServer(tmp_path_factory.mktemp("redis-multinode"))
    server.start()
    try:
        with running_nodes(server.url) as (nodes, minter):
            yield Cluster(server, nodes, minter)
    finally:
        server.close()


def assert_dropped_by_sessio(tab: Tab, reason: str = "session-revoked") -> None:
    """The tab saw the server disconnect it, and its node's handler was told `reason`."""
    assert tab.reason == SERVER_DISCONNECT
    record = tab.node.wait_record("DISCONNECT", sid=tab.sid)
    assert record["reason"] == reason
    assert record["session_id"] == tab.minted.session_id


async def assert_still_served(tab: Tab) -> None:
    """The tab is connected and its node answers it."""
    assert tab.connected
    answer = await tab.call("whoami")
    assert answer == {"kind": tab.node.kind, "sid": tab.sid, "session_id": tab.minted.session_id}


@pytest.mark.parametrize("origin", KINDS)
async def test_emit_to_session_reaches_every_tab_on_both_nodes(
    cluster: Cluster, origin: str
) -> None:
    target = cluster.minter.mint({"user": "alice"})
    other = cluster.minter.mint({"user": "bob"})
    control = cluster.minter.mint({"role": "control"})
    async with tabs() as open_tab:
        mine = [await open_tab(node, target) for node in cluster.nodes.values() for _ in range(2)]
        theirs = [await open_tab(node, other) for node in cluster.nodes.values()]
        controller = await open_tab(cluster.nodes[origin], control)

        emit = {"session_id": target.session_id, "event": "notice", "data": {"n": 1}}
        assert await controller.call("emit_to_session", emit) is True
        fence = {"session_id": other.session_id, "event": "fence", "data": {"n": 2}}
        assert await controller.call("emit_to_session", fence) is True

        for tab in mine:
            assert await tab.event("notice") == {"n": 1}
        for tab in theirs:
            assert await tab.event("fence") == {"n": 2}
            assert "notice" not in tab.received
        assert controller.received == {}
        assert all(tab.received["notice"] == [{"n": 1}] for tab in mine)


@pytest.mark.parametrize("origin", KINDS)
async def test_disconnect_session_drops_every_tab_on_both_nodes(
    cluster: Cluster, origin: str
) -> None:
    target = cluster.minter.mint({"user": "alice"})
    other = cluster.minter.mint({"user": "bob"})
    control = cluster.minter.mint({"role": "control"})
    async with tabs() as open_tab:
        mine = [await open_tab(node, target) for node in cluster.nodes.values() for _ in range(2)]
        theirs = [await open_tab(node, other) for node in cluster.nodes.values()]
        controller = await open_tab(cluster.nodes[origin], control)

        assert (
            await controller.call("disconnect_session", {"session_id": target.session_id}) is True
        )

        await asyncio.gather(*(tab.gone() for tab in mine))
        for tab in mine:
            assert_dropped_by_sessio(tab)
        for tab in [*theirs, controller]:
            await assert_still_served(tab)
    # Disconnecting is not logging out: the session is still there.
    assert cluster.minter.stored(target) is not None


REVOKE_SCRIPTS = {
    "sync": """\
import sys, time
import redis
import sessio.sync
from sessio import formats

url, secret, session_id = sys.argv[1:]
client = redis.Redis.from_url(url)
client.ping()  # a web worker's connection is already open
store = sessio.sync.RedisStore(client)
fmt = formats.express(secrets=[secret])
print(time.time(), flush=True)
sessio.sync.revoke(store, fmt, session_id)
print("revoked", flush=True)
""",
    "aio": """\
import asyncio, sys, time
import redis.asyncio
import sessio.aio
from sessio import formats

async def main(url, secret, session_id):
    client = redis.asyncio.Redis.from_url(url)
    await client.ping()  # a web worker's connection is already open
    store = sessio.aio.RedisStore(client)
    fmt = formats.express(secrets=[secret])
    print(time.time(), flush=True)
    await sessio.aio.revoke(store, fmt, session_id)
    print("revoked", flush=True)
    await client.aclose()

asyncio.run(main(*sys.argv[1:]))
""",
}


@pytest.mark.parametrize("shell", list(REVOKE_SCRIPTS))
async def test_revoke_from_a_plain_process_drops_every_tab_within_a_second(
    cluster: Cluster, shell: str
) -> None:
    target = cluster.minter.mint({"user": "alice"})
    other = cluster.minter.mint({"user": "bob"})
    async with tabs() as open_tab:
        mine = [await open_tab(node, target) for node in cluster.nodes.values() for _ in range(2)]
        theirs = [await open_tab(node, other) for node in cluster.nodes.values()]

        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            REVOKE_SCRIPTS[shell],
            cluster.redis.url,
            SECRET,
            target.session_id,
            stdout=asyncio.subprocess.PIPE,
        )
        try:
            async with asyncio.timeout(REVOKE_PROCESS_TIMEOUT):
                dropped = await asyncio.gather(*(tab.gone(REVOKE_PROCESS_TIMEOUT) for tab in mine))
                output, _ = await process.communicate()
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
        assert process.returncode == 0
        started_line, done_line = output.decode().split()
        assert done_line == "revoked"
        latency = max(dropped) - float(started_line)
        assert 0 < latency < REVOKE_BUDGET, f"last tab dropped {latency:.3f} s after revoke"

        for tab in mine:
            assert_dropped_by_sessio(tab)
        for tab in theirs:
            await assert_still_served(tab)
    assert cluster.minter.stored(target) is None
    assert cluster.minter.stored(other) is not None


async def test_concurrent_saves_from_both_nodes_lose_no_update(cluster: Cluster) -> None:
    """N sockets of one session, half on each node, each incrementing its own key M times at
    once: every save merges onto the stored session with compare-and-set, so all N x M land
    (and no save gives up: a socket on the busier node must not lose every race)."""
    shared = cluster.minter.mint({"user": "carol"})
    async with tabs() as open_tab:
        sockets = [
            await open_tab(node, shared)
            for node in cluster.nodes.values()
            for _ in range(TABS_PER_NODE)
        ]

        async def increment(key: str, tab: Tab) -> list[int]:
            return [await tab.call("incr", {"key": key}) for _ in range(INCREMENTS)]

        keys = [f"k{index}" for index in range(len(sockets))]
        acks = await asyncio.gather(
            *(increment(key, tab) for key, tab in zip(keys, sockets, strict=True))
        )

    assert acks == [list(range(1, INCREMENTS + 1))] * len(sockets)
    stored = cluster.minter.stored(shared)
    assert stored is not None
    assert {key: stored.get(key) for key in keys} == dict.fromkeys(keys, INCREMENTS)
    assert stored["user"] == "carol"
