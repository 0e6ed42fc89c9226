"""sessio servers of both shells on a private Redis Cluster, and browser tabs to drive them.

`serving` runs one in this process: ``AsyncSessionSockets`` on an ``AsyncServer`` under uvicorn
(``"aio"``) or ``SessionSockets`` on a threaded ``Server`` under werkzeug (``"sync"``), over
`RedisStore` on a ``redis.asyncio.RedisCluster`` / ``redis.RedisCluster`` of its own. No
socket.io client manager: what crosses servers here is sessio's control channel, nothing else.
The Redis clients fail fast (one immediate retry, 1 s socket timeouts), as docs/stores.md
advises, so that a dead master shows as ``store-unavailable`` at once.

Handlers (acked):

- ``connect``: a socket without a session is refused with ``{"code": err.code}``;
- ``set`` ``{"key", "value"}``: sets and saves; ``{"saved": value}`` or ``{"error": code}``;
- ``disconnect_session`` ``{"session_id"}``: ``sessions.disconnect_session``; True;
- ``whoami``: the session's id; ``ping``: ``"pong"``, without the store.

Sessions are written as express-session + connect-redis write them at login, under an id
chosen so that the key lands on the master a test asks for.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, Literal
from urllib.parse import quote

import redis
import redis.asyncio
import socketio
from redis.asyncio.cluster import ClusterNode as AsyncClusterNode
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff
from redis.crc import key_slot
from redis.retry import Retry

import sessio.aio
import sessio.sync
from redis_cluster import ClusterNodeServer, LocalCluster
from servers import HOST, run_asgi, run_wsgi, sync_client, wait_for
from sessio import Failure, SessionError, formats
from sessio.aio._session import AsyncSession
from sessio.aio.stores.redis import RedisStore as AsyncRedisStore
from sessio.core._control import CONTROL_CHANNEL
from sessio.sync._session import Session
from sessio.sync.stores.redis import RedisStore

Shell = Literal["sync", "aio"]
SHELLS: tuple[Shell, ...] = ("sync", "aio")

SECRET = "keyboard cat"
FMT = formats.express(secrets=[SECRET])
REDIS_TIMEOUT = 1.0
TIMEOUT = 10.0
DOWN = {"error": "store-unavailable"}
# Short pings keep server shutdown quick; a generous timeout keeps a busy machine from
# dropping sockets the tests expect to stay.
PING_INTERVAL = 1.0
PING_TIMEOUT = 5.0


def sync_cluster_client(cluster: LocalCluster) -> redis.RedisCluster:
    """A fail-fast ``redis.RedisCluster`` on `cluster` (the caller closes it)."""
    return redis.RedisCluster(
        startup_nodes=cluster.startup_nodes,
        retry=Retry(NoBackoff(), 1),
        socket_timeout=REDIS_TIMEOUT,
        socket_connect_timeout=REDIS_TIMEOUT,
    )


def async_cluster_client(
    cluster: LocalCluster, cls: type[redis.asyncio.RedisCluster] = redis.asyncio.RedisCluster
) -> redis.asyncio.RedisCluster:
    """A fail-fast ``redis.asyncio.RedisCluster`` (or `cls`) on `cluster` (the caller closes
    it, on the loop that used it)."""
    return cls(
        startup_nodes=[AsyncClusterNode(HOST, node.port) for node in cluster.nodes],
        retry=AsyncRetry(NoBackoff(), 1),
        socket_timeout=REDIS_TIMEOUT,
        socket_connect_timeout=REDIS_TIMEOUT,
    )


# --- sessions, as the web app's login writes them ---------------------------------------------


def cookie_for(sid: str) -> str:
    """The ``connect.sid`` pair express-session sets for `sid`."""
    mac = hmac.new(SECRET.encode(), sid.encode(), hashlib.sha256).digest()
    signature = base64.b64encode(mac).decode().rstrip("=")
    return f"connect.sid={quote(f's:{sid}.{signature}', safe='')}"


def sid_on(cluster: LocalCluster, master: ClusterNodeServer) -> str:
    """A fresh session id whose store key lives on `master`."""
    owners = cluster.slot_owners()
    while True:
        sid = secrets.token_urlsafe(24)
        if owners[key_slot(FMT.store_key(sid).encode())] == master.port:
            return sid


def login(cluster: LocalCluster, master: ClusterNodeServer, data: dict[str, Any]) -> str:
    """Store a new session on `master`, as express-session + connect-redis do; its id."""
    sid = sid_on(cluster, master)
    cookie = {"originalMaxAge": None, "expires": None, "httpOnly": True, "path": "/"}
    with sync_cluster_client(cluster) as client:
        client.set(FMT.store_key(sid), json.dumps({"cookie": cookie, **data}), ex=3600)
    return sid


def stored(cluster: LocalCluster, sid: str) -> dict[str, Any] | None:
    """The session's JSON as the cluster holds it now (None: gone)."""
    with sync_cluster_client(cluster) as client:
        raw = client.get(FMT.store_key(sid))
    assert raw is None or isinstance(raw, bytes)
    return None if raw is None else dict(json.loads(raw))


def control_subscribers(cluster: LocalCluster) -> int:
    """Subscriptions to sessio's control channel, over every node that answers."""
    total = 0
    for node in cluster.nodes:
        try:
            counts = node.command("PUBSUB", "NUMSUB", CONTROL_CHANNEL)
        except redis.RedisError:
            continue
        total += int(counts[1])
    return total


def wait_subscribed(cluster: LocalCluster, listeners: int) -> None:
    """Wait until `listeners` control-channel listeners are subscribed: Redis pub/sub drops a
    message that no one is listening for."""
    wait_for(
        lambda: control_subscribers(cluster) >= listeners,
        timeout=TIMEOUT,
        message=f"{listeners} control-channel subscriptions",
    )


# --- servers -----------------------------------------------------------------------------------


class Records:
    """What a server's connect and disconnect handlers saw, from any thread; waitable."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self.connects: list[str | None] = []  # None, or the failure code
        self.disconnects: dict[str, str] = {}  # socket sid -> reason

    def connected(self, err: Failure | None) -> None:
        with self._changed:
            self.connects.append(None if err is None else err.code)
            self._changed.notify_all()

    def disconnected(self, sid: str, reason: Any) -> None:
        with self._changed:
            self.disconnects[sid] = str(reason)
            self._changed.notify_all()

    def reason(self, sid: str, timeout: float = TIMEOUT) -> str:
        """The reason the disconnect handler of socket `sid` got (waiting for it)."""
        with self._changed:
            if not self._changed.wait_for(lambda: sid in self.disconnects, timeout):
                raise TimeoutError(f"no disconnect of {sid} within {timeout} s")
            return self.disconnects[sid]


def refuse(err: Failure) -> socketio.exceptions.ConnectionRefusedError:
    return socketio.exceptions.ConnectionRefusedError(err.code, {"code": err.code})


class Node:
    """A running sessio server; `url` once serving."""

    def __init__(self, kind: Shell) -> None:
        self.kind = kind
        self.records = Records()
        self.url = ""


class OnLoop:
    """An ASGI app that remembers the event loop serving it, to close the store there."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app
        self.loop: asyncio.AbstractEventLoop | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.loop = asyncio.get_running_loop()
        await self.app(scope, receive, send)

    def run(self, coroutine: Callable[[], Awaitable[None]]) -> None:
        """Run `coroutine` on the serving loop, if one has served anything."""
        if self.loop is not None:

            async def call() -> None:
                await coroutine()

            asyncio.run_coroutine_threadsafe(call(), self.loop).result(TIMEOUT)


@contextlib.contextmanager
def _serving_aio(cluster: LocalCluster, node: Node) -> Iterator[None]:
    client = async_cluster_client(cluster)
    sio = socketio.AsyncServer(
        async_mode="asgi", ping_interval=PING_INTERVAL, ping_timeout=PING_TIMEOUT
    )
    sessions = sessio.aio.AsyncSessionSockets(sio, AsyncRedisStore(client), FMT)
    records = node.records

    @sessions.on("connect")
    async def connect(err: Failure | None, sid: str, session: AsyncSession | None) -> None:
        records.connected(err)
        if err is not None:
            raise refuse(err)

    @sessions.on("disconnect")
    async def disconnect(sid: str, session: AsyncSession | None, reason: Any) -> None:
        records.disconnected(sid, reason)

    @sessions.on("set")
    async def set_(sid: str, session: AsyncSession, data: dict[str, Any]) -> Any:
        session[data["key"]] = data["value"]
        try:
            await session.save()
        except SessionError as error:
            return {"error": error.code}
        return {"saved": data["value"]}

    @sessions.on("disconnect_session")
    async def disconnect_session(sid: str, session: AsyncSession, data: dict[str, Any]) -> bool:
        await sessions.disconnect_session(data["session_id"])
        return True

    @sessions.on("whoami")
    async def whoami(sid: str, session: AsyncSession) -> str | None:
        return session.id

    @sessions.on("ping")
    async def ping(sid: str, session: AsyncSession) -> str:
        return "pong"

    app = OnLoop(socketio.ASGIApp(sio))
    with run_asgi(app) as url:
        node.url = url
        try:
            yield
        finally:
            app.run(sessions.close)
            app.run(client.aclose)


@contextlib.contextmanager
def _serving_sync(cluster: LocalCluster, node: Node) -> Iterator[None]:
    client = sync_cluster_client(cluster)
    sio = socketio.Server(
        async_mode="threading", ping_interval=PING_INTERVAL, ping_timeout=PING_TIMEOUT
    )
    sessions = sessio.sync.SessionSockets(sio, RedisStore(client), FMT)
    records = node.records

    @sessions.on("connect")
    def connect(err: Failure | None, sid: str, session: Session | None) -> None:
        records.connected(err)
        if err is not None:
            raise refuse(err)

    @sessions.on("disconnect")
    def disconnect(sid: str, session: Session | None, reason: Any) -> None:
        records.disconnected(sid, reason)

    @sessions.on("set")
    def set_(sid: str, session: Session, data: dict[str, Any]) -> Any:
        session[data["key"]] = data["value"]
        try:
            session.save()
        except SessionError as error:
            return {"error": error.code}
        return {"saved": data["value"]}

    @sessions.on("disconnect_session")
    def disconnect_session(sid: str, session: Session, data: dict[str, Any]) -> bool:
        sessions.disconnect_session(data["session_id"])
        return True

    @sessions.on("whoami")
    def whoami(sid: str, session: Session) -> str | None:
        return session.id

    @sessions.on("ping")
    def ping(sid: str, session: Session) -> str:
        return "pong"

    with run_wsgi(socketio.WSGIApp(sio)) as url:
        node.url = url
        try:
            yield
        finally:
            sessions.close()
            client.close()


@contextlib.contextmanager
def serving(kind: Shell, cluster: LocalCluster) -> Iterator[Node]:
    """A sessio server of shell `kind` on `cluster`, until exit."""
    node = Node(kind)
    with (_serving_aio if kind == "aio" else _serving_sync)(cluster, node):
        yield node


@contextlib.contextmanager
def serving_both(cluster: LocalCluster) -> Iterator[dict[Shell, Node]]:
    """A server of each shell on `cluster`, by shell."""
    with serving("sync", cluster) as sync_node, serving("aio", cluster) as aio_node:
        yield {"sync": sync_node, "aio": aio_node}


# --- tabs --------------------------------------------------------------------------------------


class Tab:
    """A browser tab on one server: a ``socketio.Client`` with a session cookie, over websocket."""

    def __init__(self, node: Node, sid: str) -> None:
        self.node = node
        self.session_id = sid
        self.client = sync_client()
        self.sid = ""  # the socket's id, once connected
        self._gone = threading.Event()
        self.client.on("disconnect", self._on_disconnect)

    def _on_disconnect(self, reason: Any = None) -> None:
        self._gone.set()

    def connect(self) -> Tab:
        """Connect; returns self."""
        self.client.connect(
            self.node.url,
            headers={"Cookie": cookie_for(self.session_id)},
            transports=["websocket"],
            wait_timeout=TIMEOUT,
        )
        sid = self.client.get_sid("/")
        assert sid is not None
        self.sid = sid
        return self

    def call(self, event: str, data: Any = None) -> Any:
        """Emit `event` and wait for its ack."""
        return self.client.call(event, data, timeout=TIMEOUT)

    def dropped_because(self) -> str:
        """Wait until the server dropped this tab; the reason its disconnect handler got."""
        if not self._gone.wait(TIMEOUT):
            raise TimeoutError(f"tab {self.sid} on {self.node.kind} was not dropped")
        return self.node.records.reason(self.sid)

    @property
    def connected(self) -> bool:
        """Whether the socket is still up."""
        return self.client.connected and not self._gone.is_set()


@contextlib.contextmanager
def tabs() -> Iterator[Callable[[Node, str], Tab]]:
    """``open_tab(node, sid)`` connects a `Tab`; all are disconnected at exit."""
    opened: list[Tab] = []

    def open_tab(node: Node, sid: str) -> Tab:
        tab = Tab(node, sid)
        opened.append(tab)
        return tab.connect()

    try:
        yield open_tab
    finally:
        for tab in opened:
            tab.client.disconnect()


def refused_with(node: Node, sid: str) -> list[Any]:
    """Connect with `sid`'s cookie, expecting a refusal; what the client's connect_error got."""
    errors: list[Any] = []
    client = sync_client()
    client.on("connect_error", errors.append)
    try:
        client.connect(
            node.url,
            headers={"Cookie": cookie_for(sid)},
            transports=["websocket"],
            wait_timeout=TIMEOUT,
        )
    except socketio.exceptions.ConnectionError:
        return errors
    client.disconnect()
    raise AssertionError(f"{node.kind} accepted session {sid}")


def until(check: Callable[[], Any], what: str, timeout: float = TIMEOUT) -> Any:
    """Call `check` until it returns something true (a deadline, not a sleep); return it."""
    deadline = time.monotonic() + timeout
    while not (result := check()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not within {timeout} s")
        time.sleep(0.02)
    return result
