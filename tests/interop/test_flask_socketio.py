"""Flask-SocketIO, with the real package: its handlers read and write the shared session.

A real Flask app with Flask-Session on the suite's private redis-server logs users in over
HTTP; Flask-SocketIO's own handlers (``@socketio.on``, ``emit``, rooms, ``on_error``) see the
session as ``flask.session`` through sessio, and what they change is saved by merging, so
HTTP sees it and HTTP's own writes survive. Driven by Flask-SocketIO's test client and by a
real socket.io client over websocket and polling (threading mode; eventlet and gevent run
the example app in ``tests/test_examples.py``).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import flask
import pytest
import redis
import socketio
from flask import session
from flask_session import Session  # type: ignore[import-untyped]
from flask_socketio import SocketIO, emit, join_room  # type: ignore[import-untyped]

from redis_server import RedisServer
from servers import run_wsgi, sync_client, wait_for
from sessio import SessionError, formats
from sessio.aio import AsyncSessionSockets
from sessio.aio import MemoryStore as AsyncMemoryStore
from sessio.sync import MemoryStore, RedisStore, SessionSockets

SECRET = "flask-socketio-secret"
TIMEOUT = 5.0


@pytest.fixture
def client(redis_server_session: RedisServer) -> redis.Redis:
    return redis_server_session.client()


@pytest.fixture(autouse=True)
def closed() -> Iterator[None]:
    """Every SessionSockets a test made stops its control-channel listener at the end."""
    made: list[SessionSockets] = []
    original = SessionSockets.__init__

    def init(self: SessionSockets, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        made.append(self)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(SessionSockets, "__init__", init)
        yield
    for sessions in made:
        sessions.close()


def flask_app(client: redis.Redis, prefix: str) -> flask.Flask:
    """Flask + Flask-Session on Redis: ``/login?user=``, ``/whoami``, ``/note?text=``."""
    app = flask.Flask(__name__)
    app.config.update(
        SECRET_KEY=SECRET, SESSION_TYPE="redis", SESSION_REDIS=client, SESSION_KEY_PREFIX=prefix
    )
    Session(app)

    @app.get("/login")
    def login() -> str:
        session["user"] = flask.request.args["user"]
        return "ok"

    @app.get("/whoami")
    def whoami() -> dict[str, Any]:
        return dict(session)

    @app.get("/note")
    def note() -> str:
        session["note"] = flask.request.args["text"]
        return "ok"

    return app


def shown(http: Any) -> dict[str, Any]:
    """What ``/whoami`` shows, through Flask's test client."""
    body: dict[str, Any] = http.get("/whoami").json
    return body


def chat_handlers(socketio: SocketIO) -> None:
    """Plain Flask-SocketIO handlers, as an app has them: no sessio in sight."""

    @socketio.on("connect")  # type: ignore[untyped-decorator]
    def connect(auth: Any) -> bool:
        if "user" not in session:
            return False
        join_room("users")
        emit("hello", session["user"])
        return True

    @socketio.on("incr")  # type: ignore[untyped-decorator]
    def incr() -> int:
        session["count"] = session.get("count", 0) + 1
        return int(session["count"])

    @socketio.on("shout")  # type: ignore[untyped-decorator]
    def shout(text: str) -> None:
        emit("heard", {"from": session["user"], "text": text}, to="users")


@pytest.fixture
def prefix() -> str:
    return f"fsio-{secrets.token_hex(4)}:"


def test_flask_socketio_handlers_share_the_http_session(client: redis.Redis, prefix: str) -> None:
    app = flask_app(client, prefix)
    socketio = SocketIO(app, async_mode="threading")
    chat_handlers(socketio)
    sessions = SessionSockets(
        socketio, RedisStore(client), formats.flask_session(prefix=prefix), require_session=True
    )
    assert sessions.sio is socketio.server
    http = app.test_client()
    http.get("/login?user=alice")
    tab = socketio.test_client(app, flask_test_client=http)
    assert tab.is_connected()
    assert tab.get_received() == [{"name": "hello", "args": ["alice"], "namespace": "/"}]

    assert tab.emit("incr", callback=True) == 1
    # HTTP writes another key between two socket saves: the merge keeps it.
    http.get("/note?text=from-http")
    assert tab.emit("incr", callback=True) == 2
    assert shown(http) == {
        "_permanent": True,
        "user": "alice",
        "count": 2,
        "note": "from-http",
    }

    # Rooms and emit work as in any Flask-SocketIO app.
    other = socketio.test_client(app, flask_test_client=http)
    other.get_received()
    tab.emit("shout", "hi")
    assert other.get_received() == [
        {"name": "heard", "args": [{"from": "alice", "text": "hi"}], "namespace": "/"}
    ]
    tab.disconnect()
    other.disconnect()
    # The server hears a polling client's disconnect on its next request, not at once.
    wait_for(lambda: sessions.tables()["sessions"] == 0, TIMEOUT, message="no sockets held")

    # No session, no socket: refused before the app's connect handler runs.
    stranger = socketio.test_client(app)
    assert not stranger.is_connected()


def test_sessio_handlers_run_in_flask_socketio_context(client: redis.Redis, prefix: str) -> None:
    app = flask_app(client, prefix)
    socketio = SocketIO(app, async_mode="threading")
    sessions = SessionSockets(socketio, RedisStore(client), formats.flask_session(prefix=prefix))
    seen: dict[str, Any] = {}

    @sessions.on("connect")
    def connect(err: Any, sid: str, own: Any) -> bool:
        seen["connect"] = (err, own is not None and own["user"], session.get("user"))
        emit("welcome", sid == flask.request.sid)  # type: ignore[attr-defined]  # needs Flask-SocketIO's request context
        return own is not None

    @sessions.on("rename")
    def rename(sid: str, own: Any, name: str) -> str:
        own["user"] = name  # the same object as flask.session
        return str(session["user"])

    @sessions.on("disconnect")
    def disconnect(sid: str, own: Any, reason: Any) -> None:
        seen["disconnect"] = session.get("user")

    http = app.test_client()
    http.get("/login?user=bob")
    tab = socketio.test_client(app, flask_test_client=http)
    assert tab.is_connected()
    assert seen["connect"] == (None, "bob", "bob")
    assert tab.get_received() == [{"name": "welcome", "args": [True], "namespace": "/"}]
    assert tab.emit("rename", "robert", callback=True) == "robert"
    assert shown(http)["user"] == "robert"  # saved when the handler returned
    tab.disconnect()
    assert seen["disconnect"] == "robert"  # the disconnect handler still has the session

    # Without a cookie: err says why, flask.session is empty, and a write says why too.
    stranger = socketio.test_client(app)
    assert not stranger.is_connected()
    err = seen["connect"][0]
    assert err is not None and err.code == "no-cookie"


def test_app_factory_style_waits_for_init_app(client: redis.Redis, prefix: str) -> None:
    socketio = SocketIO()  # no app yet
    chat_handlers(socketio)
    sessions = SessionSockets(socketio, RedisStore(client), formats.flask_session(prefix=prefix))

    @sessions.on("whoami")
    def whoami(sid: str, own: Any) -> Any:
        return own["user"]

    with pytest.raises(RuntimeError, match="init_app"):
        sessions.sio  # noqa: B018

    def create_app() -> flask.Flask:
        app = flask_app(client, prefix)
        socketio.init_app(app, async_mode="threading")
        return app

    app = create_app()
    assert sessions.sio is socketio.server
    http = app.test_client()
    http.get("/login?user=carol")
    tab = socketio.test_client(app, flask_test_client=http)
    assert tab.get_received()[0]["args"] == ["carol"]
    assert tab.emit("whoami", callback=True) == "carol"
    assert tab.emit("incr", callback=True) == 1
    assert shown(http)["count"] == 1
    tab.disconnect()


def test_handlers_registered_after_sessio_are_adopted(client: redis.Redis, prefix: str) -> None:
    app = flask_app(client, prefix)
    socketio = SocketIO(app, async_mode="threading", manage_session=False)
    sessions = SessionSockets(socketio, RedisStore(client), formats.flask_session(prefix=prefix))
    # manage_session=False would open and save the HTTP session whole per event.
    assert socketio.manage_session is True
    left: list[str] = []
    chat_handlers(socketio)  # after sessio: still run after sessio opened the session

    @socketio.on("disconnect")  # type: ignore[untyped-decorator]
    def gone(reason: Any) -> None:
        left.append(session["user"])

    http = app.test_client()
    http.get("/login?user=dave")
    tab = socketio.test_client(app, flask_test_client=http)
    assert tab.get_received()[0]["args"] == ["dave"]
    assert tab.emit("incr", callback=True) == 1
    tab.disconnect()
    assert left == ["dave"]
    # The server hears a polling client's disconnect on its next request, not at once.
    wait_for(lambda: sessions.tables()["sessions"] == 0, TIMEOUT, message="no sockets held")


def test_a_cookie_session_is_read_only_with_the_reason(client: redis.Redis) -> None:
    app = flask.Flask(__name__)
    app.secret_key = SECRET  # Flask's own cookie sessions

    @app.get("/login")
    def login() -> str:
        session["user"] = flask.request.args["user"]
        return "ok"

    socketio = SocketIO(app, async_mode="threading")
    SessionSockets(socketio, MemoryStore(), formats.flask(SECRET))
    chat_handlers(socketio)

    @socketio.on_error_default  # type: ignore[untyped-decorator]
    def failed(error: Exception) -> dict[str, str]:
        return {"error": error.code if isinstance(error, SessionError) else "other"}

    http = app.test_client()
    http.get("/login?user=erin")
    tab = socketio.test_client(app, flask_test_client=http)
    assert tab.get_received()[0]["args"] == ["erin"]  # read: fine
    assert tab.emit("incr", callback=True) == {"error": "read-only"}  # write: refused, said why
    tab.disconnect()


def test_the_server_argument_is_checked_up_front() -> None:
    fmt = formats.flask(SECRET)
    fsio = SocketIO(flask.Flask(__name__), async_mode="threading")
    with pytest.raises(TypeError, match=r"use sessio\.sync\.SessionSockets"):
        AsyncSessionSockets(fsio, AsyncMemoryStore(), fmt)
    with pytest.raises(TypeError, match="not the Flask app"):
        SessionSockets(flask.Flask(__name__), MemoryStore(), fmt)
    with pytest.raises(TypeError, match=r"socketio\.AsyncServer with sessio\.aio"):
        SessionSockets(socketio.AsyncServer(async_mode="asgi"), MemoryStore(), fmt)
    with pytest.raises(TypeError, match=r"takes a socketio\.AsyncServer, not a builtins\.dict"):
        AsyncSessionSockets({}, AsyncMemoryStore(), fmt)


@pytest.fixture
def served(client: redis.Redis, prefix: str) -> Iterator[tuple[str, SessionSockets]]:
    app = flask_app(client, prefix)
    socketio = SocketIO(app, async_mode="threading", ping_interval=1, ping_timeout=2)
    chat_handlers(socketio)
    sessions = SessionSockets(socketio, RedisStore(client), formats.flask_session(prefix=prefix))
    with run_wsgi(app.wsgi_app) as url:
        yield url, sessions


@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_a_real_client_over_each_transport(
    served: tuple[str, SessionSockets], transport: str
) -> None:
    import requests

    url, sessions = served
    http = requests.Session()
    http.get(f"{url}/login?user=frank", timeout=TIMEOUT)
    cookie = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
    tab = sync_client()
    hello: list[str] = []
    tab.on("hello", hello.append)
    tab.connect(url, headers={"Cookie": cookie}, transports=[transport], wait_timeout=TIMEOUT)
    try:
        assert tab.call("incr", timeout=TIMEOUT) == 1
        assert tab.call("incr", timeout=TIMEOUT) == 2
        assert hello == ["frank"]
    finally:
        tab.disconnect()
    assert http.get(f"{url}/whoami", timeout=TIMEOUT).json()["count"] == 2
    stranger = sync_client()
    with pytest.raises(socketio.exceptions.ConnectionError):
        stranger.connect(url, transports=[transport], wait_timeout=TIMEOUT)
    # The server hears a polling client's disconnect on its next request, not at once.
    wait_for(lambda: sessions.tables()["sessions"] == 0, TIMEOUT, message="no sockets held")
