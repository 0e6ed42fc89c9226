"""Redis restarted under traffic: no crash, clear failures while it is down, service after.

A real server of each shell (``AsyncSessionSockets`` under uvicorn, ``SessionSockets`` in
threading mode under werkzeug) keeps its sessions in `RedisStore` on a private redis-server.
Its Redis client fails fast and reconnects by itself (``retry=Retry(NoBackoff(), 1)`` and
short socket timeouts, as docs/stores.md advises). A client does acknowledged saves
in a loop while the test stops Redis and starts it again on the same port; nothing on the
server is restarted. Redis runs without persistence, so its sessions are lost with it: after
the restart the web app logs the user in again (a new session), and the old one is gone.
"""

from __future__ import annotations

import abc
import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, Literal
from urllib.parse import quote

import anyio
import pytest
import redis
import redis.asyncio
import socketio
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff
from redis.retry import Retry

import sessio.aio
import sessio.sync
from redis_server import RedisServer
from servers import HOST, async_client, run_asgi, run_wsgi
from sessio import Failure, SessionError, formats
from sessio.aio._session import AsyncSession
from sessio.aio.stores.redis import RedisStore as AsyncRedisStore
from sessio.sync._session import Session
from sessio.sync.stores.redis import RedisStore

pytestmark = pytest.mark.anyio

Shell = Literal["aio", "sync"]

SECRET = "keyboard cat"
FMT = formats.express(secrets=[SECRET])
# How long the server's Redis client waits on a socket: a dead Redis fails a call at once
# (connection refused); this bounds a hung one.
REDIS_TIMEOUT = 1.0
TIMEOUT = 10.0
# A failing save must be answered about as fast as the client's timeouts allow.
FAST = 2 * REDIS_TIMEOUT
DOWN = {"error": "store-unavailable"}


@pytest.fixture
def anyio_backend() -> str:
    # redis.asyncio, socketio.AsyncClient and AsyncServer run on asyncio only.
    return "asyncio"


@pytest.fixture(params=["aio", "sync"])
def shell(request: pytest.FixtureRequest) -> Shell:
    """Which shell serves the test."""
    name: Shell = request.param
    return name


def login(redis_server: RedisServer, data: dict[str, Any]) -> tuple[str, str]:
    """What the web app does at login (express-session + connect-redis): the session JSON in
    Redis, and the signed cookie; its sid and the Cookie header pair. A client of its own, so
    that no connection from before a restart is reused."""
    sid = secrets.token_urlsafe(24)
    cookie = {"originalMaxAge": None, "expires": None, "httpOnly": True, "path": "/"}
    with redis.Redis(host=HOST, port=redis_server.port) as client:
        client.set(f"sess:{sid}", json.dumps({"cookie": cookie, **data}), ex=3600)
    mac = hmac.new(SECRET.encode(), sid.encode(), hashlib.sha256).digest()
    signature = base64.b64encode(mac).decode().rstrip("=")
    return sid, f"connect.sid={quote(f's:{sid}.{signature}', safe='')}"


def stored(redis_server: RedisServer, sid: str) -> dict[str, Any] | None:
    """The session's JSON as Redis holds it now."""
    with redis.Redis(host=HOST, port=redis_server.port) as client:
        raw = client.get(f"sess:{sid}")
    assert raw is None or isinstance(raw, bytes)
    return None if raw is None else dict(json.loads(raw))


class Seen:
    """What the connect handler saw (the failure code, or None), from the server's threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.connects: list[str | None] = []

    def connect(self, err: Failure | None) -> None:
        with self._lock:
            self.connects.append(None if err is None else err.code)


class App(abc.ABC):
    """A server of one shell over `RedisStore`, with these handlers:

    ``connect``: a socket without a session is refused with ``{"code": err.code}``;
    ``save(n)``: sets ``n`` and saves; answers ``{"saved": n}`` or ``{"error": code}``;
    ``ping``: answers ``"pong"`` without touching the store.
    """

    def __init__(self) -> None:
        self.seen = Seen()

    @abc.abstractmethod
    def serving(self) -> contextlib.AbstractContextManager[str]:
        """Serve it; the base URL. At exit its background work stops and its client closes."""


def refuse(err: Failure) -> socketio.exceptions.ConnectionRefusedError:
    return socketio.exceptions.ConnectionRefusedError(err.code, {"code": err.code})


class AioApp(App):
    def __init__(self, port: int) -> None:
        super().__init__()
        self.client = redis.asyncio.Redis(
            host=HOST,
            port=port,
            retry=AsyncRetry(NoBackoff(), 1),
            socket_timeout=REDIS_TIMEOUT,
            socket_connect_timeout=REDIS_TIMEOUT,
        )
        self.sio = socketio.AsyncServer(async_mode="asgi")
        self.sessions = sessio.aio.AsyncSessionSockets(self.sio, AsyncRedisStore(self.client), FMT)
        seen = self.seen

        @self.sessions.on("connect")
        async def connect(err: Failure | None, sid: str, session: AsyncSession | None) -> None:
            seen.connect(err)
            if err is not None:
                raise refuse(err)

        @self.sessions.on("save")
        async def save(sid: str, session: AsyncSession, n: int) -> Any:
            session["n"] = n
            try:
                await session.save()
            except SessionError as error:
                return {"error": error.code}
            return {"saved": n}

        @self.sessions.on("ping")
        async def ping(sid: str, session: AsyncSession) -> str:
            return "pong"

    @contextlib.contextmanager
    def serving(self) -> Iterator[str]:
        app = OnLoop(socketio.ASGIApp(self.sio))
        with run_asgi(app) as url:
            try:
                yield url
            finally:
                app.run(self.sessions.close)
                app.run(self.client.aclose)


class SyncApp(App):
    def __init__(self, port: int) -> None:
        super().__init__()
        self.client = redis.Redis(
            host=HOST,
            port=port,
            retry=Retry(NoBackoff(), 1),
            socket_timeout=REDIS_TIMEOUT,
            socket_connect_timeout=REDIS_TIMEOUT,
        )
        self.sio = socketio.Server(async_mode="threading")
        self.sessions = sessio.sync.SessionSockets(self.sio, RedisStore(self.client), FMT)
        seen = self.seen

        @self.sessions.on("connect")
        def connect(err: Failure | None, sid: str, session: Session | None) -> None:
            seen.connect(err)
            if err is not None:
                raise refuse(err)

        @self.sessions.on("save")
        def save(sid: str, session: Session, n: int) -> Any:
            session["n"] = n
            try:
                session.save()
            except SessionError as error:
                return {"error": error.code}
            return {"saved": n}

        @self.sessions.on("ping")
        def ping(sid: str, session: Session) -> str:
            return "pong"

    @contextlib.contextmanager
    def serving(self) -> Iterator[str]:
        with run_wsgi(socketio.WSGIApp(self.sio)) as url:
            try:
                yield url
            finally:
                self.sessions.close()
                self.client.close()


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


class Traffic:
    """One client doing acknowledged saves, one after another, until stopped."""

    def __init__(self, client: socketio.AsyncClient) -> None:
        self.client = client
        # (answer, seconds it took), in order.
        self.answers: list[tuple[Any, float]] = []
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        n = 0
        while not self._stopping:
            n += 1
            started = time.monotonic()
            answer = await self.client.call("save", n, timeout=TIMEOUT)
            self.answers.append((answer, time.monotonic() - started))
            await asyncio.sleep(0.005)  # a pace, not a wait: traffic, not a flood

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Traffic]:
        self._task = asyncio.create_task(self._run())
        try:
            yield self
        finally:
            self._stopping = True
            with anyio.fail_after(TIMEOUT):
                await self._task

    def mark(self) -> int:
        return len(self.answers)

    async def until(self, since: int, check: Callable[[list[Any]], bool], what: str) -> list[Any]:
        """Wait until the answers after `since` satisfy `check`; return them."""
        with anyio.fail_after(TIMEOUT):
            while not check(answers := [answer for answer, _ in self.answers[since:]]):
                assert self._task is not None
                if self._task.done():
                    self._task.result()  # the traffic crashed: say how
                await asyncio.sleep(0.005)
        return answers

    def slowest(self, since: int) -> float:
        return max(seconds for _, seconds in self.answers[since:])


async def refused_with(url: str, cookie: str) -> list[Any]:
    """Connect with `cookie`, expecting a refusal; what the client's connect_error got."""
    errors: list[Any] = []
    client = async_client()
    client.on("connect_error", errors.append)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(
            url, headers={"Cookie": cookie}, transports=["websocket"], wait_timeout=TIMEOUT
        )
    return errors


async def test_redis_restarted_during_traffic(shell: Shell, redis_server: RedisServer) -> None:
    app: App = (AioApp if shell == "aio" else SyncApp)(redis_server.port)
    old_sid, old_cookie = login(redis_server, {"user": "alice"})
    with app.serving() as url:
        tab = async_client()
        await tab.connect(
            url, headers={"Cookie": old_cookie}, transports=["websocket"], wait_timeout=TIMEOUT
        )
        async with Traffic(tab).running() as traffic:
            await traffic.until(0, lambda a: len(a) >= 5 and all("saved" in x for x in a), "saves")
            assert stored(redis_server, old_sid) is not None

            # --- Redis goes down -------------------------------------------------------
            redis_server.stop()
            down = traffic.mark()
            await traffic.until(down, lambda a: a.count(DOWN) >= 5, "failures while down")
            failing = traffic.mark()
            await traffic.until(failing, lambda a: len(a) >= 3, "more failures")
            # Clear failures: the one code, and fast; the socket stays connected.
            assert all(answer == DOWN for answer, _ in traffic.answers[failing:])
            assert traffic.slowest(failing) < FAST
            assert tab.connected
            # Events that do not need the store are served as ever.
            assert await tab.call("ping", timeout=TIMEOUT) == "pong"
            # A new socket's connect handler hears "store-unavailable", and the client that
            # code and nothing else.
            connects = len(app.seen.connects)
            assert await refused_with(url, old_cookie) == [
                {"message": "store-unavailable", "data": {"code": "store-unavailable"}}
            ]
            assert app.seen.connects[connects:] == ["store-unavailable"]

            # --- Redis is back, empty -------------------------------------------------
            redis_server.start()
            up = traffic.mark()
            after = await traffic.until(up, lambda a: any(x != DOWN for x in a), "service")
            # The old session went down with Redis: its socket's saves say so, and do not
            # bring it back.
            assert next(x for x in after if x != DOWN) == {"error": "session-not-found"}
            assert stored(redis_server, old_sid) is None
            assert await refused_with(url, old_cookie) == [
                {"message": "session-not-found", "data": {"code": "session-not-found"}}
            ]
            assert await tab.call("ping", timeout=TIMEOUT) == "pong"

        # The user logs in again: a new session, served as before.
        new_session_id, new_cookie = login(redis_server, {"user": "alice"})
        fresh = async_client()
        await fresh.connect(
            url, headers={"Cookie": new_cookie}, transports=["websocket"], wait_timeout=TIMEOUT
        )
        assert app.seen.connects[-1] is None
        assert await fresh.call("save", 1, timeout=TIMEOUT) == {"saved": 1}
        assert await fresh.call("save", 2, timeout=TIMEOUT) == {"saved": 2}
        session = stored(redis_server, new_session_id)
        assert session is not None and session["n"] == 2 and session["user"] == "alice"
        assert stored(redis_server, old_sid) is None

        with anyio.fail_after(TIMEOUT):
            await asyncio.gather(tab.disconnect(), fresh.disconnect())
