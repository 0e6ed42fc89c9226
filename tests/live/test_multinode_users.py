"""Users over two server processes that share one Redis: rooms, emits, disconnects, sign out
everywhere, and presence that survives a node killed outright.

The setup of ``test_multinode.py`` (a threaded ``socketio.Server`` with a ``RedisManager``
under werkzeug, an ``AsyncServer`` with an ``AsyncRedisManager`` under uvicorn, a `RedisStore`
on a private redis-server), with ``user_key="user"``: every session minted here names its
user under ``"user"``. Each test has user names of its own (the cluster is shared by the
module). ``revoke_user`` runs in a third, plain Python process. Nothing sleeps: a test waits
with a deadline for a tab's event, a tab's drop, a node's record, or a count to come true.
That a tab did *not* get an event is shown with a fence, as in ``test_multinode.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
import socketio
from multinode_support import KINDS, SECRET, Minter, Node, Tab, running_nodes, tabs

from redis_server import REDIS_BINARY, RedisServer
from sessio.core._users import user_index_key

pytestmark = pytest.mark.anyio

SERVER_DISCONNECT = socketio.AsyncClient.reason.SERVER_DISCONNECT
HEARTBEAT = 0.5  # heartbeat_every in the presence test: a dead node's sockets go within 1.5 s
USERS = ["--user-key", "user", "--heartbeat", str(HEARTBEAT)]
REVOKE_PROCESS_TIMEOUT = 20.0
REVOKE_BUDGET = 1.0
TIMEOUT = 5.0


@pytest.fixture
def anyio_backend() -> str:
    # socketio.AsyncClient calls asyncio directly.
    return "asyncio"


@attrs.frozen
class Cluster:
    """Two running nodes with ``user_key="user"``, their Redis, and a session minter."""

    redis: RedisServer
    nodes: dict[str, Node]
    minter: Minter


@contextlib.contextmanager
def cluster_on(workdir: Path) -> Iterator[Cluster]:
    if shutil.which(REDIS_BINARY) is None:
        pytest.fail(f"{REDIS_BINARY} is not installed (apt-get install redis-server)")
    server = RedisServer(workdir)
    server.start()
    try:
        with running_nodes(server.url, USERS) as (nodes, minter):
            yield Cluster(server, nodes, minter)
    finally:
        server.close()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with cluster_on(tmp_path_factory.mktemp("redis-users")) as running:
        yield running


def names(*people: str) -> list[str]:
    """User names no other test uses."""
    tag = uuid.uuid4().hex[:8]
    return [f"{person}-{tag}" for person in people]


async def online(tab: Tab, user_id: str) -> int:
    count: int = await tab.call("online", {"user_id": user_id})
    return count


async def until_online(tab: Tab, user_id: str, count: int, timeout: float = TIMEOUT) -> float:
    """Ask `tab`'s node until `user_id` has `count` sockets online; when it first did."""
    async with asyncio.timeout(timeout):
        while await online(tab, user_id) != count:
            await asyncio.sleep(0.02)  # a poll interval, with the deadline above
    return time.time()


def assert_dropped(tab: Tab, reason: str) -> None:
    assert tab.reason == SERVER_DISCONNECT
    assert tab.node.wait_record("DISCONNECT", sid=tab.sid)["reason"] == reason


@pytest.mark.parametrize("origin", KINDS)
async def test_emit_to_user_reaches_every_tab_of_every_session_on_both_nodes(
    cluster: Cluster, origin: str
) -> None:
    ann, bob = names("ann", "bob")
    laptop, phone = cluster.minter.mint({"user": ann}), cluster.minter.mint({"user": ann})
    async with tabs() as open_tab:
        mine = [await open_tab(node, s) for node in cluster.nodes.values() for s in (laptop, phone)]
        theirs = [
            await open_tab(node, cluster.minter.mint({"user": bob}))
            for node in cluster.nodes.values()
        ]
        controller = await open_tab(cluster.nodes[origin], cluster.minter.mint({"role": "control"}))
        assert [await tab.call("user") for tab in mine] == [ann] * 4

        emit = {"user_id": ann, "event": "notice", "data": {"n": 1}}
        assert await controller.call("emit_to_user", emit) is True
        fence = {"user_id": bob, "event": "fence", "data": {"n": 2}}
        assert await controller.call("emit_to_user", fence) is True
        for tab in mine:
            assert await tab.event("notice") == {"n": 1}
        for tab in theirs:
            assert await tab.event("fence") == {"n": 2}
            assert "notice" not in tab.received
        assert controller.received == {}


async def test_a_login_over_a_socket_moves_it_to_the_users_room_on_its_node(
    cluster: Cluster,
) -> None:
    (dave,) = names("dave")
    async with tabs() as open_tab:
        anonymous = await open_tab(cluster.nodes["sync"], cluster.minter.mint({}))
        controller = await open_tab(cluster.nodes["async"], cluster.minter.mint({"role": "c"}))
        assert await anonymous.call("user") is None
        assert await anonymous.call("set", {"key": "user", "value": dave}) == dave
        emit = {"user_id": dave, "event": "welcome", "data": dave}
        assert await controller.call("emit_to_user", emit) is True
        assert await anonymous.event("welcome") == dave


@pytest.mark.parametrize("origin", KINDS)
async def test_disconnect_user_drops_every_tab_on_both_nodes_and_no_one_else(
    cluster: Cluster, origin: str
) -> None:
    ann, bob = names("ann", "bob")
    sessions = [cluster.minter.mint({"user": ann}) for _ in range(2)]
    async with tabs() as open_tab:
        mine = [await open_tab(node, s) for node in cluster.nodes.values() for s in sessions]
        theirs = [
            await open_tab(node, cluster.minter.mint({"user": bob}))
            for node in cluster.nodes.values()
        ]
        controller = await open_tab(cluster.nodes[origin], cluster.minter.mint({"role": "c"}))
        assert await controller.call("disconnect_user", {"user_id": ann}) is True
        await asyncio.gather(*(tab.gone() for tab in mine))
        for tab in mine:
            assert_dropped(tab, "user-revoked")
        for tab in [*theirs, controller]:
            assert tab.connected and await tab.call("user") in (bob, None)
    # Disconnecting is not signing out: the sessions are still there.
    assert all(cluster.minter.stored(s) is not None for s in sessions)


REVOKE_USER_SCRIPTS = {
    "sync": """\
import sys, time
import redis
import sessio.sync
from sessio import formats

url, secret, user_id = sys.argv[1:]
client = redis.Redis.from_url(url)
client.ping()  # a web worker's connection is already open
store = sessio.sync.RedisStore(client)
fmt = formats.express(secrets=[secret])
print(time.time(), flush=True)
print(sessio.sync.revoke_user(store, fmt, user_id, user_key="user"), flush=True)
""",
    "aio": """\
import asyncio, sys, time
import redis.asyncio
import sessio.aio
from sessio import formats

async def main(url, secret, user_id):
    client = redis.asyncio.Redis.from_url(url)
    await client.ping()  # a web worker's connection is already open
    store = sessio.aio.RedisStore(client)
    fmt = formats.express(secrets=[secret])
    print(time.time(), flush=True)
    print(await sessio.aio.revoke_user(store, fmt, user_id, user_key="user"), flush=True)
    await client.aclose()

asyncio.run(main(*sys.argv[1:]))
""",
}

REGISTER_SCRIPT = """\
import sys
import redis
import sessio.sync
from sessio import formats

url, secret, session_id, user_id = sys.argv[1:]
store = sessio.sync.RedisStore(redis.Redis.from_url(url))
print(sessio.sync.register_session(store, formats.express(secrets=[secret]), session_id, user_id))
"""


async def run_script(script: str, *args: str) -> list[str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", script, *args, stdout=asyncio.subprocess.PIPE
    )
    try:
        async with asyncio.timeout(REVOKE_PROCESS_TIMEOUT):
            output, _ = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0
    return output.decode().split()


@pytest.mark.parametrize("shell", list(REVOKE_USER_SCRIPTS))
async def test_revoke_user_from_a_plain_process_signs_the_user_out_everywhere_within_a_second(
    cluster: Cluster, shell: str
) -> None:
    ann, bob = names("ann", "bob")
    minter = cluster.minter
    opened = [minter.mint({"user": ann}) for _ in range(3)]
    registered = minter.mint({"user": ann})  # a login no socket followed
    assert await run_script(
        REGISTER_SCRIPT, cluster.redis.url, SECRET, registered.session_id, ann
    ) == ["None"]
    handed_over = minter.mint({"user": bob})  # ann's once, bob's now: must stay
    assert await run_script(
        REGISTER_SCRIPT, cluster.redis.url, SECRET, handed_over.session_id, ann
    ) == ["None"]
    async with tabs() as open_tab:
        mine = [await open_tab(node, s) for node in cluster.nodes.values() for s in opened]
        theirs = [await open_tab(node, handed_over) for node in cluster.nodes.values()]
        # Every node has indexed what it opened (a connect writes the index before it is done).
        assert all([await tab.call("user") for tab in mine])

        started, revoked = await run_script(
            REVOKE_USER_SCRIPTS[shell], cluster.redis.url, SECRET, ann
        )
        assert revoked == "4"
        dropped = await asyncio.gather(*(tab.gone(REVOKE_PROCESS_TIMEOUT) for tab in mine))
        latency = max(dropped) - float(started)
        assert 0 < latency < REVOKE_BUDGET, f"last tab dropped {latency:.3f} s after revoke_user"
        for tab in mine:
            assert_dropped(tab, "user-revoked")
        for tab in theirs:
            assert tab.connected and await tab.call("user") == bob
    for session in [*opened, registered]:
        assert minter.stored(session) is None
    assert minter.stored(handed_over) is not None
    assert minter.client.zcard(user_index_key(ann)) == 0


async def test_online_counts_every_node_and_forgets_a_node_killed_outright(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    (ann,) = names("ann")
    with cluster_on(tmp_path_factory.mktemp("redis-presence")) as running:
        doomed, survivor = running.nodes["sync"], running.nodes["async"]
        session = running.minter.mint({"user": ann})
        async with tabs() as open_tab:
            asking = await open_tab(survivor, running.minter.mint({"role": "asking"}))
            on_doomed = [await open_tab(doomed, session) for _ in range(2)]
            await open_tab(survivor, session)
            await until_online(asking, ann, 3)

            killed_at = time.time()
            doomed.kill()
            await asyncio.gather(*(tab.gone() for tab in on_doomed))
            forgotten_at = await until_online(asking, ann, 1, timeout=3 * HEARTBEAT + TIMEOUT)
            # Heartbeats with expiry: gone within three missed heartbeats (and a round trip).
            assert forgotten_at - killed_at < 3 * HEARTBEAT + 1.0
