# Generated from tests/e2e/test_aio_users.py by scripts/unasync.py: edit that file instead.
"""End to end: users (``user_key``) on one `SessionSockets` over a real
``socketio.Server``, with real ``socketio.Client`` connections and a `MemoryStore`.

``scripts/unasync.py`` writes ``test_sync_users.py`` from this module, as it writes the sync
shell. Sessions name their user under ``"uid"``; handlers record what they saw in a `Seen`,
and the tests wait on it, on a client's ack or on a client's disconnect, never on a sleep.
That a client did *not* get an event is shown with a fence: a second emit, to that client,
after the first; the server sends to one client in order, so once the fence is there the
first would have been too.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
import socketio
from e2e_support import PING_INTERVAL, PING_TIMEOUT, SECRET, TIMEOUT, Seen, headers_for, sid_of
from sync_support import (
    ASYNC_MODE,
    call_on_server,
    serve_app,
)

from servers import sync_client
from sessio import Failure, SessionError, formats
from sessio.core._users import user_index_key
from sessio.sync import (
    MemoryStore,
    Session,
    SessionSockets,
    register_session,
    revoke_user,
)

FMT = formats.express(secrets=[SECRET])
HOSTILE_USERS: list[Any] = [{"id": 1}, "x" * 10_000, True, [1, 2], 1.5, ""]


class App:
    """A server whose sessions name their user under ``"uid"``."""

    def __init__(self, store: MemoryStore, user_key: Any = "uid") -> None:
        self.sio = socketio.Server(
            async_mode=ASYNC_MODE, ping_interval=PING_INTERVAL, ping_timeout=PING_TIMEOUT
        )
        self.store = store
        self.sessions = SessionSockets(self.sio, store, FMT, user_key=user_key, heartbeat_every=0.5)
        self.seen = Seen()
        self.url = ""
        sessions, seen = self.sessions, self.seen

        @sessions.on("connect")
        def connect(err: Failure | None, sid: str, session: Session | None) -> Any:
            return err is None

        @sessions.on("set")
        def set_key(sid: str, session: Session, key: str, value: Any) -> Any:
            session[key] = value
            session.save()
            return sessions.user(sid)

        @sessions.on("forget")
        def forget(sid: str, session: Session, key: str) -> Any:
            session.pop(key, None)
            session.save()
            return sessions.user(sid)

        @sessions.on("reload")
        def reload(sid: str, session: Session) -> Any:
            session.reload()
            return sessions.user(sid)

        @sessions.on("whoami")
        def whoami(sid: str, session: Session) -> Any:
            return sessions.user(sid)

        @sessions.on("disconnect")
        def disconnect(sid: str, session: Session | None, reason: str) -> None:
            seen.add("disconnect", (sid, reason))


@contextlib.contextmanager
def serve(user_key: Any = "uid", store: MemoryStore | None = None) -> Iterator[App]:
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
        self.client = sync_client()
        self.client.on("*", lambda event, *args: self.events.add(event, args))
        self.client.on("disconnect", lambda *reason: self.events.add("dropped", reason))
        self.sid = ""  # set by connect: the socket's id in "/", as the server's handlers see it

    def connect(self) -> Tab:
        self.client.connect(
            self.url,
            headers=headers_for(self.cookie),
            transports=["websocket"],
            wait_timeout=TIMEOUT,
        )
        self.sid = sid_of(self.client)
        return self

    def call(self, event: str, *args: Any) -> Any:
        return self.client.call(event, args, timeout=TIMEOUT)


@contextlib.contextmanager
def tabs(app: App) -> Any:
    """``open_tab(data)``: a tab on a new session holding `data`; all closed at exit."""
    opened: list[Tab] = []

    def open_tab(data: dict[str, Any] | None = None, cookie: str | None = None) -> Tab:
        if cookie is None:
            cookie = (app.sessions.create(data or {})).cookie
        tab = Tab(app.url, cookie)
        opened.append(tab)
        return tab.connect()

    try:
        yield open_tab
    finally:
        for tab in opened:
            tab.client.disconnect()


@contextlib.contextmanager
def served(user_key: Any = "uid", store: MemoryStore | None = None) -> Any:
    """``(app, open_tab)``: `serve` and `tabs` together."""
    with serve(user_key, store) as app, tabs(app) as open_tab:
        yield app, open_tab


def emit(app: App, user_id: Any, event: str, data: Any) -> None:
    call_on_server(app.url, app.sessions.emit_to_user, user_id, event, data)


def online(app: App, user_id: Any) -> int:
    count: int = call_on_server(app.url, app.sessions.online, user_id)
    return count


def test_every_socket_of_a_user_gets_what_is_sent_to_the_user() -> None:
    with served() as (app, open_tab):
        ann_laptop = open_tab({"uid": "ann"})
        ann_phone = open_tab({"uid": "ann"})  # another session, another device
        bob = open_tab({"uid": "bob"})
        anonymous = open_tab({})
        assert ann_laptop.call("whoami") == "ann"
        assert anonymous.call("whoami") is None

        emit(app, "ann", "notice", 1)
        emit(app, "bob", "fence", 2)
        emit(app, "nobody", "notice", 3)
        assert ann_laptop.events.wait("notice") == [(1,)]
        assert ann_phone.events.wait("notice") == [(1,)]
        assert bob.events.wait("fence") == [(2,)]
        assert bob.events.get("notice") == [] and anonymous.events.get("notice") == []


def test_an_int_user_id_is_its_decimal_string() -> None:
    with served() as (app, open_tab):
        tab = open_tab({"uid": 42})
        assert tab.call("whoami") == "42"
        emit(app, "42", "a", 1)
        emit(app, 42, "b", 2)
        assert tab.events.wait("b") == [(2,)]
        assert tab.events.get("a") == [(1,)]
        assert app.sessions.user_room(42) == app.sessions.user_room("42")


def test_a_save_or_reload_that_changes_the_user_moves_the_socket() -> None:
    with served() as (app, open_tab):
        minted = app.sessions.create({})
        tab = open_tab(cookie=minted.cookie)
        assert tab.call("set", "uid", "ann") == "ann"  # a login over the socket
        emit(app, "ann", "hello", "ann")
        assert tab.events.wait("hello") == [("ann",)]

        assert tab.call("set", "uid", "bob") == "bob"
        emit(app, "ann", "hello", "ann again")
        emit(app, "bob", "hello", "bob")
        assert tab.events.wait("hello", 2) == [("ann",), ("bob",)]

        # Another writer (HTTP) logs the session out; the socket sees it on reload.
        other = app.sessions.get_session(tab.sid)
        other.pop("uid")
        call_on_server(app.url, other.save)
        assert tab.call("reload") is None
        emit(app, "bob", "hello", "bob again")
        assert tab.call("set", "uid", "carol") == "carol"
        emit(app, "carol", "hello", "carol")
        assert tab.events.wait("hello", 3) == [("ann",), ("bob",), ("carol",)]


def test_a_rotation_that_logs_the_user_in_moves_the_socket_to_their_room() -> None:
    with served() as (app, open_tab):
        anonymous = app.sessions.create({"cart": 1})
        tab = open_tab(cookie=anonymous.cookie)
        assert tab.call("whoami") is None
        # A login view (Django's login() cycles the key): a new id that names the user, and
        # the socket follows it there.
        logged_in = app.sessions.create({"cart": 1, "uid": "ann"})
        call_on_server(app.url, app.sessions.rotate, anonymous.session_id, logged_in.session_id)
        assert tab.call("whoami") == "ann"
        emit(app, "ann", "hello", "ann")
        assert tab.events.wait("hello") == [("ann",)]
        # And it follows the new session's saves: a change of user there moves it again.
        assert tab.call("set", "uid", "bob") == "bob"
        emit(app, "ann", "hello", "ann again")
        emit(app, "bob", "hello", "bob")
        assert tab.events.wait("hello", 2) == [("ann",), ("bob",)]


def test_disconnect_user_drops_that_users_sockets_only() -> None:
    with served() as (app, open_tab):
        mine = [open_tab({"uid": "ann"}) for _ in range(3)]
        theirs = open_tab({"uid": "bob"})
        call_on_server(app.url, app.sessions.disconnect_user, "ann")
        for tab in mine:
            tab.events.wait("dropped")
        reasons = dict(app.seen.wait("disconnect", 3))
        assert reasons == {tab.sid: "user-revoked" for tab in mine}
        assert theirs.call("whoami") == "bob"
        assert len(app.seen.get("disconnect")) == 3


def test_online_counts_a_users_sockets_as_they_come_and_go() -> None:
    with serve() as app:
        with tabs(app) as open_tab:
            assert online(app, "ann") == 0
            first = open_tab({"uid": "ann"})
            second = open_tab({"uid": "ann"})
            open_tab({"uid": "bob"})
            assert online(app, "ann") == 2
            assert online(app, "bob") == 1
            first.client.disconnect()
            app.seen.wait("disconnect")
            assert online(app, "ann") == 1
            assert second.call("forget", "uid") is None  # a logout over the socket
            assert online(app, "ann") == 0
        app.seen.wait("disconnect", 3)
        assert app.sessions.tables()["users"] == 0
        assert app.sessions.tables()["user_sockets"] == 0


def test_revoke_user_destroys_every_session_and_drops_every_socket() -> None:
    with served() as (app, open_tab):
        sessions = [app.sessions.create({"uid": "ann"}) for _ in range(3)]
        mine = [open_tab(cookie=minted.cookie) for minted in sessions[:2]]
        # The third was only registered, as a login view would; no socket opened it.
        registered = call_on_server(
            app.url, register_session, app.store, FMT, sessions[2].session_id, "ann"
        )
        assert registered is None
        bob = open_tab({"uid": "bob"})

        revoked = call_on_server(app.url, app.sessions.revoke_user, "ann")
        assert revoked == 3
        for tab in mine:
            tab.events.wait("dropped")
        for minted in sessions:
            assert app.store.get(FMT.store_key(minted.session_id)) is None
        assert bob.call("whoami") == "bob"
        assert app.store.live_members(user_index_key("ann")) == []
        # Signed out everywhere: the old cookies open nothing any more.
        refused = Tab(app.url, sessions[0].cookie)
        with pytest.raises(socketio.exceptions.ConnectionError):
            refused.connect()


def test_revoke_user_leaves_a_session_that_changed_hands_and_cleans_the_index() -> None:
    with serve() as app:
        store = app.store
        handed_over = app.sessions.create({"uid": "bob"})  # ann's once, bob's now
        expired_id = "s" * 32  # listed, never stored (or long expired)
        for session_id in (handed_over.session_id, expired_id):
            assert register_session(store, FMT, session_id, "ann") is None
        assert revoke_user(store, FMT, "ann", user_key="uid") == 0
        assert store.get(FMT.store_key(handed_over.session_id)) is not None
        assert store.live_members(user_index_key("ann")) == []
        assert revoke_user(store, FMT, "nobody-at-all", user_key="uid") == 0


class PartlyDown(MemoryStore):
    """A `MemoryStore` whose reads of the keys in `down` fail, as a cluster master's would."""

    def __init__(self) -> None:
        super().__init__()
        self.down: set[str] = set()

    def get(self, key: str) -> bytes | None:
        if key in self.down:
            raise ConnectionError("that master is down")
        return super().get(key)


def test_revoke_user_goes_on_past_a_session_it_cannot_reach() -> None:
    store = PartlyDown()
    with served(store=store) as (app, open_tab):
        sessions = [app.sessions.create({"uid": "ann"}) for _ in range(3)]
        for minted in sessions:
            assert register_session(store, FMT, minted.session_id, "ann") is None
        tab = open_tab(cookie=sessions[0].cookie)
        unreachable = sessions[1]
        store.down.add(FMT.store_key(unreachable.session_id))

        failed = call_on_server(app.url, app.sessions.revoke_user, "ann")
        assert isinstance(failed, Failure)
        assert failed.code == "store-unavailable"
        # The others are gone all the same, and so are their sockets; the one it could not
        # reach stays listed...
        tab.events.wait("dropped")
        for minted in (sessions[0], sessions[2]):
            assert store.get(FMT.store_key(minted.session_id)) is None
        assert store.live_members(user_index_key("ann")) == [unreachable.session_id]
        # ...and the next revoke, with the store back, finishes the job.
        store.down.clear()
        assert revoke_user(store, FMT, "ann", user_key="uid") == 1
        assert store.get(FMT.store_key(unreachable.session_id)) is None
        assert store.live_members(user_index_key("ann")) == []


@pytest.mark.parametrize("value", HOSTILE_USERS, ids=lambda value: type(value).__name__)
def test_a_session_naming_no_usable_user_is_served_as_anonymous(value: Any) -> None:
    with served() as (app, open_tab):
        tab = open_tab({"uid": value})
        assert tab.call("whoami") is None
        assert app.sessions.tables()["users"] == 0
        assert tab.call("set", "uid", "ann") == "ann"  # and can still log in


@pytest.mark.parametrize("value", [*HOSTILE_USERS, None])
def test_a_bad_user_id_reaches_no_one_and_raises_nothing(value: Any) -> None:
    with served() as (app, open_tab):
        tab = open_tab({"uid": "ann"})
        emit(app, value, "notice", 1)
        call_on_server(app.url, app.sessions.disconnect_user, value)
        assert online(app, value) == 0
        revoked = call_on_server(app.url, app.sessions.revoke_user, value)
        assert isinstance(revoked, Failure) and revoked.code == "invalid-user"
        failed = register_session(app.store, FMT, "s" * 32, value)
        assert isinstance(failed, Failure) and failed.code == "invalid-user"
        with pytest.raises(SessionError) as raised:
            app.sessions.user_room(value)
        assert raised.value.code == "invalid-user"
        emit(app, "ann", "fence", 2)
        assert tab.events.wait("fence") == [(2,)]
        assert tab.events.get("notice") == [] and tab.events.get("dropped") == []


def test_a_user_key_function_that_raises_names_no_user() -> None:
    def user_of(session: Any) -> Any:
        if session.get("boom"):
            raise RuntimeError("the app's bug")
        return session.get("account", {}).get("id")

    with served(user_of) as (_, open_tab):
        assert (open_tab({"boom": True})).call("whoami") is None
        assert (open_tab({"account": {"id": 7}})).call("whoami") == "7"


def test_without_user_key_there_are_no_users() -> None:
    with served(None) as (app, open_tab):
        tab = open_tab({"uid": "ann"})
        assert tab.call("whoami") is None
        with pytest.raises(SessionError) as raised:
            online(app, "ann")
        assert raised.value.code == "no-user-index"
        revoked = call_on_server(app.url, app.sessions.revoke_user, "ann")
        assert isinstance(revoked, Failure) and revoked.code == "no-user-index"
        assert "users" not in app.sessions.tables()
