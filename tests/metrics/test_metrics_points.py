"""Every point the shells report to `sessio.metrics`, seen through a real server and clients.

The sync shell serves (the async one is generated from the same source, and the exporter
tests run it); a `Recorder` keeps each call, and the tests wait on it. Intervals are judged
by a clock the test moves, so a touch and a revalidation fall due when the test says.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis
import socketio
from metrics_support import Clock, Recorder

from redis_server import RedisServer
from servers import run_wsgi
from sessio import Failure, formats
from sessio.aio._metered import MeteredStore as AsyncMeteredStore
from sessio.sync import (
    MemoryStore,
    RedisStore,
    Session,
    SessionSockets,
    open_session,
    revoke,
)
from sessio.sync._metered import MeteredChannelStore, MeteredStore
from sessio.testing import Refused, SocketClient

SECRET = "keyboard cat"
FMT = formats.express(secrets=[SECRET])


class App:
    """A sync server with metrics on: anonymous sockets are served, tampered ones refused."""

    def __init__(self, store: Any, clock: Clock | None = None, **options: Any) -> None:
        self.metrics = Recorder()
        self.raw = store
        self.sio = socketio.Server(async_mode="threading", ping_interval=0.2, ping_timeout=2.5)
        if clock is not None:
            options["clock"] = clock
        self.sessions = SessionSockets(self.sio, store, FMT, metrics=self.metrics, **options)
        sessions = self.sessions

        @sessions.on("connect")
        def connect(err: Failure | None, sid: str, session: Session | None) -> bool:
            return err is None or err.code == "no-cookie"

        @sessions.on("set")
        def set_key(sid: str, session: Session, key: str, value: Any, strict: bool) -> str:
            session[key] = value
            try:
                session.save(strict=strict)
            except Exception as error:
                return type(error).__name__
            return "saved"

        @sessions.on("set_after_rival")
        def set_after_rival(sid: str, session: Session, key: str, value: Any) -> str:
            # Another writer (HTTP, another node) saves first, past sessio's metrics.
            assert session.ref is not None
            stored = self.raw.get(session.ref.key)
            assert stored is not None
            self.raw.set(session.ref.key, stored.replace(b"{", b'{"rival":true,', 1), None)
            session[key] = value
            session.save()
            return "saved"

        @sessions.on("ping")
        def ping(sid: str, session: Session | None) -> str:
            return "pong"


@pytest.fixture
def clock() -> Clock:
    return Clock(time.time())


@pytest.fixture
def app(clock: Clock) -> Iterator[tuple[App, str]]:
    app = App(MemoryStore(), clock, touch_every=10, revalidate_every=10)
    with run_wsgi(socketio.WSGIApp(app.sio)) as url:
        yield app, url


def test_metrics_off_leave_the_store_as_it_is() -> None:
    store = MemoryStore()
    sessions = SessionSockets(socketio.Server(async_mode="threading"), store, FMT)
    assert sessions.store is store and sessions.metrics is None
    # Nothing is reported from the sessions it opens (a Session has slots, not a class-wide
    # default: each is told of metrics, or not, when it is opened).
    opened = open_session(sessions.create({"user": "ann"}).cookie, store, FMT)
    assert isinstance(opened, Session) and opened.metrics is None


def test_metrics_on_time_the_store_through_a_wrapper() -> None:
    store = MemoryStore()
    wrapped = App(store).sessions.store
    assert isinstance(wrapped, MeteredStore)
    assert "MemoryStore" in repr(wrapped)
    # The wrapper hands through what it does not time (a store's own attributes).
    forwarded: Any = wrapped
    assert forwarded.table is store.table
    assert wrapped.store is store


def test_connect_outcomes(app: tuple[App, str]) -> None:
    server, url = app
    minted = server.sessions.create({"user": "ann"})
    assert server.metrics.take("store_call")[0::2] == ("set", False)
    with SocketClient() as ann, SocketClient() as nobody, SocketClient() as forger:
        ann.connect(url, cookie=minted.cookie, transports=["websocket"])
        assert server.metrics.take("connect") == ("/", "session", None)
        assert server.metrics.take("store_call")[0::2] == ("get", False)
        assert server.metrics.take("sockets_with_session") == ("/", 1)
        nobody.connect(url, transports=["websocket"])
        assert server.metrics.take("connect") == ("/", "anonymous", "no-cookie")
        with pytest.raises(Refused):
            # A signature that is well formed but wrong (not a cut escape: "%2" + "xx" would
            # make the value undecodable, and read as unsigned).
            forged = minted.cookie.rpartition(".")[0] + "." + "A" * 43
            forger.connect(url, cookie=forged, transports=["websocket"])
        assert server.metrics.take("connect") == ("/", "refused", "bad-signature")
        ann.disconnect()
        assert server.metrics.take("sockets_with_session") == ("/", -1)
    # Anonymous sockets hold no session: the gauge never moved for them.
    assert len(server.metrics.calls("sockets_with_session")) == 2


def test_saves_retries_conflicts_touches_and_revalidations(
    app: tuple[App, str], clock: Clock
) -> None:
    server, url = app
    metrics = server.metrics
    minted = server.sessions.create({"user": "ann"})
    with SocketClient() as ann:
        ann.connect(url, cookie=minted.cookie, transports=["websocket"])
        assert ann.call("set", ("cart", 1, False)) == "saved"
        assert metrics.take("save") == ("save", "saved", 0)
        assert ann.call("set", ("cart", 1, False)) == "saved"
        assert metrics.take("save") == ("save", "unchanged", 0)
        assert ann.call("set_after_rival", ("cart", 2)) == "saved"
        assert metrics.take("save") == ("save", "saved", 1)
        operations = [call[0] for call in metrics.calls("store_call")]
        assert operations.count("compare_and_set") == 3  # one, none, two (one refused)
        server.raw.set(FMT.store_key(minted.session_id), _with(server, minted, cart=3), None)
        assert ann.call("set", ("cart", 4, True)) == "ConflictError"
        assert metrics.take("save")[:2] == ("save", "conflict")

        clock.now += 11  # a touch and a revalidation are due at the next event
        assert ann.call("ping") == "pong"
        assert metrics.take("revalidation") == ("live",)
        # The strict save left this socket's copy behind the store's: one refused attempt.
        assert metrics.take("save") == ("touch", "saved", 1)

        server.raw.delete(FMT.store_key(minted.session_id))  # logged out over HTTP
        clock.now += 11
        ann.emit("ping")
        assert ann.wait_disconnect() == "server disconnect"
        assert metrics.take("revalidation") == ("gone",)
        assert metrics.take("disconnect") == ("/", "session-not-found")
        assert metrics.calls("sockets_with_session")[-1] == ("/", -1)


def _with(server: App, minted: Any, **changes: Any) -> bytes:
    """The stored session of `minted` with `changes`, encoded as the format stores it."""
    import json

    raw = server.raw.get(FMT.store_key(minted.session_id))
    document = json.loads(raw)
    document.update(changes)
    return json.dumps(document).encode()


def test_store_failures_are_timed_as_errors(app: tuple[App, str]) -> None:
    server, url = app

    def broken(key: str) -> bytes | None:
        raise ConnectionError("down")

    server.raw.get = broken
    minted = mint_cookie(server)
    with SocketClient() as ann, pytest.raises(Refused) as refused:
        ann.connect(url, cookie=minted, transports=["websocket"])
    assert refused.value.data is None  # the handler refused: the client learns nothing
    assert server.metrics.take("connect") == ("/", "refused", "store-unavailable")
    assert next(c for c in server.metrics.calls("store_call") if c[0] == "get")[2] is True


def mint_cookie(server: App) -> str:
    return server.sessions.create({"user": "ann"}).cookie


def test_revokes_and_control_channel_outages(redis_server: RedisServer) -> None:
    client = redis.Redis.from_url(redis_server.url)
    server = App(RedisStore(client))
    assert isinstance(server.sessions.store, MeteredChannelStore)
    server.sessions.start()
    assert server.metrics.take("control_channel") == (True,)
    minted = server.sessions.create({"user": "ann"})
    with run_wsgi(socketio.WSGIApp(server.sio)) as url, SocketClient() as ann:
        ann.connect(url, cookie=minted.cookie, transports=["websocket"])
        # From a web worker: its own store, no metrics.
        revoke(RedisStore(redis.Redis.from_url(redis_server.url)), FMT, minted.session_id)
        assert ann.wait_disconnect() == "server disconnect"
        assert server.metrics.take("control_message") == ("disconnect",)
        assert server.metrics.take("disconnect") == ("/", "session-revoked")
        client.publish("sessio:control", b"\xff not a control message")
        assert server.metrics.take("control_message", timeout=5) == ("unreadable",)
        redis_server.stop()
        assert server.metrics.take("control_channel", timeout=10) == (False,)
        redis_server.start()
        assert server.metrics.take("control_channel", timeout=15) == (True,)
    server.sessions.close()
    # One outage, reported once, however many times the listener retried.
    assert server.metrics.calls("control_channel").count((False,)) == 1


def test_async_metered_store_is_the_same_wrapper() -> None:
    from sessio.aio import AsyncSessionSockets
    from sessio.aio import MemoryStore as AsyncMemoryStore

    sessions = AsyncSessionSockets(
        socketio.AsyncServer(async_mode="asgi"), AsyncMemoryStore(), FMT, metrics=Recorder()
    )
    assert isinstance(sessions.store, AsyncMeteredStore)
