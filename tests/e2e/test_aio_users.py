"""End to end: users (``user_key``) on one `AsyncSessionSockets` over a real
``socketio.AsyncServer``, with real ``socketio.AsyncClient`` connections and a `MemoryStore`.

``scripts/unasync.py`` writes ``test_sync_users.py`` from this module, as it writes the sync
shell. Sessions name their user under ``"uid"``; handlers record what they saw in a `Seen`,
and the tests wait on it, on a client's ack or on a client's disconnect, never on a sleep.
That a client did *not* get an event is shown with a fence: a second emit, to that client,
after the first; the server sends to one client in order, so once the fence is there the
first would have been too.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
import socketio
from aio_support import (
    ASYNC_MODE,
    anyio_backend,  # noqa: F401 (pins asyncio)  # unasync: drop
    call_on_server,
    serve_app,
)
from e2e_support import PING_INTERVAL, PING_TIMEOUT, SECRET, TIMEOUT, Seen, headers_for, sid_of

from servers import async_client
from sessio import Failure, SessionError, formats
from sessio.aio import (
    AsyncSession,
    AsyncSessionSockets,
    MemoryStore,
    register_session,
    revoke_user,
)
from sessio.core._users import user_index_key

pytestmark = pytest.mark.anyio  # unasync: drop

FMT = formats.express(secrets=[SECRET])
HOSTILE_USERS: list[Any] = [{"id": 1}, "x" * 10_000, True, [1, 2], 1.5, ""]


class App:
    """A server whose sessions name their user under ``"uid"``."""

    def __init__(self, store: MemoryStore, user_key: Any = "uid") -> None:
        self.sio = socketio.AsyncServer(
            async_mode=ASYNC_MODE, ping_interval=PING_INTERVAL, ping_timeout=PING_TIMEOUT
        )
        self.store = store
        self.sessions = AsyncSessionSockets(
            self.sio, store, FMT, user_key=user_key, heartbeat_every=0.5
        )
        self.seen = Seen()
        self.url = ""
        sessions, seen = self.sessions, self.seen

        @sessions.on("connect")
        async def connect(err: Failure | None, sid: str, session: AsyncSession | None) -> Any:
            return err is None

        @sessions.on("set")
        async def set_key(sid: str, session: AsyncSession, key: str, value: Any) -> Any:
            session[key] = value
            await session.save()
            return sessions.user(sid)

        @sessions.on("forget")
        async def forget(sid: str, session: AsyncSession, key: str) -> Any:
            session.pop(key, None)
            await session.save()
            return sessions.user(sid)

        @sessions.on("reload")
        async def reload(sid: str, session: AsyncSession) -> Any:
            await session.reload()
            return sessions.user(sid)

        @sessions.on("whoami")
        async def whoami(sid: str, session: AsyncSession) -> Any:
            return sessions.user(sid)

        @sessions.on("disconnect")
        async def disconnect(sid: str, session: AsyncSession | None, reason: str) -> None:
            seen.add("disconnect", (sid, reason))


@contextlib.asynccontextmanager
async def serve(user_key: Any = "uid", store: MemoryStore | None = None) -> AsyncIterator[App]:
    """An `App` served on a free port for the block."""
    app = App(MemoryStore() if store is None else store, user_key)
    with serve_app(app.sio, app.store, FMT) as url:
        app.url = url
        yield app


class Tab:
    """A client over websocket that remembers the events it got and whether it was dropped."""

    def __init__(self, url: str, cookie: str) -> None:
        self.url = url
        self.cookie = cookie
        self.events = Seen()
        self.client = async_client()
        self.client.on("*", lambda event, *args: self.events.add(event, args))
        self.client.on("disconnect", lambda *reason: self.events.add("dropped", reason))
        self.sid = ""  # set by connect: the socket's id in "/", as the server's handlers see it

    async def connect(self) -> Tab:
        await self.client.connect(
            self.url,
            headers=headers_for(self.cookie),
            transports=["websocket"],
            wait_timeout=TIMEOUT,
        )
        self.sid = sid_of(self.client)
        return self

    async def call(self, event: str, *args: Any) -> Any:
        return await self.client.call(event, args, timeout=TIMEOUT)


@contextlib.asynccontextmanager
async def tabs(app: App) -> Any:
    """``await open_tab(data)``: a tab on a new session holding `data`; all closed at exit."""
    opened: list[Tab] = []

    async def open_tab(data: dict[str, Any] | None = None, cookie: str | None = None) -> Tab:
        if cookie is None:
            cookie = (await app.sessions.create(data or {})).cookie
        tab = Tab(app.url, cookie)
        opened.append(tab)
        return await tab.connect()

    try:
        yield open_tab
    finally:
        for tab in opened:
            await tab.client.disconnect()


@contextlib.asynccontextmanager
async def served(user_key: Any = "uid", store: MemoryStore | None = None) -> Any:
    """``(app, open_tab)``: `serve` and `tabs` together."""
    async with serve(user_key, store) as app, tabs(app) as open_tab:
        yield app, open_tab


async def emit(app: App, user_id: Any, event: str, data: Any) -> None:
    await call_on_server(app.url, app.sessions.emit_to_user, user_id, event, data)


async def online(app: App, user_id: Any) -> int:
    count: int = await call_on_server(app.url, app.sessions.online, user_id)
    return count


async def test_every_socket_of_a_user_gets_what_is_sent_to_the_user() -> None:
    async with served() as (app, open_tab):
        ann_laptop = await open_tab({"uid": "ann"})
        ann_phone = await open_tab({"uid": "ann"})  # another session, another device
        bob = await open_tab({"uid": "bob"})
        anonymous = await open_tab({})
        assert await ann_laptop.call("whoami") == "ann"
        assert await anonymous.call("whoami") is None

        await emit(app, "ann", "notice", 1)
        await emit(app, "bob", "fence", 2)
        await emit(app, "nobody", "notice", 3)
        assert await ann_laptop.events.await_("notice") == [(1,)]
        assert await ann_phone.events.await_("notice") == [(1,)]
        assert await bob.events.await_("fence") == [(2,)]
        assert bob.events.get("notice") == [] and anonymous.events.get("notice") == []


async def test_an_int_user_id_is_its_decimal_string() -> None:
    async with served() as (app, open_tab):
        tab = await open_tab({"uid": 42})
        assert await tab.call("whoami") == "42"
        await emit(app, "42", "a", 1)
        await emit(app, 42, "b", 2)
        assert await tab.events.await_("b") == [(2,)]
        assert tab.events.get("a") == [(1,)]
        assert app.sessions.user_room(42) == app.sessions.user_room("42")


async def test_a_save_or_reload_that_changes_the_user_moves_the_socket() -> None:
    async with served() as (app, open_tab):
        minted = await app.sessions.create({})
        tab = await open_tab(cookie=minted.cookie)
        assert await tab.call("set", "uid", "ann") == "ann"  # a login over the socket
        await emit(app, "ann", "hello", "ann")
        assert await tab.events.await_("hello") == [("ann",)]

        assert await tab.call("set", "uid", "bob") == "bob"
        await emit(app, "ann", "hello", "ann again")
        await emit(app, "bob", "hello", "bob")
        assert await tab.events.await_("hello", 2) == [("ann",), ("bob",)]

        # Another writer (HTTP) logs the session out; the socket sees it on reload.
        other = await app.sessions.get_session(tab.sid)
        other.pop("uid")
        await call_on_server(app.url, other.save)
        assert await tab.call("reload") is None
        await emit(app, "bob", "hello", "bob again")
        assert await tab.call("set", "uid", "carol") == "carol"
        await emit(app, "carol", "hello", "carol")
        assert await tab.events.await_("hello", 3) == [("ann",), ("bob",), ("carol",)]


async def test_a_rotation_that_logs_the_user_in_moves_the_socket_to_their_room() -> None:
    async with served() as (app, open_tab):
        anonymous = await app.sessions.create({"cart": 1})
        tab = await open_tab(cookie=anonymous.cookie)
        assert await tab.call("whoami") is None
        # A login view (Django's login() cycles the key): a new id that names the user, and
        # the socket follows it there.
        logged_in = await app.sessions.create({"cart": 1, "uid": "ann"})
        await call_on_server(
            app.url, app.sessions.rotate, anonymous.session_id, logged_in.session_id
        )
        assert await tab.call("whoami") == "ann"
        await emit(app, "ann", "hello", "ann")
        assert await tab.events.await_("hello") == [("ann",)]
        # And it follows the new session's saves: a change of user there moves it again.
        assert await tab.call("set", "uid", "bob") == "bob"
        await emit(app, "ann", "hello", "ann again")
        await emit(app, "bob", "hello", "bob")
        assert await tab.events.await_("hello", 2) == [("ann",), ("bob",)]


async def test_disconnect_user_drops_that_users_sockets_only() -> None:
    async with served() as (app, open_tab):
        mine = [await open_tab({"uid": "ann"}) for _ in range(3)]
        theirs = await open_tab({"uid": "bob"})
        await call_on_server(app.url, app.sessions.disconnect_user, "ann")
        for tab in mine:
            await tab.events.await_("dropped")
        reasons = dict(await app.seen.await_("disconnect", 3))
        assert reasons == {tab.sid: "user-revoked" for tab in mine}
        assert await theirs.call("whoami") == "bob"
        assert len(app.seen.get("disconnect")) == 3


async def test_online_counts_a_users_sockets_as_they_come_and_go() -> None:
    async with serve() as app:
        async with tabs(app) as open_tab:
            assert await online(app, "ann") == 0
            first = await open_tab({"uid": "ann"})
            second = await open_tab({"uid": "ann"})
            await open_tab({"uid": "bob"})
            assert await online(app, "ann") == 2
            assert await online(app, "bob") == 1
            await first.client.disconnect()
            await app.seen.await_("disconnect")
            assert await online(app, "ann") == 1
            assert await second.call("forget", "uid") is None  # a logout over the socket
            assert await online(app, "ann") == 0
        await app.seen.await_("disconnect", 3)
        assert app.sessions.tables()["users"] == 0
        assert app.sessions.tables()["user_sockets"] == 0


async def test_revoke_user_destroys_every_session_and_drops_every_socket() -> None:
    async with served() as (app, open_tab):
        sessions = [await app.sessions.create({"uid": "ann"}) for _ in range(3)]
        mine = [await open_tab(cookie=minted.cookie) for minted in sessions[:2]]
        # The third was only registered, as a login view would; no socket opened it.
        registered = await call_on_server(
            app.url, register_session, app.store, FMT, sessions[2].session_id, "ann"
        )
        assert registered is None
        bob = await open_tab({"uid": "bob"})

        revoked = await call_on_server(app.url, app.sessions.revoke_user, "ann")
        assert revoked == 3
        for tab in mine:
            await tab.events.await_("dropped")
        for minted in sessions:
            assert await app.store.get(FMT.store_key(minted.session_id)) is None
        assert await bob.call("whoami") == "bob"
        assert await app.store.live_members(user_index_key("ann")) == []
        # Signed out everywhere: the old cookies open nothing any more.
        refused = Tab(app.url, sessions[0].cookie)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await refused.connect()


async def test_revoke_user_leaves_a_session_that_changed_hands_and_cleans_the_index() -> None:
    async with serve() as app:
        store = app.store
        handed_over = await app.sessions.create({"uid": "bob"})  # ann's once, bob's now
        expired_id = "s" * 32  # listed, never stored (or long expired)
        for session_id in (handed_over.session_id, expired_id):
            assert await register_session(store, FMT, session_id, "ann") is None
        assert await revoke_user(store, FMT, "ann", user_key="uid") == 0
        assert await store.get(FMT.store_key(handed_over.session_id)) is not None
        assert await store.live_members(user_index_key("ann")) == []
        assert await revoke_user(store, FMT, "nobody-at-all", user_key="uid") == 0


class PartlyDown(MemoryStore):
    """A `MemoryStore` whose reads of the keys in `down` fail, as a cluster master's would."""

    def __init__(self) -> None:
        super().__init__()
        self.down: set[str] = set()

    async def get(self, key: str) -> bytes | None:
        if key in self.down:
            raise ConnectionError("that master is down")
        return await super().get(key)


async def test_revoke_user_goes_on_past_a_session_it_cannot_reach() -> None:
    store = PartlyDown()
    async with served(store=store) as (app, open_tab):
        sessions = [await app.sessions.create({"uid": "ann"}) for _ in range(3)]
        for minted in sessions:
            assert await register_session(store, FMT, minted.session_id, "ann") is None
        tab = await open_tab(cookie=sessions[0].cookie)
        unreachable = sessions[1]
        store.down.add(FMT.store_key(unreachable.session_id))

        failed = await call_on_server(app.url, app.sessions.revoke_user, "ann")
        assert isinstance(failed, Failure)
        assert failed.code == "store-unavailable"
        # The others are gone all the same, and so are their sockets; the one it could not
        # reach stays listed...
        await tab.events.await_("dropped")
        for minted in (sessions[0], sessions[2]):
            assert await store.get(FMT.store_key(minted.session_id)) is None
        assert await store.live_members(user_index_key("ann")) == [unreachable.session_id]
        # ...and the next revoke, with the store back, finishes the job.
        store.down.clear()
        assert await revoke_user(store, FMT, "ann", user_key="uid") == 1
        assert await store.get(FMT.store_key(unreachable.session_id)) is None
        assert await store.live_members(user_index_key("ann")) == []


@pytest.mark.parametrize("value", HOSTILE_USERS, ids=lambda value: type(value).__name__)
async def test_a_session_naming_no_usable_user_is_served_as_anonymous(value: Any) -> None:
    async with served() as (app, open_tab):
        tab = await open_tab({"uid": value})
        assert await tab.call("whoami") is None
        assert app.sessions.tables()["users"] == 0
        assert await tab.call("set", "uid", "ann") == "ann"  # and can still log in


@pytest.mark.parametrize("value", [*HOSTILE_USERS, None])
async def test_a_bad_user_id_reaches_no_one_and_raises_nothing(value: Any) -> None:
    async with served() as (app, open_tab):
        tab = await open_tab({"uid": "ann"})
        await emit(app, value, "notice", 1)
        await call_on_server(app.url, app.sessions.disconnect_user, value)
        assert await online(app, value) == 0
        revoked = await call_on_server(app.url, app.sessions.revoke_user, value)
        assert isinstance(revoked, Failure) and revoked.code == "invalid-user"
        failed = await register_session(app.store, FMT, "s" * 32, value)
        assert isinstance(failed, Failure) and failed.code == "invalid-user"
        with pytest.raises(SessionError) as raised:
            app.sessions.user_room(value)
        assert raised.value.code == "invalid-user"
        await emit(app, "ann", "fence", 2)
        assert await tab.events.await_("fence") == [(2,)]
        assert tab.events.get("notice") == [] and tab.events.get("dropped") == []


async def test_a_user_key_function_that_raises_names_no_user() -> None:
    def user_of(session: Any) -> Any:
        if session.get("boom"):
            raise RuntimeError("the app's bug")
        return session.get("account", {}).get("id")

    async with served(user_of) as (_, open_tab):
        assert await (await open_tab({"boom": True})).call("whoami") is None
        assert await (await open_tab({"account": {"id": 7}})).call("whoami") == "7"


async def test_without_user_key_there_are_no_users() -> None:
    async with served(None) as (app, open_tab):
        tab = await open_tab({"uid": "ann"})
        assert await tab.call("whoami") is None
        with pytest.raises(SessionError) as raised:
            await online(app, "ann")
        assert raised.value.code == "no-user-index"
        revoked = await call_on_server(app.url, app.sessions.revoke_user, "ann")
        assert isinstance(revoked, Failure) and revoked.code == "no-user-index"
        assert "users" not in app.sessions.tables()
