# Generated from tests/e2e/test_aio_shell.py by scripts/unasync.py: edit that file instead.
"""End to end: `SessionSockets` over a real ``socketio.Server``, real
``socketio.Client`` connections, over websocket and over polling.

``scripts/unasync.py`` writes ``test_sync_shell.py`` from ``test_aio_shell.py``, by the rules
that write the sync shell from the async one. What differs between the shells beyond names
(how the app is served, how a test waits and calls into the server, the disconnect reasons a
transport may give) lives in the hand-written support twins, `sync_support` here. Handlers
record what they saw in a thread-safe `Seen`, and the tests wait on it (or on a client's ack)
instead of sleeping.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from functools import partial
from types import TracebackType
from typing import Any

import httpx
import pytest
import socketio
from e2e_support import (
    PING_INTERVAL,
    PING_TIMEOUT,
    SECRET,
    STORE_SECRET_TEXT,
    TIMEOUT,
    TRANSPORTS,
    Seen,
    failure_cookies,
    headers_for,
    sid_of,
)
from sync_support import (
    ASYNC_MODE,
    Barrier,
    at_once,
    call_on_server,
    client_gone,
    serve_app,
)

from servers import sync_client
from sessio import Failure, SessionError, formats
from sessio.sync import MemoryStore, Session, SessionSockets, Store

REJECTED = {"message": "Connection rejected by server"}


@pytest.fixture(params=TRANSPORTS)
def transport(request: pytest.FixtureRequest) -> str:
    """The one transport a test's clients may use."""
    name: str = request.param
    return name


class BrokenStore(MemoryStore):
    """A store that is down for reads: every `get` raises, with a message no client may see."""

    def get(self, key: str) -> bytes | None:
        raise ConnectionError(STORE_SECRET_TEXT)


class App:
    """One socket.io server with sessio handlers, a plain namespace and an HTTP route."""

    def __init__(self, store: Store, require_session: bool) -> None:
        self.sio = socketio.Server(
            async_mode=ASYNC_MODE, ping_interval=PING_INTERVAL, ping_timeout=PING_TIMEOUT
        )
        self.store = store
        self.sessions = SessionSockets(
            self.sio, store, formats.express(secrets=[SECRET]), require_session=require_session
        )
        self.seen = Seen()
        self.url = ""
        self.serve_anonymously = False
        self._together = Barrier(2)
        self._register()

    def _register(self) -> None:
        sessions, seen = self.sessions, self.seen

        @sessions.on("connect")
        def connect(err: Failure | None, sid: str, session: Session | None) -> Any:
            seen.add("connect", (err, sid, None if session is None else dict(session)))
            if err is not None or session is None:
                return self.serve_anonymously
            if session.get("user") == "mallory":
                return False
            if session.get("user") == "eve":
                raise socketio.exceptions.ConnectionRefusedError("x", {"code": "y"})
            return None

        @sessions.on("whoami")
        def whoami(sid: str, session: Session | None, *args: Any) -> Any:
            return {"sid": sid, "session": None if session is None else dict(session), "args": args}

        @sessions.on("set")
        def set_key(sid: str, session: Session, key: str, value: Any) -> Any:
            session[key] = value
            session.save()
            return dict(session)

        @sessions.on("set_together")
        def set_together(sid: str, session: Session, key: str, value: Any) -> Any:
            session[key] = value
            self._together.wait()  # both sockets hold their edit before either saves
            session.save()
            return dict(session)

        @sessions.on("tell")
        def tell(sid: str, session: Session, session_id: str, news: Any) -> bool:
            sessions.emit_to_session(session_id, "news", news)
            return True

        @sessions.on("*")
        def anything(event: str, sid: str, session: Session | None, *args: Any) -> Any:
            return {"event": event, "sid": sid, "user": session and session["user"], "args": args}

        @sessions.on("disconnect")
        def disconnect(sid: str, session: Session | None, reason: str) -> None:
            seen.add("disconnect", (sid, None if session is None else dict(session), reason))

        chat = sessions.of("/chat")

        @chat.on("connection")  # the seed's name for it
        def chat_connect(err: Failure | None, sid: str, session: Session | None) -> Any:
            seen.add("chat-connect", (err, sid, None if session is None else dict(session)))
            return err is None

        @chat.on("say")
        def say(sid: str, session: Session, text: str) -> Any:
            session["said"] = text
            session.save()
            return {"sid": sid, "user": session["user"], "text": text}

        # Plain python-socketio handlers, in a namespace sessio does not handle and beside
        # sessio's own in "/": called exactly as python-socketio calls them.
        @self.sio.on("connect", namespace="/plain")
        def plain_connect(sid: str, environ: dict[str, Any], auth: Any) -> None:
            seen.add("plain-connect", (sid, "HTTP_COOKIE" in environ, auth))

        @self.sio.on("echo", namespace="/plain")
        def echo(sid: str, *args: Any) -> Any:
            return {"sid": sid, "args": args}

        @self.sio.on("raw")
        def raw(sid: str, *args: Any) -> Any:
            return {"sid": sid, "args": args}


@contextlib.contextmanager
def serve(store: Store | None = None, *, require_session: bool = False) -> Iterator[App]:
    """An `App`, with ``GET /session`` beside it, served on a free port for the block."""
    app = App(store if store is not None else MemoryStore(), require_session)
    with serve_app(app.sio, app.store, app.sessions.fmt) as url:
        app.url = url
        yield app


class Clients:
    """The Clients of one test; at exit, all are disconnected together."""

    def __init__(self, url: str, transport: str | None) -> None:
        self.url = url
        # None: the client's default, polling upgraded to websocket.
        self.transports = None if transport is None else [transport]
        self._clients: list[socketio.Client] = []

    def __enter__(self) -> Clients:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        at_once(*(client.disconnect for client in self._clients))

    def _new(self, on: dict[str, Callable[..., Any]]) -> socketio.Client:
        client = sync_client()
        for event, handler in on.items():
            client.on(event, handler)
        self._clients.append(client)
        return client

    def connect(
        self,
        cookie: str | None = None,
        namespaces: list[str] | None = None,
        on: dict[str, Callable[..., Any]] | None = None,
    ) -> socketio.Client:
        """A client connected with `cookie` (None: no Cookie header)."""
        client = self._new(on or {})
        client.connect(
            self.url,
            headers=headers_for(cookie),
            transports=self.transports,
            namespaces=namespaces,
            wait_timeout=TIMEOUT,
        )
        return client

    def refused(self, cookie: str | None = None) -> list[Any]:
        """Connect with `cookie`, expecting a refusal; the data the client's connect_error got."""
        errors: list[Any] = []
        client = self._new({"connect_error": errors.append})
        with pytest.raises(socketio.exceptions.ConnectionError):
            client.connect(
                self.url,
                headers=headers_for(cookie),
                transports=self.transports,
                wait_timeout=TIMEOUT,
            )
        return errors


def test_connect_and_event_handlers_see_the_session(transport: str) -> None:
    with serve() as app:
        minted = app.sessions.create({"user": "alice"})
        with Clients(app.url, transport) as clients:
            client = clients.connect(minted.cookie)
            sid = sid_of(client)
            assert app.seen.get("connect") == [(None, sid, {"user": "alice"})]

            ack = client.call("whoami", ("hello", 7), timeout=TIMEOUT)
            assert ack == {"sid": sid, "session": {"user": "alice"}, "args": ["hello", 7]}
            ack = client.call("no_such_event", 1, timeout=TIMEOUT)
            assert ack == {"event": "no_such_event", "sid": sid, "user": "alice", "args": [1]}
            live = app.sessions.session(sid)
            assert live is not None and live.id == minted.session_id and not live.read_only


@pytest.mark.parametrize(
    "code",
    ["no-cookie", "bad-signature", "unsigned-cookie", "session-not-found", "store-unavailable"],
)
def test_a_failed_handshake_reaches_the_connect_handler_only(transport: str, code: str) -> None:
    store = BrokenStore() if code == "store-unavailable" else MemoryStore()
    with serve(store) as app:
        minted = app.sessions.create({"user": "alice"})
        cookie = (
            minted.cookie
            if code == "store-unavailable"
            else failure_cookies(minted.session_id)[code]
        )
        with Clients(app.url, transport) as clients:
            errors = clients.refused(cookie)

        [(err, sid, session)] = app.seen.get("connect")
        assert isinstance(err, Failure) and err.code == code
        assert session is None
        assert app.sessions.session(sid) is None
        # The client hears the handler's refusal, and nothing of why.
        assert errors == [REJECTED]
        assert STORE_SECRET_TEXT not in err.message + json.dumps(errors)
        assert err.message not in json.dumps(errors) and code not in json.dumps(errors)


def test_save_from_a_socket_reaches_the_store_and_http(transport: str) -> None:
    with serve() as app:
        minted = app.sessions.create({"user": "alice"})
        with Clients(app.url, transport) as clients:
            client = clients.connect(minted.cookie)
            ack = client.call("set", ("visits", 1), timeout=TIMEOUT)
            assert ack == {"user": "alice", "visits": 1}

            fresh = app.sessions.get_session(sid_of(client))
            assert fresh.id == minted.session_id
            assert dict(fresh) == {"user": "alice", "visits": 1}

            with httpx.Client(base_url=app.url, timeout=TIMEOUT) as http:
                response = http.get("/session", headers={"Cookie": minted.cookie})
                anonymous = http.get("/session")
            assert response.status_code == 200
            stored = response.json()
            assert stored["user"] == "alice" and stored["visits"] == 1
            assert "cookie" in stored  # express-session's own field, carried through the save
            assert anonymous.status_code == 404

            # A socket that connects later loads what the first one saved.
            later = clients.connect(minted.cookie)
            ack = later.call("whoami", timeout=TIMEOUT)
            assert ack["session"] == {"user": "alice", "visits": 1}


def test_a_namespace_gets_sessions_and_plain_handlers_work_untouched(transport: str) -> None:
    with serve() as app:
        minted = app.sessions.create({"user": "alice"})
        with Clients(app.url, transport) as clients:
            client = clients.connect(minted.cookie, namespaces=["/", "/chat", "/plain"])
            chat_sid, plain_sid = sid_of(client, "/chat"), sid_of(client, "/plain")
            assert app.seen.get("chat-connect") == [(None, chat_sid, {"user": "alice"})]
            assert app.seen.get("plain-connect") == [(plain_sid, True, None)]

            said = client.call("say", "hi", namespace="/chat", timeout=TIMEOUT)
            assert said == {"sid": chat_sid, "user": "alice", "text": "hi"}
            echoed = client.call("echo", "ping", namespace="/plain", timeout=TIMEOUT)
            assert echoed == {"sid": plain_sid, "args": ["ping"]}
            raw = client.call("raw", ("a", 1), timeout=TIMEOUT)
            assert raw == {"sid": sid_of(client), "args": ["a", 1]}

            # The session is one, whichever namespace wrote it or reads it.
            for sid, namespace in [(sid_of(client), "/"), (plain_sid, "/plain")]:
                fresh = app.sessions.get_session(sid, namespace=namespace)
                assert dict(fresh) == {"user": "alice", "said": "hi"}
            chat = app.sessions.of("/chat").get_session(chat_sid)
            assert chat["said"] == "hi"


def test_a_socket_without_a_session_can_be_served_anonymously(transport: str) -> None:
    with serve() as app:
        app.serve_anonymously = True
        with Clients(app.url, transport) as clients:
            client = clients.connect(None)
            sid = sid_of(client)
            [(err, _, _)] = app.seen.get("connect")
            assert err.code == "no-cookie"
            ack = client.call("whoami", timeout=TIMEOUT)
            assert ack == {"sid": sid, "session": None, "args": []}
            assert app.sessions.session(sid) is None
            with pytest.raises(SessionError) as caught:
                app.sessions.get_session(sid)
            assert caught.value.code == "no-cookie"
            with pytest.raises(SessionError) as caught:
                app.sessions.get_session("no-such-sid")
            assert caught.value.code == "not-connected"
            client.disconnect()
            [(gone_sid, session, _)] = app.seen.wait("disconnect")
            assert (gone_sid, session) == (sid, None)


def test_the_disconnect_handler_gets_sid_session_and_reason(transport: str) -> None:
    with serve() as app:
        minted = app.sessions.create({"user": "alice"})
        with Clients(app.url, transport) as clients:
            client = clients.connect(minted.cookie)
            sid = sid_of(client)
            client.call("set", ("step", 2), timeout=TIMEOUT)
            client.disconnect()
            [(gone_sid, session, reason)] = app.seen.wait("disconnect")
        assert gone_sid == sid
        assert session == {"user": "alice", "step": 2}
        assert reason in client_gone(transport)
        assert app.sessions.session(sid) is None


def test_the_connect_handler_refuses_by_returning_false_or_raising(transport: str) -> None:
    with serve() as app:
        mallory = app.sessions.create({"user": "mallory"})
        eve = app.sessions.create({"user": "eve"})
        with Clients(app.url, transport) as clients:
            assert clients.refused(mallory.cookie) == [REJECTED]
            assert clients.refused(eve.cookie) == [{"message": "x", "data": {"code": "y"}}]
        refused = app.seen.get("connect")
        assert [session for _, _, session in refused] == [{"user": "mallory"}, {"user": "eve"}]
        assert all(app.sessions.session(sid) is None for _, sid, _ in refused)


def test_require_session_refuses_before_any_handler(transport: str) -> None:
    with serve(require_session=True) as app:
        minted = app.sessions.create({"user": "alice"})
        with Clients(app.url, transport) as clients:
            errors = clients.refused(None)
            assert errors == [{"message": "no-cookie", "data": {"code": "no-cookie"}}]
            assert app.seen.get("connect") == []

            client = clients.connect(minted.cookie)
            assert app.seen.get("connect") == [(None, sid_of(client), {"user": "alice"})]


def test_two_sockets_of_one_session_save_different_keys_at_once(transport: str) -> None:
    with serve() as app:
        minted = app.sessions.create({"user": "alice"})
        with Clients(app.url, transport) as clients:
            first = clients.connect(minted.cookie)
            second = clients.connect(minted.cookie)
            at_once(
                partial(first.call, "set_together", ("tab1", 1), timeout=TIMEOUT),
                partial(second.call, "set_together", ("tab2", 2), timeout=TIMEOUT),
            )
            fresh = app.sessions.get_session(sid_of(first))
            assert dict(fresh) == {"user": "alice", "tab1": 1, "tab2": 2}


@pytest.mark.parametrize("sender", ["handler", "server"])
def test_emit_to_session_reaches_every_socket_of_that_session_only(
    transport: str, sender: str
) -> None:
    with serve() as app:
        alice = app.sessions.create({"user": "alice"})
        bob = app.sessions.create({"user": "bob"})
        inboxes = [Seen(), Seen(), Seen()]
        with Clients(app.url, transport) as clients:
            tab1 = clients.connect(alice.cookie, on={"news": partial(inboxes[0].add, "news")})
            clients.connect(alice.cookie, on={"news": partial(inboxes[1].add, "news")})
            clients.connect(bob.cookie, on={"news": partial(inboxes[2].add, "news")})

            def tell(session_id: str, news: str) -> None:
                # From an event handler, or from the server outside any handler.
                if sender == "handler":
                    assert tab1.call("tell", (session_id, news), timeout=TIMEOUT)
                else:
                    emit = app.sessions.emit_to_session
                    call_on_server(app.url, emit, session_id, "news", news)

            tell(alice.session_id, "for alice")
            assert inboxes[0].wait("news") == ["for alice"]
            assert inboxes[1].wait("news") == ["for alice"]
            # Sent after the first: had bob's socket been sent that one, it would be here first.
            tell(bob.session_id, "for bob")
            assert inboxes[2].wait("news") == ["for bob"]
            assert inboxes[0].get("news") == inboxes[1].get("news") == ["for alice"]


def test_a_connection_upgraded_from_polling_keeps_its_session() -> None:
    # The handshake's environ is the first polling request's; the upgrade request is not seen.
    with serve() as app:
        minted = app.sessions.create({"user": "alice"})
        with Clients(app.url, None) as clients:
            client = clients.connect(minted.cookie)
            assert client.transport() == "websocket"
            ack = client.call("set", ("visits", 1), timeout=TIMEOUT)
            assert ack == {"user": "alice", "visits": 1}
            assert dict(app.sessions.get_session(sid_of(client))) == ack
