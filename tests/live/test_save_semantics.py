"""Saves that lose nothing, over `RedisStore` on a private redis-server, in both shells.

Sessions are opened as a shell opens them at a socket's handshake: ``sessio.core.resolve`` on
the Cookie header, then ``open_verdict`` (``sessio.aio._session`` over ``redis.asyncio``,
``sessio.sync._session`` over ``redis``). They are seeded the way express-session and
connect-redis write them (the JSON and the signed cookie are built by hand here, not by
sessio), and "another writer" is either a second session object (another socket, another
tab) or the web app rewriting the whole JSON, as express-session does on a request.

The last test runs real servers with ``require_session=True`` and checks what a refused client
receives.
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

import sessio.aio
import sessio.sync
from redis_server import RedisServer
from servers import HOST, async_client, run_asgi, run_wsgi
from sessio import ConflictError, Failure, SessionError, formats, resolve
from sessio.aio._opening import open_verdict as open_async
from sessio.aio._session import AsyncSession
from sessio.aio.stores.redis import RedisStore as AsyncRedisStore
from sessio.sync._opening import open_verdict as open_sync
from sessio.sync._session import Session
from sessio.sync.stores.redis import RedisStore

pytestmark = pytest.mark.anyio

Shell = Literal["aio", "sync"]
Opened = AsyncSession | Session

SECRET = "keyboard cat"
FMT = formats.express(secrets=[SECRET])
DAY = 86400
SEEDED_TTL = 1000  # not a day: a write by sessio (TTL 86400) would show in the TTL
TIMEOUT = 5.0


@pytest.fixture
def anyio_backend() -> str:
    # redis.asyncio, socketio.AsyncClient and AsyncServer run on asyncio only.
    return "asyncio"


@pytest.fixture(params=["aio", "sync"])
def shell(request: pytest.FixtureRequest) -> Shell:
    """Which shell's session objects (and server) the test uses."""
    name: Shell = request.param
    return name


# --- sessions as express-session keeps them ------------------------------------------------


def cookie_for(sid: str, secret: str = SECRET) -> str:
    """The ``connect.sid`` pair express-session sets: cookie-signature's HMAC, URL-encoded."""
    mac = hmac.new(secret.encode(), sid.encode(), hashlib.sha256).digest()
    signature = base64.b64encode(mac).decode().rstrip("=")
    return f"connect.sid={quote(f's:{sid}.{signature}', safe='')}"


class WebApp:
    """The web app's side of the store: what express-session + connect-redis would do."""

    def __init__(self, client: redis.Redis) -> None:
        self.redis = client

    def login(self, data: dict[str, Any], ttl: int = SEEDED_TTL) -> tuple[str, str]:
        """A new session holding `data`; its sid and the browser's cookie pair."""
        sid = secrets.token_urlsafe(24)
        self._write(sid, {"user": "alice", **data}, ttl)
        return sid, cookie_for(sid)

    def update(self, sid: str, change: Callable[[dict[str, Any]], None]) -> None:
        """A request that changes the session: the whole JSON is written back."""
        data = self.data(sid)
        assert data is not None
        change(data)
        self._write(sid, data, DAY)

    def logout(self, sid: str) -> None:
        """``req.session.destroy()``."""
        self.redis.delete(f"sess:{sid}")

    def raw(self, sid: str) -> bytes | None:
        value = self.redis.get(f"sess:{sid}")
        assert value is None or isinstance(value, bytes)
        return value

    def data(self, sid: str) -> dict[str, Any] | None:
        """The session's keys as the store holds them (express's ``cookie`` left out)."""
        raw = self.raw(sid)
        if raw is None:
            return None
        document: dict[str, Any] = json.loads(raw)
        document.pop("cookie")
        return document

    def ttl(self, sid: str) -> int:
        ttl: int = self.redis.ttl(f"sess:{sid}")
        return ttl

    def _write(self, sid: str, data: dict[str, Any], ttl: int) -> None:
        cookie = {"originalMaxAge": None, "expires": None, "httpOnly": True, "path": "/"}
        document = json.dumps({"cookie": cookie, **data}, separators=(",", ":"))
        self.redis.set(f"sess:{sid}", document, ex=ttl)


@pytest.fixture
def web(redis_server: RedisServer) -> WebApp:
    return WebApp(redis_server.client())


# --- the shells' session objects -----------------------------------------------------------


class Opener(abc.ABC):
    """Opens sessions by Cookie header as a shell's handshake does."""

    @abc.abstractmethod
    async def open(self, cookie: str) -> Opened: ...

    @abc.abstractmethod
    async def close(self) -> None: ...


class AioOpener(Opener):
    def __init__(self, port: int) -> None:
        self.client = redis.asyncio.Redis(host=HOST, port=port)
        self.store = AsyncRedisStore(self.client)

    async def open(self, cookie: str) -> Opened:
        opened = await open_async(resolve(cookie, FMT, time.time()), self.store, FMT, time.time)
        assert isinstance(opened, AsyncSession), opened
        return opened

    async def close(self) -> None:
        await self.client.aclose()


class SyncOpener(Opener):
    def __init__(self, client: redis.Redis) -> None:
        self.store = RedisStore(client)

    async def open(self, cookie: str) -> Opened:
        opened = open_sync(resolve(cookie, FMT, time.time()), self.store, FMT, time.time)
        assert isinstance(opened, Session), opened
        return opened

    async def close(self) -> None:
        pass


@pytest.fixture
async def opener(shell: Shell, redis_server: RedisServer) -> AsyncIterator[Opener]:
    made: Opener = (
        AioOpener(redis_server.port) if shell == "aio" else SyncOpener(redis_server.client())
    )
    try:
        yield made
    finally:
        await made.close()


async def done(result: Awaitable[None] | None) -> None:
    """Finish a session call of either shell (the async one returns a coroutine)."""
    if result is not None:
        await result


# --- merging -------------------------------------------------------------------------------


@pytest.mark.parametrize("writer", ["socket", "web"])
async def test_a_deleted_key_stays_deleted_while_other_writers_keys_are_kept(
    opener: Opener, web: WebApp, writer: str
) -> None:
    sid, cookie = web.login({"a": 1, "b": 1})
    mine = await opener.open(cookie)

    async def other_writes(change: Callable[[dict[str, Any]], None]) -> None:
        if writer == "web":
            web.update(sid, change)
            return
        other = await opener.open(cookie)
        change(other)
        await done(other.save())

    await other_writes(lambda s: s.update(b=2, c=3))
    del mine["a"]
    # strict too: no key was changed on both sides.
    await done(mine.save(strict=True))
    assert web.data(sid) == {"user": "alice", "b": 2, "c": 3}
    assert dict(mine) == {"user": "alice", "b": 2, "c": 3}

    # And the other way round: their delete survives my unrelated write.
    await other_writes(lambda s: s.pop("b"))
    mine["d"] = 4
    await done(mine.save())
    assert web.data(sid) == {"user": "alice", "c": 3, "d": 4}
    assert dict(mine) == {"user": "alice", "c": 3, "d": 4}


@pytest.mark.parametrize("edit", ["set", "delete"])
async def test_on_a_key_both_sides_changed_the_socket_wins_unless_strict(
    opener: Opener, web: WebApp, edit: str
) -> None:
    sid, cookie = web.login({"n": 1, "m": 1})
    mine, other = await opener.open(cookie), await opener.open(cookie)
    other["n"] = 2
    await done(other.save())
    before, ttl_before = web.raw(sid), web.ttl(sid)

    if edit == "set":
        mine["n"] = 3
    else:
        del mine["n"]
    mine["m"] = 5  # a key only this side changed

    with pytest.raises(ConflictError) as caught:
        await done(mine.save(strict=True))
    assert isinstance(caught.value, SessionError) and caught.value.code == "conflict"
    assert "'n'" in caught.value.failure.message and "'m'" not in caught.value.failure.message
    # Nothing was written, not even the key without a conflict; the edits are still here.
    assert web.raw(sid) == before
    assert web.ttl(sid) <= ttl_before
    assert mine.get("n") == (3 if edit == "set" else None) and mine["m"] == 5

    await done(mine.save())
    expected = {"user": "alice", "m": 5} | ({"n": 3} if edit == "set" else {})
    assert web.data(sid) == expected
    assert dict(mine) == expected


async def test_reload_rereads_the_store_and_keeps_unsaved_changes_on_top(
    opener: Opener, web: WebApp
) -> None:
    sid, cookie = web.login({"a": 1, "b": 1})
    mine = await opener.open(cookie)
    mine["x"] = 1
    mine["a"] = 9
    del mine["b"]
    web.update(sid, lambda s: s.update(a=2, c=3))

    await done(mine.reload())
    # The store's news (c), with my unsaved edits on top (a=9, x, no b).
    assert dict(mine) == {"user": "alice", "a": 9, "c": 3, "x": 1}
    assert web.data(sid) == {"user": "alice", "a": 2, "b": 1, "c": 3}  # reload writes nothing

    # Having seen the store's a=2, this socket's a=9 is a decision, not a conflict.
    await done(mine.save(strict=True))
    assert web.data(sid) == {"user": "alice", "a": 9, "c": 3, "x": 1}


@pytest.mark.parametrize("how", ["destroy", "web-logout"])
async def test_a_session_destroyed_elsewhere_is_not_brought_back(
    opener: Opener, web: WebApp, how: str
) -> None:
    sid, cookie = web.login({"a": 1})
    mine = await opener.open(cookie)
    if how == "destroy":
        other = await opener.open(cookie)
        await done(other.destroy())
        assert dict(other) == {}
        other["a"] = 2
        with pytest.raises(SessionError) as caught:
            await done(other.save())
        assert caught.value.code == "session-not-found"
    else:
        web.logout(sid)

    mine["a"] = 2
    calls: list[Callable[[], Awaitable[None] | None]] = [
        mine.save,
        lambda: mine.save(strict=True),
        mine.touch,
        mine.reload,
    ]
    for call in calls:
        with pytest.raises(SessionError) as caught:
            await done(call())
        assert caught.value.code == "session-not-found"
        assert web.raw(sid) is None


# --- require_session -----------------------------------------------------------------------


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
def refusing_server(shell: Shell, redis_server: RedisServer, connected: list[str]) -> Iterator[str]:
    """A server of `shell` with ``require_session=True`` over `RedisStore`; its URL.
    `connected` gets each sid its connect handler saw."""
    lock = threading.Lock()

    def record(err: Failure | None, sid: str) -> None:
        assert err is None
        with lock:
            connected.append(sid)

    if shell == "aio":
        aclient = redis.asyncio.Redis(host=HOST, port=redis_server.port)
        sio = socketio.AsyncServer(async_mode="asgi")
        aio_sessions = sessio.aio.AsyncSessionSockets(
            sio, AsyncRedisStore(aclient), FMT, require_session=True
        )

        @aio_sessions.on("connect")
        async def aio_connect(err: Failure | None, sid: str, session: AsyncSession | None) -> None:
            record(err, sid)

        app = OnLoop(socketio.ASGIApp(sio))
        with run_asgi(app) as url:
            try:
                yield url
            finally:
                app.run(aio_sessions.close)
                app.run(aclient.aclose)
    else:
        ssio = socketio.Server(async_mode="threading")
        sync_sessions = sessio.sync.SessionSockets(
            ssio, RedisStore(redis_server.client()), FMT, require_session=True
        )

        @sync_sessions.on("connect")
        def sync_connect(err: Failure | None, sid: str, session: Session | None) -> None:
            record(err, sid)

        with run_wsgi(socketio.WSGIApp(ssio)) as url:
            try:
                yield url
            finally:
                sync_sessions.close()


async def test_require_session_refuses_with_the_failure_code_only(
    shell: Shell, redis_server: RedisServer, web: WebApp
) -> None:
    sid, cookie = web.login({})
    cookies: dict[str, str | None] = {
        "no-cookie": None,
        "bad-signature": cookie_for(sid, "not the secret"),
        "session-not-found": cookie_for("no-such-session"),
    }
    connected: list[str] = []
    with refusing_server(shell, redis_server, connected) as url:
        for code, refused_cookie in cookies.items():
            errors: list[Any] = []
            client = async_client()
            client.on("connect_error", errors.append)
            with pytest.raises(socketio.exceptions.ConnectionError):
                await client.connect(
                    url,
                    headers={} if refused_cookie is None else {"Cookie": refused_cookie},
                    transports=["websocket"],
                    wait_timeout=TIMEOUT,
                )
            # The data is exactly {"code": ...}: nothing of the failure's message.
            assert errors == [{"message": code, "data": {"code": code}}]
        assert connected == []

        client = async_client()
        await client.connect(
            url, headers={"Cookie": cookie}, transports=["websocket"], wait_timeout=TIMEOUT
        )
        assert connected == [client.get_sid("/")]
        with anyio.fail_after(TIMEOUT):
            await client.disconnect()
