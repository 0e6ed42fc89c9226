"""`sessio.contrib.flask_session`: Flask-Session (Redis) saves that lose nothing.

A real Flask app with Flask-Session 0.8 on the suite's private redis-server, with and without
``merge_saves(app)``. The socket is real: a threaded ``socketio.Server`` with `SessionSockets`
under werkzeug, and a ``socketio.Client``. Each race is made by the view itself: it loads the
session, then (inside the view, so in a known order) a socket saves or a second request runs
from start to end, then the view changes its own key and Flask-Session saves. With the stock
interface the earlier write is lost (asserted: it shows the race is real); merged, both stay.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import flask
import pytest
import redis
import socketio
from flask_session import Session as FlaskSession  # type: ignore[import-untyped]
from werkzeug.test import TestResponse

from servers import run_wsgi, sync_client
from sessio import Failure, formats
from sessio.contrib.flask_session import MergingRedisSessionInterface, merge_saves
from sessio.sync import RedisStore, SessionSockets, register_session, revoke_user
from sessio.sync._session import Session

SECRET = "flask-session-merging-secret"
MODES = ["merging", "stock"]
TIMEOUT = 5.0


class App:
    """A Flask-Session app; `during` runs inside a view, after the session was loaded."""

    def __init__(self, port: int, prefix: str, *, merging: bool) -> None:
        self.client = redis.Redis(port=port)
        self.prefix = prefix
        self.during: Callable[[], object] = lambda: None
        self.store = RedisStore(self.client)
        self.fmt = formats.flask_session(prefix=prefix)
        app = flask.Flask(__name__)
        app.config.update(
            SECRET_KEY=SECRET,
            SESSION_TYPE="redis",
            SESSION_REDIS=self.client,
            SESSION_KEY_PREFIX=prefix,
        )
        FlaskSession(app)
        if merging:
            merge_saves(app)

        @app.get("/set/<key>/<value>")
        def set_key(key: str, value: str) -> str:
            flask.session.get("user")
            self.during()
            flask.session[key] = value
            return "ok"

        @app.get("/delete/<key>")
        def delete(key: str) -> str:
            flask.session.get("user")
            self.during()
            flask.session.pop(key, None)
            return "ok"

        @app.get("/append/<value>")
        def append(value: str) -> str:
            cart = flask.session.get("cart")
            self.during()
            assert isinstance(cart, list)
            cart.append(value)  # in place: Flask-Session does not see it as a modification
            return "ok"

        @app.get("/favicon.ico")
        def favicon() -> str:
            flask.session.get("user")
            self.during()
            return ""

        @app.get("/login/<user_id>")
        def login(user_id: str) -> str:
            flask.session["_user_id"] = user_id  # what Flask-Login's login_user keeps
            # The one line at login (in a user_logged_in receiver, or right here):
            sid = flask.session.sid  # type: ignore[attr-defined]
            failure = register_session(self.store, self.fmt, sid, user_id)
            assert failure is None
            return "ok"

        @app.get("/get")
        def get() -> dict[str, Any]:
            return {k: v for k, v in flask.session.items() if k != "_permanent"}

        self.app = app

    def request(self, path: str, cookie: str) -> TestResponse:
        return self.app.test_client(use_cookies=False).get(path, headers={"Cookie": cookie})

    def login(self, user: str) -> str:
        """A new session naming `user`: the ``session=...`` cookie pair."""
        response = self.app.test_client().get(f"/set/user/{user}")
        return response.headers["Set-Cookie"].split(";", 1)[0]

    def seen(self, cookie: str) -> dict[str, Any]:
        """What a request of the app sees in its session."""
        document: dict[str, Any] = self.request("/get", cookie).get_json()
        return document


@pytest.fixture
def prefix() -> str:
    return f"session-{uuid.uuid4().hex[:8]}:"


@pytest.fixture
def make_app(redis_port: int, prefix: str) -> Iterator[Callable[[str], App]]:
    apps: list[App] = []

    def make(mode: str) -> App:
        apps.append(App(redis_port, prefix, merging=mode == "merging"))
        return apps[-1]

    yield make
    for app in apps:
        app.client.close()


class Socket:
    """A real socket.io server with sessio on the same Redis, and a client to drive it."""

    def __init__(self, url: str, client: redis.Redis) -> None:
        self.url = url
        self.client = client

    def save(self, cookie: str, key: str, value: Any) -> None:
        """Connect with `cookie`, and set `key` in the session over the socket."""
        client = sync_client()
        client.connect(
            self.url, headers={"Cookie": cookie}, transports=["websocket"], wait_timeout=TIMEOUT
        )
        try:
            assert client.call("set", {"key": key, "value": value}, timeout=TIMEOUT) == "saved"
        finally:
            client.disconnect()


@pytest.fixture
def socket(redis_port: int, prefix: str) -> Iterator[Socket]:
    client = redis.Redis(port=redis_port)
    sio = socketio.Server(async_mode="threading")
    sessions = SessionSockets(
        sio, RedisStore(client), formats.flask_session(prefix=prefix), require_session=True
    )

    @sessions.on("set")
    def set_key(sid: str, session: Session, data: dict[str, Any]) -> str:
        session[data["key"]] = data["value"]
        session.save()
        return "saved"

    with run_wsgi(socketio.WSGIApp(sio)) as url:
        yield Socket(url, client)
    sessions.close()
    client.close()


def test_merge_saves_replaces_the_interface(make_app: Callable[[str], App]) -> None:
    app = make_app("merging")
    assert isinstance(app.app.session_interface, MergingRedisSessionInterface)
    with pytest.raises(TypeError, match="Redis interface"):
        merge_saves(flask.Flask(__name__))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("path", ["/set/theme/dark", "/favicon.ico"])
def test_a_request_holding_a_stale_copy_keeps_what_a_socket_saved(
    make_app: Callable[[str], App], socket: Socket, mode: str, path: str
) -> None:
    app = make_app(mode)
    cookie = app.login("ann")
    app.during = lambda: socket.save(cookie, "from_socket", 1)
    app.request(path, cookie)
    seen = app.seen(cookie)
    if path != "/favicon.ico":
        assert seen["theme"] == "dark"
    if mode == "merging":
        assert seen == {
            "user": "ann",
            "from_socket": 1,
            **({"theme": "dark"} if "set" in path else {}),
        }
    else:
        assert "from_socket" not in seen  # the race is real: stock Flask-Session erases it


@pytest.mark.parametrize("mode", MODES)
def test_two_requests_changing_different_keys_keep_both(
    make_app: Callable[[str], App], mode: str
) -> None:
    app = make_app(mode)
    cookie = app.login("ann")

    def other_request() -> None:
        app.during = lambda: None
        app.request("/set/b/2", cookie)

    app.during = other_request
    app.request("/set/a/1", cookie)  # loads; the other request runs and saves; then this saves
    seen = app.seen(cookie)
    assert seen["a"] == "1"
    assert (seen.get("b") == "2") is (mode == "merging")


def test_a_key_deleted_over_http_stays_deleted(
    make_app: Callable[[str], App], socket: Socket
) -> None:
    app = make_app("merging")
    cookie = app.login("ann")
    app.request("/set/x/1", cookie)
    app.during = lambda: socket.save(cookie, "from_socket", 1)
    app.request("/delete/x", cookie)
    assert app.seen(cookie) == {"user": "ann", "from_socket": 1}


def test_an_in_place_edit_counts_as_a_change(
    make_app: Callable[[str], App], socket: Socket
) -> None:
    app = make_app("merging")
    cookie = app.login("ann")
    socket.save(cookie, "cart", ["a"])
    app.during = lambda: socket.save(cookie, "from_socket", 1)
    app.request("/append/b", cookie)
    assert app.seen(cookie) == {"user": "ann", "cart": ["a", "b"], "from_socket": 1}


def test_a_session_deleted_meanwhile_is_not_brought_back(make_app: Callable[[str], App]) -> None:
    app = make_app("merging")
    cookie = app.login("ann")
    sid = cookie.split("=", 1)[1]
    app.during = lambda: app.client.delete(app.prefix + sid)  # a logout elsewhere
    response = app.request("/set/theme/dark", cookie)
    assert app.client.get(app.prefix + sid) is None
    assert "session=;" in response.headers["Set-Cookie"]  # the browser forgets it too


def test_switching_it_on_and_off_loses_no_session(make_app: Callable[[str], App]) -> None:
    stock, merging = make_app("stock"), make_app("merging")
    cookie = stock.login("ann")
    merging.request("/set/a/1", cookie)
    assert stock.seen(cookie) == {"user": "ann", "a": "1"}
    stock.request("/set/b/2", cookie)
    assert merging.seen(cookie) == {"user": "ann", "a": "1", "b": "2"}
    sid = cookie.split("=", 1)[1]
    raw = stock.client.get(stock.prefix + sid)
    assert isinstance(raw, bytes)
    decoded = formats.flask_session(prefix=stock.prefix).decode(raw, 0)
    assert not isinstance(decoded, Failure) and decoded.meta == {"_permanent": True}
    assert 0 < stock.client.ttl(stock.prefix + sid) <= 31 * 86400


@pytest.mark.parametrize("mode", MODES)
def test_sign_out_everywhere_from_a_flask_login_view(
    make_app: Callable[[str], App], mode: str
) -> None:
    app = make_app(mode)
    mine = [app.app.test_client().get("/login/7") for _ in range(2)]
    cookies = [response.headers["Set-Cookie"].split(";", 1)[0] for response in mine]
    theirs = app.app.test_client().get("/login/8").headers["Set-Cookie"].split(";", 1)[0]
    assert [app.seen(cookie) for cookie in cookies] == [{"_user_id": "7"}] * 2
    assert revoke_user(app.store, app.fmt, 7) == 2  # the default key: Flask-Login's _user_id
    assert [app.seen(cookie) for cookie in cookies] == [{}, {}]
    assert app.seen(theirs) == {"_user_id": "8"}
