"""A master of the cluster crashes (SIGKILL) under both shells, and comes back.

A cluster of its own for the test, and a server of each shell on it. The master that is
killed is the one the control-channel listeners are subscribed to, so that the channel has to
move: while it is down, sessions on it fail with ``store-unavailable`` (and only those: the
other masters serve theirs), the servers stay up, the listeners subscribe again on a live
node and `revoke` / ``disconnect_session`` still reach both servers. Started again on the same
ports with its node config, the master rejoins as the owner of its old slots, empty (no
persistence): its old sessions are gone, new ones work.
"""

from __future__ import annotations

import functools
from typing import Any

import socketio
from cluster_support import (
    DOWN,
    SHELLS,
    Tab,
    login,
    refused_with,
    serving_both,
    stored,
    tabs,
    until,
    wait_subscribed,
)
from test_cluster_shells import revoke_with

from redis_cluster import ClusterNodeServer, LocalCluster
from sessio.core._control import CONTROL_CHANNEL


def subscribed_node(cluster: LocalCluster) -> ClusterNodeServer:
    """The node with the most control-channel subscriptions."""
    counts = {
        node.port: int(node.command("PUBSUB", "NUMSUB", CONTROL_CHANNEL)[1])
        for node in cluster.nodes
    }
    return next(node for node in cluster.nodes if node.port == max(counts, key=counts.__getitem__))


def served(tab: Tab) -> Any:
    """A save's answer, unless it is still ``store-unavailable`` (then None).

    A tab whose session the store no longer holds may be dropped before it asks: the node
    re-checks every session when its control-channel subscription is back. Its disconnect
    reason is then the answer, as the error a save would have given.
    """
    if not tab.connected:
        return {"error": tab.dropped_because()}
    try:
        answer = tab.call("set", {"key": "n", "value": 4})
    except socketio.exceptions.BadNamespaceError:
        return {"error": tab.dropped_because()}
    return None if answer == DOWN else answer


NOT_FOUND = {"error": "session-not-found"}
UNAVAILABLE = [{"message": "store-unavailable", "data": {"code": "store-unavailable"}}]


RESTART_TIMEOUT = 30.0


def test_a_master_killed_and_restarted(redis_cluster: LocalCluster) -> None:
    cluster = redis_cluster
    with serving_both(cluster) as nodes, tabs() as open_tab:
        for node in nodes.values():
            open_tab(node, login(cluster, cluster.nodes[0], {"role": "warm-up"}))
        wait_subscribed(cluster, len(nodes))
        victim = subscribed_node(cluster)
        others = [master for master in cluster.nodes if master is not victim]

        doomed = login(cluster, victim, {"user": "alice"})
        doomed_tabs = [open_tab(node, doomed) for node in nodes.values()]
        safe = {master.port: login(cluster, master, {"user": "bob"}) for master in others}
        safe_tabs = [open_tab(node, sid) for node in nodes.values() for sid in safe.values()]
        controller = open_tab(nodes["aio"], login(cluster, others[0], {"role": "control"}))
        for tab in [*doomed_tabs, *safe_tabs]:
            assert tab.call("set", {"key": "n", "value": 1}) == {"saved": 1}

        # --- the master goes down -----------------------------------------------------------
        cluster.kill(victim)
        for tab in doomed_tabs:
            assert tab.call("set", {"key": "n", "value": 2}) == DOWN
            assert tab.connected
            assert tab.call("ping") == "pong"
        for node in nodes.values():
            assert refused_with(node, doomed) == UNAVAILABLE
            assert node.records.connects[-1] == "store-unavailable"
        # The other masters serve their sessions as before.
        for tab in safe_tabs:
            assert tab.call("set", {"key": "n", "value": 2}) == {"saved": 2}

        # The listeners lost their node; they subscribe again on a live one, and revoke and
        # disconnect_session reach both servers through it. (The sync revoke: a fresh
        # redis.asyncio.RedisCluster cannot start while the first master is down, see
        # `revoke_with`; the async server's long-lived client publishes here instead.)
        wait_subscribed(cluster, len(nodes))
        revoked, disconnected = safe.values()
        revoke_with("sync", cluster, revoked)
        assert controller.call("disconnect_session", {"session_id": disconnected}) is True
        # The session that disconnect_session dropped is still stored: only the channel can
        # have told the nodes. The revoked one may also be found gone by the re-check each
        # node starts when its subscription is back (still reading when revoke deleted it).
        by_session = {
            sid: [tab.dropped_because() for tab in safe_tabs if tab.session_id == sid]
            for sid in safe.values()
        }
        assert by_session[disconnected] == ["session-revoked"] * 2
        assert set(by_session[revoked]) <= {"session-revoked", "session-not-found"}
        assert len(by_session[revoked]) == 2
        assert stored(cluster, revoked) is None
        assert stored(cluster, disconnected) is not None
        # Still down: still the same clear failure, never "session-not-found".
        for tab in doomed_tabs:
            assert tab.call("set", {"key": "n", "value": 3}) == DOWN

        # --- the master is back, empty ------------------------------------------------------
        cluster.restart(victim)
        for tab in doomed_tabs:
            assert (
                # The cluster clients find the restarted master when they next refresh their
                # view of the slots; on a loaded machine that can take more than TIMEOUT.
                until(
                    functools.partial(served, tab),
                    "service on the restarted master",
                    timeout=RESTART_TIMEOUT,
                )
                == NOT_FOUND
            )
        assert stored(cluster, doomed) is None

        # The user logs in again, on the same master: served by both shells, and logged out
        # everywhere by either shell's revoke.
        for shell in SHELLS:
            fresh = login(cluster, victim, {"user": "alice"})
            fresh_tabs = [open_tab(node, fresh) for node in nodes.values()]
            for value, tab in enumerate(fresh_tabs, 1):
                assert tab.call("set", {"key": "n", "value": value}) == {"saved": value}
            session: Any = stored(cluster, fresh)
            assert (session["user"], session["n"]) == ("alice", 2)
            wait_subscribed(cluster, len(nodes))
            revoke_with(shell, cluster, fresh)
            assert [tab.dropped_because() for tab in fresh_tabs] == ["session-revoked"] * 2
