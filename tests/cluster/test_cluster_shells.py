"""Both shells on a real Redis Cluster: three masters, sessions spread over all of them.

A sync server and an async server (``cluster_support.serving_both``) share the run's private
cluster. Every test puts its sessions on chosen masters (their keys hash to slots each master
owns), so connect, save, ``disconnect_session`` and `revoke` are shown on every master, and
across the two servers through sessio's control channel on the cluster. Nothing sleeps: tests
wait, with deadlines, for acks, for drops and for subscriptions.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from cluster_support import (
    FMT,
    SHELLS,
    TIMEOUT,
    Node,
    Shell,
    Tab,
    async_cluster_client,
    login,
    refused_with,
    serving_both,
    stored,
    sync_cluster_client,
    tabs,
    wait_subscribed,
)

import sessio.aio
import sessio.sync
from redis_cluster import LocalCluster
from sessio.aio.stores.redis import RedisStore as AsyncRedisStore
from sessio.sync.stores.redis import RedisStore

SAVES = 10


@pytest.fixture(scope="module")
def nodes(redis_cluster_session: LocalCluster) -> Iterator[dict[Shell, Node]]:
    """A server of each shell on the run's cluster, both listening on the control channel."""
    with serving_both(redis_cluster_session) as servers:
        # The listeners start with the first session socket on each server.
        sid = login(redis_cluster_session, redis_cluster_session.nodes[0], {"role": "warm-up"})
        with tabs() as open_tab:
            for node in servers.values():
                open_tab(node, sid)
            wait_subscribed(redis_cluster_session, len(servers))
        yield servers


@pytest.fixture
def cluster(redis_cluster_session: LocalCluster) -> LocalCluster:
    return redis_cluster_session


def test_the_cluster_spreads_slots_over_three_masters(cluster: LocalCluster) -> None:
    owners = cluster.slot_owners()
    assert len(owners) == 16384
    assert set(owners.values()) == {node.port for node in cluster.nodes}
    sids = [login(cluster, master, {}) for master in cluster.nodes]
    assert [cluster.owner(FMT.store_key(sid)) for sid in sids] == cluster.nodes


@pytest.mark.parametrize("shell", SHELLS)
def test_connect_and_save_on_every_master(
    cluster: LocalCluster, nodes: dict[Shell, Node], shell: Shell
) -> None:
    node = nodes[shell]
    with tabs() as open_tab:
        for master in cluster.nodes:
            sid = login(cluster, master, {"user": f"user-{master.port}"})
            tab = open_tab(node, sid)
            assert tab.call("whoami") == sid
            assert tab.call("set", {"key": "n", "value": 1}) == {"saved": 1}
            assert tab.call("set", {"key": "n", "value": 2}) == {"saved": 2}
            session = stored(cluster, sid)
            assert session is not None
            assert (session["user"], session["n"]) == (f"user-{master.port}", 2)
            # A session that is not there is not found, not "unavailable", on every master.
            missing = login(cluster, master, {})
            with sync_cluster_client(cluster) as client:
                client.delete(FMT.store_key(missing))
            assert refused_with(node, missing) == [
                {"message": "session-not-found", "data": {"code": "session-not-found"}}
            ]


def saves(tab: Tab, key: str, start: threading.Barrier, answers: list[Any]) -> None:
    """`SAVES` acked saves of `key` by `tab`, once the other saver is ready too."""
    start.wait(TIMEOUT)
    for value in range(1, SAVES + 1):
        answers.append(tab.call("set", {"key": key, "value": value}))


@pytest.mark.parametrize(
    "placement", [("sync", "sync"), ("aio", "aio"), ("sync", "aio")], ids="-".join
)
def test_concurrent_saves_of_one_session_keep_both_keys(
    cluster: LocalCluster, nodes: dict[Shell, Node], placement: tuple[Shell, Shell]
) -> None:
    for master in cluster.nodes:
        sid = login(cluster, master, {"user": "alice"})
        with tabs() as open_tab:
            pair = [open_tab(nodes[kind], sid) for kind in placement]
            answers: dict[str, list[Any]] = {"a": [], "b": []}
            start = threading.Barrier(2)

            workers = [
                threading.Thread(target=saves, args=(tab, key, start, answers[key]))
                for tab, key in zip(pair, answers, strict=True)
            ]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join(30)
            assert not any(worker.is_alive() for worker in workers)
        for key in answers:
            assert answers[key] == [{"saved": value} for value in range(1, SAVES + 1)]
        session = stored(cluster, sid)
        assert session is not None
        assert (session["user"], session["a"], session["b"]) == ("alice", SAVES, SAVES)


@pytest.mark.parametrize("origin", SHELLS)
def test_disconnect_session_drops_its_sockets_on_both_servers(
    cluster: LocalCluster, nodes: dict[Shell, Node], origin: Shell
) -> None:
    with tabs() as open_tab:
        controller = open_tab(nodes[origin], login(cluster, cluster.nodes[0], {"role": "ctl"}))
        for master in cluster.nodes:
            target = login(cluster, master, {"user": "alice"})
            other = login(cluster, master, {"user": "bob"})
            mine = [open_tab(node, target) for node in nodes.values()]
            theirs = [open_tab(node, other) for node in nodes.values()]

            assert controller.call("disconnect_session", {"session_id": target}) is True

            assert [tab.dropped_because() for tab in mine] == ["session-revoked"] * 2
            for tab in theirs:
                assert tab.connected
                assert tab.call("whoami") == other
            # Disconnecting is not logging out.
            assert stored(cluster, target) is not None
        assert controller.call("whoami") is not None


def revoke_with(shell: Shell, cluster: LocalCluster, sid: str) -> None:
    """``sessio.<shell>.revoke(sid)`` from a process with a cluster client of its own.

    A fresh ``redis.asyncio.RedisCluster`` (redis-py 8.1) cannot start while the master it
    takes as its default node (the first in ``CLUSTER SLOTS``) is down: its initialize()
    sends COMMAND there. A fresh ``redis.RedisCluster`` can.
    """
    if shell == "sync":
        with sync_cluster_client(cluster) as client:
            sessio.sync.revoke(RedisStore(client), FMT, sid)
        return

    async def revoke() -> None:
        client = async_cluster_client(cluster)
        try:
            await sessio.aio.revoke(AsyncRedisStore(client), FMT, sid)
        finally:
            await client.aclose()

    asyncio.run(revoke())


@pytest.mark.parametrize("shell", SHELLS)
def test_revoke_logs_out_everywhere(
    cluster: LocalCluster, nodes: dict[Shell, Node], shell: Shell
) -> None:
    with tabs() as open_tab:
        for master in cluster.nodes:
            target = login(cluster, master, {"user": "alice"})
            other = login(cluster, master, {"user": "bob"})
            mine = [open_tab(node, target) for node in nodes.values() for _ in range(2)]
            theirs = [open_tab(node, other) for node in nodes.values()]

            revoke_with(shell, cluster, target)

            assert [tab.dropped_because() for tab in mine] == ["session-revoked"] * 4
            assert stored(cluster, target) is None
            for tab in theirs:
                assert tab.connected
                assert tab.call("whoami") == other
            for node in nodes.values():
                assert refused_with(node, target) == [
                    {"message": "session-not-found", "data": {"code": "session-not-found"}}
                ]
