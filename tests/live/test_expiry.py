"""Expiry that follows socket activity, on real servers of both shells.

Each server (``AsyncSessionSockets`` under uvicorn, ``SessionSockets`` in threading mode under
werkzeug) and its `MemoryStore` share one `FakeClock`: the test moves time forward between
acknowledged events, so "30 seconds later" takes milliseconds and every step is exact. The
clients are ``socketio.AsyncClient``s over websocket; nothing waits blindly: a test waits for an
ack, for a client's disconnect event or for a record of the server's handlers.

The revalidation timer sleeps in real seconds even with a fake clock: with
``revalidate_every=5`` its first round comes 5 s after the first connect, after these tests
are done, so what is seen here is the activity path. The timer itself is tested with the real
clock and a 0.2 s interval.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import json
import threading
import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any, Literal

import anyio
import pytest
import socketio

import sessio.aio
import sessio.sync
from servers import async_client, run_asgi, run_wsgi
from sessio import Failure, Minted, formats, resolve
from sessio.aio._opening import open_verdict as open_async
from sessio.aio._session import AsyncSession
from sessio.core import StoreFormat
from sessio.sync._opening import open_verdict as open_sync
from sessio.sync._session import Session

pytestmark = pytest.mark.anyio

Shell = Literal["aio", "sync"]
SHELLS: list[Shell] = ["aio", "sync"]

SECRET = "keyboard cat"
START = 1_700_000_000.0  # whole seconds: cookie.expires (milliseconds) stays exact
TTL = 10
TIMEOUT = 5.0
PING_INTERVAL = 0.5
PING_TIMEOUT = 2.0
SERVER_DISCONNECT = socketio.AsyncClient.reason.SERVER_DISCONNECT


@pytest.fixture
def anyio_backend() -> str:
    # socketio.AsyncClient and AsyncServer call asyncio directly.
    return "asyncio"


@pytest.fixture(params=SHELLS)
def shell(request: pytest.FixtureRequest) -> Shell:
    """Which shell serves the test: the async one or the sync (threaded) one."""
    name: Shell = request.param
    return name


class FakeClock:
    """Unix seconds that move only when the test says so; safe to read from any thread."""

    def __init__(self, now: float = START) -> None:
        self._now = now
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> float:
        """Move time forward; return the new time."""
        with self._lock:
            self._now += seconds
            return self._now


class Writes:
    """Successful session writes (a compare-and-set that wrote), counted across threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.count = 0

    def add(self, done: bool) -> None:
        if done:
            with self._lock:
                self.count += 1


class CountingStore(sessio.aio.MemoryStore):
    """The async `MemoryStore`, counting the writes that touches and saves make."""

    def __init__(self, clock: Callable[[], float]) -> None:
        super().__init__(clock)
        self.writes = Writes()

    async def compare_and_set(
        self, key: str, expected: bytes | None, value: bytes | None, ttl: int | None
    ) -> tuple[bool, bytes | None]:
        done, actual = await super().compare_and_set(key, expected, value, ttl)
        self.writes.add(done)
        return done, actual


class SyncCountingStore(sessio.sync.MemoryStore):
    """The sync `MemoryStore`, counting the writes that touches and saves make."""

    def __init__(self, clock: Callable[[], float]) -> None:
        super().__init__(clock)
        self.writes = Writes()

    def compare_and_set(
        self, key: str, expected: bytes | None, value: bytes | None, ttl: int | None
    ) -> tuple[bool, bytes | None]:
        done, actual = super().compare_and_set(key, expected, value, ttl)
        self.writes.add(done)
        return done, actual


class Seen:
    """What the server's handlers saw, by name; written from the server's threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[str, list[Any]] = {}

    def add(self, name: str, value: Any) -> None:
        with self._lock:
            self._items.setdefault(name, []).append(value)

    def get(self, name: str) -> list[Any]:
        with self._lock:
            return list(self._items.get(name, []))

    async def wait(self, name: str, count: int = 1) -> list[Any]:
        """Poll (without blocking the loop) until `name` has `count` records."""
        with anyio.fail_after(TIMEOUT):
            while len(items := self.get(name)) < count:
                await anyio.sleep(0.005)
        return items


class Live(abc.ABC):
    """One shell's server with sessio handlers, its store and its clock, for one test.

    Handlers: ``connect`` refuses a socket without a session; ``ping`` answers the
    session's user (and records the sid, to show whether a handler ran); ``disconnect``
    records ``(sid, reason)``.
    """

    def __init__(self, fmt: StoreFormat, clock: Callable[[], float]) -> None:
        self.fmt = fmt
        self.clock = clock
        self.seen = Seen()
        self.url = ""

    @property
    @abc.abstractmethod
    def writes(self) -> int:
        """Session writes so far (compare-and-sets that wrote)."""

    @abc.abstractmethod
    def running(self) -> contextlib.AbstractContextManager[str]:
        """Serve the app; the base URL."""

    @abc.abstractmethod
    async def create(self, data: dict[str, Any]) -> Minted:
        """A stored session, as ``sessions.create`` mints it."""

    @abc.abstractmethod
    async def get(self, key: str) -> bytes | None:
        """The store's bytes under `key`."""

    @abc.abstractmethod
    async def ttl(self, key: str) -> float | None:
        """The store's TTL of `key`."""

    @abc.abstractmethod
    async def delete(self, key: str) -> None:
        """Delete `key` from the store, behind the server's back."""

    @abc.abstractmethod
    async def destroy(self, cookie: str) -> None:
        """Log out elsewhere: open the session by its cookie, as another process would, and
        ``destroy()`` it."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Stop the shell's background tasks."""

    def key(self, minted: Minted) -> str:
        return self.fmt.store_key(minted.session_id)


class AioLive(Live):
    def __init__(self, fmt: StoreFormat, clock: Callable[[], float], **options: Any) -> None:
        super().__init__(fmt, clock)
        self.store = CountingStore(clock)
        self.sio = socketio.AsyncServer(
            async_mode="asgi", ping_interval=PING_INTERVAL, ping_timeout=PING_TIMEOUT
        )
        self.sessions = sessio.aio.AsyncSessionSockets(
            self.sio, self.store, fmt, clock=clock, **options
        )
        seen = self.seen

        @self.sessions.on("connect")
        async def connect(err: Failure | None, sid: str, session: AsyncSession | None) -> bool:
            return err is None

        @self.sessions.on("ping")
        async def ping(sid: str, session: AsyncSession) -> Any:
            seen.add("ping", sid)
            return session.get("user")

        @self.sessions.on("disconnect")
        async def disconnect(sid: str, session: AsyncSession | None, reason: str) -> None:
            seen.add("disconnect", (sid, reason))

    @property
    def writes(self) -> int:
        return self.store.writes.count

    def running(self) -> contextlib.AbstractContextManager[str]:
        return run_asgi(socketio.ASGIApp(self.sio))

    async def create(self, data: dict[str, Any]) -> Minted:
        # MemoryStore does no I/O: the test's loop may use it beside the server's.
        return await self.sessions.create(data)

    async def get(self, key: str) -> bytes | None:
        return await self.store.get(key)

    async def ttl(self, key: str) -> float | None:
        return await self.store.ttl(key)

    async def delete(self, key: str) -> None:
        await self.store.delete(key)

    async def destroy(self, cookie: str) -> None:
        verdict = resolve(cookie, self.fmt, self.clock())
        other = await open_async(verdict, self.store, self.fmt, self.clock)
        assert isinstance(other, AsyncSession), other
        await other.destroy()

    async def close(self) -> None:
        await self.sessions.close()


class SyncLive(Live):
    def __init__(self, fmt: StoreFormat, clock: Callable[[], float], **options: Any) -> None:
        super().__init__(fmt, clock)
        self.store = SyncCountingStore(clock)
        self.sio = socketio.Server(
            async_mode="threading", ping_interval=PING_INTERVAL, ping_timeout=PING_TIMEOUT
        )
        self.sessions = sessio.sync.SessionSockets(
            self.sio, self.store, fmt, clock=clock, **options
        )
        seen = self.seen

        @self.sessions.on("connect")
        def connect(err: Failure | None, sid: str, session: Session | None) -> bool:
            return err is None

        @self.sessions.on("ping")
        def ping(sid: str, session: Session) -> Any:
            seen.add("ping", sid)
            return session.get("user")

        @self.sessions.on("disconnect")
        def disconnect(sid: str, session: Session | None, reason: str) -> None:
            seen.add("disconnect", (sid, reason))

    @property
    def writes(self) -> int:
        return self.store.writes.count

    def running(self) -> contextlib.AbstractContextManager[str]:
        return run_wsgi(socketio.WSGIApp(self.sio))

    async def create(self, data: dict[str, Any]) -> Minted:
        return self.sessions.create(data)

    async def get(self, key: str) -> bytes | None:
        return self.store.get(key)

    async def ttl(self, key: str) -> float | None:
        return self.store.ttl(key)

    async def delete(self, key: str) -> None:
        self.store.delete(key)

    async def destroy(self, cookie: str) -> None:
        verdict = resolve(cookie, self.fmt, self.clock())
        other = open_sync(verdict, self.store, self.fmt, self.clock)
        assert isinstance(other, Session), other
        other.destroy()

    async def close(self) -> None:
        self.sessions.close()


@contextlib.asynccontextmanager
async def serve(
    shell: Shell, fmt: StoreFormat, clock: Callable[[], float], **options: Any
) -> AsyncIterator[Live]:
    """A `Live` server of `shell` on a free port; `options` go to the shell."""
    live: Live = (AioLive if shell == "aio" else SyncLive)(fmt, clock, **options)
    with live.running() as url:
        live.url = url
        try:
            yield live
        finally:
            await live.close()


class Tab:
    """A browser tab: an AsyncClient with the session cookie, noticing when it is dropped."""

    def __init__(self) -> None:
        self.client = async_client()
        self.dropped: list[Any] = []
        self._gone = asyncio.Event()
        self.client.on("disconnect", self._on_disconnect)

    def _on_disconnect(self, reason: Any = None) -> None:
        self.dropped.append(reason)
        self._gone.set()

    @property
    def sid(self) -> str:
        sid = self.client.get_sid("/")
        assert sid is not None
        return sid

    async def call(self, event: str) -> Any:
        return await self.client.call(event, timeout=TIMEOUT)

    async def gone(self) -> Any:
        """Wait until the server has dropped this tab; the client's reason."""
        with anyio.fail_after(TIMEOUT):
            await self._gone.wait()
        return self.dropped[-1]


@contextlib.asynccontextmanager
async def tabs(url: str) -> AsyncIterator[Callable[[str], Any]]:
    """``open(cookie)`` connects a new `Tab`; all are disconnected at exit."""
    opened: list[Tab] = []

    async def open_tab(cookie: str) -> Tab:
        tab = Tab()
        opened.append(tab)
        await tab.client.connect(
            url, headers={"Cookie": cookie}, transports=["websocket"], wait_timeout=TIMEOUT
        )
        return tab

    try:
        yield open_tab
    finally:
        with anyio.fail_after(TIMEOUT):
            await asyncio.gather(*(tab.client.disconnect() for tab in opened))


def express_fmt(**options: Any) -> StoreFormat:
    return formats.express(secrets=[SECRET], ttl=TTL, **options)


FORMATS: dict[str, Callable[[], StoreFormat]] = {
    # No cookie.maxAge: cookie.expires is null and a touch re-sets the key's TTL (ttl=10).
    "express": express_fmt,
    # cookie.maxAge 10 s: a touch slides cookie.expires, and the TTL follows it.
    "express-max-age": lambda: express_fmt(cookie_max_age=TTL),
    # PERMANENT_SESSION_LIFETIME 10 s: a touch re-sets the TTL to it.
    "flask-session": lambda: formats.flask_session(serializer="json", lifetime=TTL),
}


def cookie_expires(raw: bytes | None) -> float:
    """The ``cookie.expires`` of an express session's bytes, in Unix seconds."""
    assert raw is not None
    expires = json.loads(raw)["cookie"]["expires"]
    return datetime.fromisoformat(expires.replace("Z", "+00:00")).timestamp()


# --- touch_every ---------------------------------------------------------------------------


@pytest.mark.parametrize("case", list(FORMATS))
async def test_activity_keeps_a_session_alive_past_its_ttl_and_idleness_ends_it(
    shell: Shell, case: str
) -> None:
    clock = FakeClock()
    fmt = FORMATS[case]()
    async with serve(shell, fmt, clock, touch_every=3, revalidate_every=5) as live:
        active = await live.create({"user": "alice"})
        idle = await live.create({"user": "bob"})
        assert await live.ttl(live.key(active)) == TTL
        if case == "express-max-age":
            assert cookie_expires(await live.get(live.key(active))) == START + TTL

        async with tabs(live.url) as open_tab:
            busy, quiet = await open_tab(active.cookie), await open_tab(idle.cookie)
            # One event every 2 s; a touch is due every 3 s, so one comes every other event.
            for _ in range(16):
                now = clock.advance(2)
                assert await busy.call("ping") == "alice"
                assert await live.get(live.key(active)) is not None
                if now >= START + TTL:
                    assert await live.get(live.key(idle)) is None

            assert clock() == START + 32
            # Touched at t+4, t+8, ... t+32: one write per due interval, none in between.
            assert live.writes == 8
            assert await live.ttl(live.key(active)) == TTL
            if case == "express-max-age":
                assert cookie_expires(await live.get(live.key(active))) == START + 32 + TTL

            # The idle tab's next event finds its session gone: it is dropped, unserved.
            quiet_sid, served = quiet.sid, live.seen.get("ping")
            await quiet.client.emit("ping")
            assert await quiet.gone() == SERVER_DISCONNECT
            assert await live.seen.wait("disconnect") == [(quiet_sid, "session-not-found")]
            assert live.seen.get("ping") == served
            # The busy one is untouched by that.
            assert await busy.call("ping") == "alice"


async def test_two_busy_sockets_of_a_session_touch_once_per_interval(shell: Shell) -> None:
    clock = FakeClock()
    async with serve(shell, express_fmt(), clock, touch_every=3) as live:
        minted = await live.create({"user": "alice"})
        async with tabs(live.url) as open_tab:
            first, second = await open_tab(minted.cookie), await open_tab(minted.cookie)
            for _ in range(12):
                clock.advance(1)
                answers = await asyncio.gather(
                    *(tab.call("ping") for tab in (first, second, first, second))
                )
                assert answers == ["alice"] * 4
            # 48 events over 12 s: touches at t+3, t+6, t+9, t+12 and no more.
            assert live.writes == 4
            assert await live.ttl(live.key(minted)) == TTL


async def test_without_touch_every_activity_does_not_extend_a_session(shell: Shell) -> None:
    clock = FakeClock()
    async with serve(shell, express_fmt(), clock) as live:
        minted = await live.create({"user": "alice"})
        async with tabs(live.url) as open_tab:
            tab = await open_tab(minted.cookie)
            for _ in range(4):
                clock.advance(2)
                assert await tab.call("ping") == "alice"
            assert live.writes == 0
            assert await live.ttl(live.key(minted)) == TTL - 8
            clock.advance(2)
            assert await live.get(live.key(minted)) is None


# --- revalidate_every ----------------------------------------------------------------------


@pytest.mark.parametrize("how", ["store-delete", "destroy"])
async def test_a_socket_whose_session_was_destroyed_is_dropped_on_its_next_activity(
    shell: Shell, how: str
) -> None:
    clock = FakeClock()
    async with serve(shell, express_fmt(), clock, revalidate_every=5) as live:
        minted = await live.create({"user": "alice"})
        async with tabs(live.url) as open_tab:
            tab = await open_tab(minted.cookie)
            sid = tab.sid
            clock.advance(1)
            assert await tab.call("ping") == "alice"

            if how == "destroy":
                await live.destroy(minted.cookie)
            else:
                await live.delete(live.key(minted))
            assert await live.get(live.key(minted)) is None

            # Re-checked at most every 5 s: before that, the socket is still served.
            clock.advance(3)
            assert await tab.call("ping") == "alice"
            assert live.seen.get("disconnect") == []

            clock.advance(1)  # 5 s since the connect's check
            await tab.client.emit("ping")
            assert await tab.gone() == SERVER_DISCONNECT
            assert await live.seen.wait("disconnect") == [(sid, "session-not-found")]
            assert live.seen.get("ping") == [sid, sid]  # the last event never ran
            assert not tab.client.connected


async def test_the_revalidation_timer_drops_an_idle_socket(shell: Shell) -> None:
    # The real clock: the timer sleeps in real seconds.
    async with serve(shell, express_fmt(), time.time, revalidate_every=0.2) as live:
        keep = await live.create({"user": "bob"})
        doomed = await live.create({"user": "alice"})
        async with tabs(live.url) as open_tab:
            kept, tab = await open_tab(keep.cookie), await open_tab(doomed.cookie)
            sid = tab.sid
            assert await tab.call("ping") == "alice"
            await live.destroy(doomed.cookie)

            # No activity at all: the timer notices.
            assert await tab.gone() == SERVER_DISCONNECT
            assert await live.seen.wait("disconnect") == [(sid, "session-not-found")]
            # Other sessions' sockets stay.
            assert kept.client.connected
            assert await kept.call("ping") == "bob"
