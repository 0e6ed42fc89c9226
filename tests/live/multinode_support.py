"""Two sessio nodes in their own processes, one Redis, and browser tabs: the multi-node harness.

Used by ``test_multinode.py`` and by ``benchmarks/revoke_latency.py``.

`running_nodes` starts a threaded node and an asyncio node (``sessio_node.py``) against a
Redis URL, waits for their ``READY`` lines, then makes sure both are *subscribed*: Redis pub/sub
drops a message that no one is listening for, and both python-socketio's Redis manager and
sessio's control-channel listener subscribe lazily, on a node's first (session) connection. So
a warm-up socket connects to each node, and the harness waits until ``PUBSUB NUMSUB`` counts
both nodes on the socket.io channel and on sessio's control channel. At exit each node gets
SIGTERM and must print ``STOPPED`` and exit 0 (it is killed otherwise, and the harness
complains).

A `Node` collects its process's stdout lines; ``wait_record`` waits (with a deadline) for a
``CONNECT`` / ``DISCONNECT`` record. A `Tab` is an ``AsyncClient`` with a session cookie over
websocket that remembers the events it received and when (wall clock) it was dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import redis
import socketio

import sessio.sync
from servers import async_client, sync_client, wait_for
from sessio import Minted, formats
from sessio.core import StoreFormat
from sessio.core._control import CONTROL_CHANNEL

NODE_SCRIPT = Path(__file__).resolve().with_name("sessio_node.py")
SECRET = "keyboard cat"
SOCKETIO_CHANNEL = "socketio"  # python-socketio's Redis managers' default channel
KINDS = ("sync", "async")

START_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0
TIMEOUT = 5.0


def express() -> StoreFormat:
    """The format every node serves."""
    return formats.express(secrets=[SECRET])


class Node:
    """A ``sessio_node.py`` process and the records it printed."""

    def __init__(self, kind: str, redis_url: str, extra: Sequence[str] = ()) -> None:
        self.kind = kind
        options = {"--kind": kind, "--port": "0", "--redis": redis_url, "--secret": SECRET}
        arguments = [*itertools.chain(*options.items()), *extra, "--parent-pipe"]
        self.killed = False
        self.process = subprocess.Popen(
            [sys.executable, str(NODE_SCRIPT), *arguments],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, name=f"node-{kind}-stdout", daemon=True)
        self._reader.start()
        self.port = 0

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self.lines.append("EOF")
            self._changed.notify_all()

    @property
    def url(self) -> str:
        """The node's base URL (once ready)."""
        return f"http://127.0.0.1:{self.port}"

    def wait_line(self, match: Callable[[str], bool], timeout: float = TIMEOUT) -> str:
        """The first line (printed so far or soon) that `match` accepts."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self.lines:
                    if match(line):
                        return line
                if self.lines and self.lines[-1] == "EOF":
                    raise RuntimeError(f"{self.kind} node exited: {self.lines[-20:]}")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{self.kind} node printed no such line: {self.lines[-20:]}")
                self._changed.wait(remaining)

    def wait_ready(self) -> None:
        """Wait for ``READY <port>`` and remember the port."""
        line = self.wait_line(lambda line: line.startswith("READY "), START_TIMEOUT)
        self.port = int(line.split()[1])

    def records(self, tag: str) -> list[dict[str, Any]]:
        """Every ``tag`` record printed so far."""
        with self._changed:
            lines = list(self.lines)
        prefix = tag + " "
        return [json.loads(line[len(prefix) :]) for line in lines if line.startswith(prefix)]

    def wait_record(self, tag: str, timeout: float = TIMEOUT, **fields: Any) -> dict[str, Any]:
        """The first ``tag`` record whose fields include `fields`."""
        prefix = tag + " "

        def match(line: str) -> bool:
            if not line.startswith(prefix):
                return False
            record = json.loads(line[len(prefix) :])
            return all(record.get(name) == value for name, value in fields.items())

        line = self.wait_line(match, timeout)
        record: dict[str, Any] = json.loads(line[len(prefix) :])
        return record

    def kill(self) -> None:
        """SIGKILL: the node dies without a word (its sockets are not closed by it)."""
        self.killed = True
        self.process.kill()
        self.process.wait(STOP_TIMEOUT)

    def stop(self) -> str | None:
        """SIGTERM, wait for exit (kill after a deadline); what went wrong, or None."""
        if self.killed:
            self._reader.join(STOP_TIMEOUT)
            return None
        problem = None
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(STOP_TIMEOUT)
                problem = f"{self.kind} node ignored SIGTERM and was killed"
        if self.process.stdin is not None:
            self.process.stdin.close()
        self._reader.join(STOP_TIMEOUT)
        if problem is None and self.process.returncode != 0:
            problem = f"{self.kind} node exited with {self.process.returncode}"
        if problem is None and "STOPPED" not in self.lines:
            problem = f"{self.kind} node did not report STOPPED: {self.lines[-20:]}"
        return problem


class Minter:
    """Stores new sessions in the nodes' Redis, as the web app's login would."""

    def __init__(self, redis_url: str) -> None:
        self.client = redis.Redis.from_url(redis_url)
        self.fmt = express()
        self.sessions = sessio.sync.SessionSockets(
            socketio.Server(async_mode="threading"), sessio.sync.RedisStore(self.client), self.fmt
        )

    def mint(self, data: dict[str, Any] | None = None) -> Minted:
        """A new stored session."""
        return self.sessions.create(data)

    def stored(self, minted: Minted) -> dict[str, Any] | None:
        """The session's data as Redis holds it now (None: gone)."""
        raw = self.client.get(self.fmt.store_key(minted.session_id))
        if raw is None:
            return None
        document: dict[str, Any] = json.loads(raw)
        return document

    def close(self) -> None:
        """Close the Redis connection."""
        self.client.close()


def _subscribers(client: redis.Redis, channel: str) -> int:
    counts = client.pubsub_numsub(channel)
    return counts[0][1] if counts else 0


def _warm_up(nodes: list[Node], minter: Minter) -> None:
    """One session socket per node, until both nodes listen on both channels."""
    cookie = minter.mint({"role": "warm-up"}).cookie
    clients = []
    try:
        for node in nodes:
            client = sync_client()
            clients.append(client)
            client.connect(
                node.url, headers={"Cookie": cookie}, transports=["websocket"], wait_timeout=TIMEOUT
            )
        wait_for(
            lambda: all(
                _subscribers(minter.client, channel) >= len(nodes)
                for channel in (SOCKETIO_CHANNEL, CONTROL_CHANNEL)
            ),
            timeout=TIMEOUT,
            message=f"every node subscribed to {SOCKETIO_CHANNEL} and {CONTROL_CHANNEL}",
        )
    finally:
        for client in clients:
            client.disconnect()


@contextlib.contextmanager
def running_nodes(
    redis_url: str, extra: Sequence[str] = ()
) -> Iterator[tuple[dict[str, Node], Minter]]:
    """A sync and an async node on `redis_url`, subscribed and ready; ``({kind: node}, minter)``.

    `extra` goes on both nodes' command lines (``["--user-key", "user"]``).
    """
    nodes: dict[str, Node] = {}
    minter = Minter(redis_url)
    problems: list[str] = []
    body_failed = True
    try:
        for kind in KINDS:  # both start at once; imports take most of a second
            nodes[kind] = Node(kind, redis_url, extra)
        for node in nodes.values():
            node.wait_ready()
        _warm_up(list(nodes.values()), minter)
        yield nodes, minter
        body_failed = False
    finally:
        for node in nodes.values():
            problem = node.stop()
            if problem is not None:
                problems.append(problem)
        minter.close()
    if problems and not body_failed:
        raise RuntimeError("; ".join(problems))


class Tab:
    """A browser tab on one node: an ``AsyncClient`` with a session cookie, over websocket."""

    def __init__(self, node: Node, minted: Minted) -> None:
        self.node = node
        self.minted = minted
        self.client = async_client()
        self.received: dict[str, list[Any]] = {}
        self.sid = ""  # set by connect(): the socket's id in "/", as the node's handlers see it
        self.dropped_at: float | None = None
        self.reason: Any = None
        self._arrived = asyncio.Event()
        self._gone = asyncio.Event()
        self.client.on("*", self._on_event)
        self.client.on("disconnect", self._on_disconnect)

    def _on_event(self, event: str, *args: Any) -> None:
        self.received.setdefault(event, []).append(args[0] if len(args) == 1 else args)
        self._arrived.set()

    def _on_disconnect(self, reason: Any = None) -> None:
        self.dropped_at = time.time()
        self.reason = reason
        self._gone.set()

    async def connect(self) -> Tab:
        """Connect; returns self."""
        await self.client.connect(
            self.node.url,
            headers={"Cookie": self.minted.cookie},  # a fresh dict: connect() mutates it
            transports=["websocket"],
            wait_timeout=TIMEOUT,
        )
        sid = self.client.get_sid("/")
        assert sid is not None
        self.sid = sid
        return self

    @property
    def connected(self) -> bool:
        """Whether the socket is still up."""
        return self.client.connected and not self._gone.is_set()

    async def call(self, event: str, data: Any = None, timeout: float = TIMEOUT) -> Any:
        """Emit `event` and wait for its ack."""
        return await self.client.call(event, data, timeout=timeout)

    async def event(self, name: str, timeout: float = TIMEOUT) -> Any:
        """The first `name` event this tab received (waiting for it if need be)."""
        async with asyncio.timeout(timeout):
            while name not in self.received:
                self._arrived.clear()
                await self._arrived.wait()
        return self.received[name][0]

    async def gone(self, timeout: float = TIMEOUT) -> float:
        """Wait until the server dropped this tab; when that happened (``time.time()``)."""
        async with asyncio.timeout(timeout):
            await self._gone.wait()
        assert self.dropped_at is not None
        return self.dropped_at


@contextlib.asynccontextmanager
async def tabs() -> AsyncIterator[Callable[[Node, Minted], Awaitable[Tab]]]:
    """``await open_tab(node, minted)`` connects a `Tab`; all are disconnected at exit."""
    opened: list[Tab] = []

    async def open_tab(node: Node, minted: Minted) -> Tab:
        tab = Tab(node, minted)
        opened.append(tab)
        return await tab.connect()

    try:
        yield open_tab
    finally:
        async with asyncio.timeout(TIMEOUT):
            await asyncio.gather(*(tab.client.disconnect() for tab in opened))
