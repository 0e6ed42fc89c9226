"""A private Redis Cluster of three masters (no replicas), for `RedisStore` over cluster clients.

Like ``redis_server.py``: every node is a ``redis-server`` this suite starts on free ports of
127.0.0.1 (never 6379), with persistence off, in a temporary directory, and kills at teardown.
The cluster is formed with ``redis-cli --cluster create`` and handed out only once every node
says ``cluster_state:ok`` and maps all 16384 slots to the same three masters.

Each node keeps its cluster config (``nodes-P.conf``) in its own directory, so a node that is
killed and started again on the same ports rejoins as the master of its old slots (its keys
are lost: no persistence). ``cluster-port`` is set explicitly: the default bus port (port +
10000) may be taken, or past 65535.

Fixtures: ``redis_cluster_session`` (one per run, shared: never stop its nodes) and
``redis_cluster`` (one per test, free to kill and restart).
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from redis.backoff import NoBackoff
from redis.cluster import ClusterNode
from redis.crc import key_slot
from redis.retry import Retry

from redis_server import REDIS_BINARY, SHARED_REDIS_PORT, START_TIMEOUT, RedisServer
from servers import HOST, free_port

CLI_BINARY = "/usr/bin/redis-cli"
SLOTS = 16384
MASTERS = 3
# Generous: a busy machine must not get the cluster to mark a slow master as failed. A killed
# master is never failed over (there are no replicas), and while it is marked alive the other
# masters keep serving their own slots.
NODE_TIMEOUT_MS = 30_000
FORM_TIMEOUT = 30.0
# A restarted master refuses keyed commands for ~2 s (Redis's CLUSTER_WRITABLE_DELAY).
READY_TIMEOUT = 20.0


class ClusterNodeServer(RedisServer):
    """One cluster-enabled ``redis-server``: its own directory, port and bus port."""

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir)
        self.bus_port = free_port()
        if self.bus_port in (self.port, SHARED_REDIS_PORT):
            raise ValueError(f"unusable cluster bus port {self.bus_port}")

    @property
    def config_path(self) -> Path:
        """The node's cluster config: its id, its slots and its peers; kept across restarts."""
        return self.workdir / f"nodes-{self.port}.conf"

    @property
    def address(self) -> str:
        """``127.0.0.1:PORT``."""
        return f"{HOST}:{self.port}"

    def start(self, timeout: float = START_TIMEOUT) -> None:
        """Start the node (rejoining the cluster if its config says it is in one); return once
        it answers PING."""
        if self.running:
            raise RuntimeError(f"redis-server on port {self.port} is already running")
        command = [
            self.binary,
            "--port", str(self.port),
            "--bind", HOST,
            "--cluster-enabled", "yes",
            "--cluster-port", str(self.bus_port),
            "--cluster-config-file", str(self.config_path),
            "--cluster-node-timeout", str(NODE_TIMEOUT_MS),
            "--save", "",
            "--appendonly", "no",
            "--dir", str(self.workdir),
            "--logfile", str(self.log_path),
            "--daemonize", "no",
        ]  # fmt: skip
        self._process = subprocess.Popen(
            command,
            cwd=self.workdir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while not self.ping():
            if not self.running:
                raise RuntimeError(
                    f"redis-server exited while starting on port {self.port}: {self._log_tail()}"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"redis-server did not answer on port {self.port}")
            time.sleep(0.01)

    def command(self, *args: str) -> Any:
        """One command on this node alone (no cluster routing, no retries)."""
        probe = redis.Redis(
            host=HOST,
            port=self.port,
            socket_connect_timeout=0.5,
            socket_timeout=0.5,
            retry=Retry(NoBackoff(), 0),
        )
        # Typed loosely: redis-py leaves execute_command() unannotated.
        execute: Any = probe.execute_command
        try:
            return execute(*args)
        finally:
            probe.close()

    def cluster_info(self) -> dict[str, str]:
        """``CLUSTER INFO``, parsed; empty when the node does not answer."""
        try:
            raw = self.command("CLUSTER", "INFO")
        except redis.RedisError:
            return {}
        text = raw.decode() if isinstance(raw, bytes) else str(raw)
        return dict(line.split(":", 1) for line in text.split() if ":" in line)

    def slot_owners(self) -> dict[int, int] | None:
        """Which master port owns each slot, as this node sees it; None when it does not
        answer."""
        try:
            ranges = self.command("CLUSTER", "SLOTS")
        except redis.RedisError:
            return None
        owners: dict[int, int] = {}
        for start, end, master, *_replicas in ranges:
            for slot in range(int(start), int(end) + 1):
                owners[slot] = int(master[1])
        return owners


class LocalCluster:
    """Three master nodes forming one Redis Cluster on 127.0.0.1.

    ``kill(node)`` and ``restart(node)`` take a master down (SIGKILL) and bring it back on the
    same ports; ``wait_ready()`` waits until the cluster serves every slot again.
    ``client()`` hands out ``redis.RedisCluster`` clients that are closed at teardown.
    """

    def __init__(self, workdir: Path, masters: int = MASTERS) -> None:
        self.workdir = workdir
        self.nodes: list[ClusterNodeServer] = []
        for index in range(masters):
            nodedir = workdir / f"node{index}"
            nodedir.mkdir()
            self.nodes.append(ClusterNodeServer(nodedir))
        self._clients: list[redis.RedisCluster] = []

    @property
    def startup_nodes(self) -> list[ClusterNode]:
        """Every node, for a cluster client's ``startup_nodes``."""
        make: Any = ClusterNode  # unannotated in redis-py
        return [make(HOST, node.port) for node in self.nodes]

    def start(self) -> None:
        """Start every node, form the cluster, and wait until it serves every slot."""
        for node in self.nodes:
            node.start()
        command = [
            CLI_BINARY,
            "--cluster", "create",
            *(node.address for node in self.nodes),
            "--cluster-replicas", "0",
            "--cluster-yes",
        ]  # fmt: skip
        create = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=FORM_TIMEOUT,
            check=False,
        )
        if create.returncode != 0:
            raise RuntimeError(f"redis-cli --cluster create failed: {create.stdout}{create.stderr}")
        self.wait_ready(FORM_TIMEOUT)

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> None:
        """Wait until every node says ``cluster_state:ok`` and maps all slots to the same
        masters, one per node."""
        deadline = time.monotonic() + timeout
        while (problem := self._not_ready()) is not None:
            if time.monotonic() > deadline:
                raise TimeoutError(f"Redis Cluster not ready within {timeout} s: {problem}")
            time.sleep(0.05)

    def _not_ready(self) -> str | None:
        ports = {node.port for node in self.nodes}
        views = []
        for node in self.nodes:
            info = node.cluster_info()
            if info.get("cluster_state") != "ok":
                return f"{node.address}: cluster_state {info.get('cluster_state')}"
            if info.get("cluster_slots_ok") != str(SLOTS):
                return f"{node.address}: cluster_slots_ok {info.get('cluster_slots_ok')}"
            if info.get("cluster_known_nodes") != str(len(self.nodes)):
                return f"{node.address}: knows {info.get('cluster_known_nodes')} nodes"
            owners = node.slot_owners()
            if owners is None or len(owners) != SLOTS or set(owners.values()) != ports:
                return f"{node.address}: slots not covered by every master"
            views.append(owners)
        if any(view != views[0] for view in views):
            return "nodes disagree on slot owners"
        return None

    def slot_owners(self) -> dict[int, int]:
        """Which master port owns each slot, as the first node that answers sees it."""
        views = (node.slot_owners() for node in self.nodes if node.running)
        return next(view for view in views if view is not None)

    def owner(self, key: str | bytes) -> ClusterNodeServer:
        """The master that holds `key`."""
        port = self.slot_owners()[key_slot(key.encode() if isinstance(key, str) else key)]
        return next(node for node in self.nodes if node.port == port)

    def kill(self, node: ClusterNodeServer) -> None:
        """SIGKILL `node` (a crash: no shutdown, no config save) and wait until it is gone."""
        node.stop(kill=True)

    def restart(self, node: ClusterNodeServer) -> None:
        """Start `node` again on its ports with its config, and wait until the cluster is whole."""
        node.start()
        self.wait_ready()

    def client(self, **kwargs: Any) -> redis.RedisCluster:
        """A ``redis.RedisCluster`` on this cluster (bytes replies), closed at teardown."""
        client = redis.RedisCluster(startup_nodes=self.startup_nodes, **kwargs)
        self._clients.append(client)
        return client

    def close(self) -> None:
        """Close the clients handed out and kill every node."""
        for client in self._clients:
            client.close()
        self._clients.clear()
        for node in self.nodes:
            node.close()


def _started(workdir: Path) -> LocalCluster:
    # free_port() can race with another process taking a port: retry on fresh ones.
    error: Exception | None = None
    for attempt in range(3):
        attemptdir = workdir / f"attempt{attempt}"
        attemptdir.mkdir()
        cluster = LocalCluster(attemptdir)
        try:
            cluster.start()
        except (RuntimeError, TimeoutError, subprocess.TimeoutExpired, ValueError) as exc:
            error = exc
            cluster.close()
            continue
        return cluster
    raise RuntimeError("could not start a private Redis Cluster") from error


def _require_binaries() -> None:
    # Fail, not skip: a skipped cluster test would hide a missing install step in CI.
    for binary in (REDIS_BINARY, CLI_BINARY):
        if shutil.which(binary) is None:
            pytest.fail(f"{binary} is not installed (apt-get install redis-server redis-tools)")


@pytest.fixture(scope="session")
def redis_cluster_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    """A private three-master Redis Cluster shared by the whole run: never kill its nodes,
    and keep to keys of your own."""
    _require_binaries()
    cluster = _started(tmp_path_factory.mktemp("redis-cluster-session"))
    try:
        yield cluster
    finally:
        cluster.close()


@pytest.fixture
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    """A private three-master Redis Cluster for one test: free to kill and restart masters."""
    _require_binaries()
    cluster = _started(tmp_path_factory.mktemp("redis-cluster"))
    try:
        yield cluster
    finally:
        cluster.close()
