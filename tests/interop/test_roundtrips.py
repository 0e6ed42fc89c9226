"""Round trips through a real socket.io server, for every format: HTTP, socket, HTTP again.

For each framework a real app logs a user in over HTTP; a socket.io client connects with the
browser's cookie (the ``name=value`` of the app's ``Set-Cookie``); sessio's connect handler
sees the user; an event handler writes a value and saves; the app's next HTTP request sees
that value. Formats whose session lives in the cookie are read-only from a socket: there the
socket still sees the user, and ``save()`` raises ``SessionError("read-only")``.

The servers are the ones a deployment would run: the Express app (node) beside sessio under
uvicorn or werkzeug; Flask, Flask-Session and Django as the WSGI app behind
``socketio.WSGIApp`` under werkzeug; Starlette behind ``socketio.ASGIApp`` under uvicorn; an
aiohttp app with the ``AsyncServer`` attached to it, on an event loop in a thread. Every
server-side store is the suite's private redis-server, a temporary directory or Django's sqlite
database.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

import aiohttp_session
import anyio.from_thread
import flask
import flask_session  # type: ignore[import-untyped]
import pytest
import redis
import redis.asyncio
import socketio
from aiohttp import web
from aiohttp_session.cookie_storage import EncryptedCookieStorage
from aiohttp_session.redis_storage import RedisStorage
from node_app import ExpressApp, browser, cookie_pair, run_express
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from redis_server import RedisServer
from servers import run_asgi, run_wsgi, sync_client
from sessio import formats
from sessio.aio import AsyncSession, AsyncSessionSockets
from sessio.aio import MemoryStore as AsyncMemoryStore
from sessio.aio.stores.redis import RedisStore as AsyncRedisStore
from sessio.core import Failure, Format
from sessio.errors import SessionError
from sessio.sync import MemoryStore, Session, SessionSockets
from sessio.sync.stores._protocol import Store
from sessio.sync.stores.redis import RedisStore

# aiohttp-session 2.12 keys the request with plain strings; aiohttp 3.10+ warns about it.
pytestmark = pytest.mark.filterwarnings("ignore::aiohttp.web_exceptions.NotAppKeyWarning")

SECRET = "round-trip-secret-for-sessio-tests"
FERNET_KEY = bytes(range(32))
TIMEOUT = 5.0
NOTE = "from the socket ☃ 𝄞"


# --- the socket side: the same handlers in both shells -------------------------------------


def wire(sessions: SessionSockets) -> None:
    """Handlers on a sync server: ``whoami`` answers the user connect saw, ``write`` saves."""
    users: dict[str, Any] = {}

    @sessions.on("connect")
    def connect(err: Failure | None, sid: str, session: Session | None) -> None:
        if err is not None:
            raise socketio.exceptions.ConnectionRefusedError(err.code)
        assert session is not None
        users[sid] = session.get("user")

    @sessions.on("whoami")
    def whoami(sid: str, session: Session | None) -> Any:
        return users.get(sid)

    @sessions.on("write")
    def write(sid: str, session: Session | None, data: dict[str, Any]) -> dict[str, Any]:
        assert session is not None
        try:
            session[data["key"]] = data["value"]  # a cookie session refuses it here
            session.save()
        except SessionError as error:
            return {"error": error.code}
        return {"session": dict(session)}


def wire_async(sessions: AsyncSessionSockets) -> list[asyncio.AbstractEventLoop]:
    """`wire` for an async server; returns where the server's loop will be noted."""
    users: dict[str, Any] = {}
    loop: list[asyncio.AbstractEventLoop] = []

    @sessions.on("connect")
    async def connect(err: Failure | None, sid: str, session: AsyncSession | None) -> None:
        loop[:] = [asyncio.get_running_loop()]
        if err is not None:
            raise socketio.exceptions.ConnectionRefusedError(err.code)
        assert session is not None
        users[sid] = session.get("user")

    @sessions.on("whoami")
    async def whoami(sid: str, session: AsyncSession | None) -> Any:
        return users.get(sid)

    @sessions.on("write")
    async def write(sid: str, session: AsyncSession | None, data: dict[str, Any]) -> dict[str, Any]:
        assert session is not None
        try:
            session[data["key"]] = data["value"]  # a cookie session refuses it here
            await session.save()
        except SessionError as error:
            return {"error": error.code}
        return {"session": dict(session)}

    return loop


@contextlib.contextmanager
def socket_for(url: str, cookie: str, transport: str = "websocket") -> Iterator[socketio.Client]:
    """A socket.io client connected to `url` with the browser's ``Cookie`` header."""
    client = sync_client()
    client.connect(url, headers={"Cookie": cookie}, transports=[transport], wait_timeout=TIMEOUT)
    try:
        yield client
    finally:
        client.disconnect()


# --- the HTTP side: what the web app reads -----------------------------------------------------


class Web(Protocol):
    """A web app as a browser sees it: ``/login``, ``/whoami``, ``/set``."""

    def login(self, user: str) -> str:
        """Log `user` in; the browser's cookie pair."""
        ...

    def read(self, cookie: str) -> dict[str, Any]:
        """The session the app loads for this cookie (its own bookkeeping keys left out)."""
        ...

    def set(self, cookie: str, key: str, value: str) -> None:
        """``session[key] = value`` over HTTP."""
        ...


class HttpWeb:
    """A Python app with the three routes, served at `url` (beside socket.io, same origin)."""

    BOOKKEEPING = frozenset({"_permanent"})

    def __init__(self, url: str, cookie_name: str) -> None:
        self.url = url
        self.cookie_name = cookie_name
        self.http = browser()

    def login(self, user: str) -> str:
        response = self.http.get(self.url + "/login", params={"user": user}, timeout=TIMEOUT)
        response.raise_for_status()
        return cookie_pair(response, self.cookie_name)

    def read(self, cookie: str) -> dict[str, Any]:
        response = self.http.get(self.url + "/whoami", headers={"Cookie": cookie}, timeout=TIMEOUT)
        response.raise_for_status()
        session: dict[str, Any] = response.json()["session"]
        return {k: v for k, v in session.items() if k not in self.BOOKKEEPING}

    def set(self, cookie: str, key: str, value: str) -> None:
        response = self.http.get(
            self.url + "/set",
            params={"key": key, "value": value},
            headers={"Cookie": cookie},
            timeout=TIMEOUT,
        )
        response.raise_for_status()


class ExpressWeb:
    """The real Express app."""

    def __init__(self, app: ExpressApp) -> None:
        self.app = app

    def login(self, user: str) -> str:
        return self.app.login(user)[0]

    def read(self, cookie: str) -> dict[str, Any]:
        session = self.app.whoami(cookie)
        assert session is not None, "Express lost the session"
        return {k: v for k, v in session.items() if k != "cookie"}

    def set(self, cookie: str, key: str, value: str) -> None:
        self.app.set(cookie, key, value)


# --- the scenarios -----------------------------------------------------------------------------


def round_trip(web: Web, socket_url: str, transport: str = "websocket") -> None:
    """HTTP login; the socket sees the user and writes; the app's next request sees the write."""
    cookie = web.login("alice")
    with socket_for(socket_url, cookie, transport) as client:
        assert client.call("whoami", timeout=TIMEOUT) == "alice"
        reply = client.call("write", {"key": "note", "value": NOTE}, timeout=TIMEOUT)
        assert reply == {"session": {"user": "alice", "note": NOTE}}
    assert web.read(cookie) == {"user": "alice", "note": NOTE}


def read_only_trip(web: Web, socket_url: str) -> None:
    """The socket sees the user; its save is refused as read-only; the app sees no change."""
    cookie = web.login("alice")
    with socket_for(socket_url, cookie) as client:
        assert client.call("whoami", timeout=TIMEOUT) == "alice"
        reply = client.call("write", {"key": "note", "value": NOTE}, timeout=TIMEOUT)
        assert reply == {"error": "read-only"}
    assert web.read(cookie) == {"user": "alice"}


def no_lost_update(web: Web, socket_url: str) -> None:
    """The seed's classic bug: a socket loads the session, the web app then changes another key
    over HTTP, the socket saves its own key: the app's change must still be there."""
    cookie = web.login("alice")
    with socket_for(socket_url, cookie) as client:
        # The socket has loaded the session (at connect) before the app's change below.
        assert client.call("whoami", timeout=TIMEOUT) == "alice"
        web.set(cookie, "color", "blue")
        assert web.read(cookie) == {"user": "alice", "color": "blue"}
        reply = client.call("write", {"key": "note", "value": NOTE}, timeout=TIMEOUT)
        # The socket's own copy now has the app's change as well.
        assert reply == {"session": {"user": "alice", "color": "blue", "note": NOTE}}
    assert web.read(cookie) == {"user": "alice", "color": "blue", "note": NOTE}


# --- Express: the real app, sessio beside it ---------------------------------------------------

EXPRESS = formats.express(secrets=[SECRET])


@pytest.fixture(scope="module")
def express(redis_server_session: RedisServer) -> Iterator[ExpressApp]:
    with run_express(redis_server_session.url, [SECRET]) as app:
        yield app


@contextlib.contextmanager
def express_sockets_asgi(redis_port: int) -> Iterator[str]:
    """sessio's async shell under uvicorn, over ``redis.asyncio``; yields the socket URL."""
    sio = socketio.AsyncServer(async_mode="asgi")
    client = redis.asyncio.Redis(port=redis_port)
    sessions = AsyncSessionSockets(sio, AsyncRedisStore(client), EXPRESS)
    loop = wire_async(sessions)

    async def close() -> None:
        await sessions.close()  # the control channel's listener
        await client.aclose()

    with run_asgi(socketio.ASGIApp(sio)) as url:
        try:
            yield url
        finally:
            if loop:  # the client's connections belong to the server's loop
                asyncio.run_coroutine_threadsafe(close(), loop[0]).result(TIMEOUT)


@contextlib.contextmanager
def express_sockets_wsgi(redis_server: RedisServer) -> Iterator[str]:
    """sessio's sync shell under werkzeug, over ``redis``; yields the socket URL."""
    sio = socketio.Server(async_mode="threading")
    sessions = SessionSockets(sio, RedisStore(redis_server.client()), EXPRESS)
    wire(sessions)
    try:
        with run_wsgi(socketio.WSGIApp(sio)) as url:
            yield url
    finally:
        sessions.close()  # the control channel's listener


def test_express_async_shell(express: ExpressApp, redis_server_session: RedisServer) -> None:
    with express_sockets_asgi(redis_server_session.port) as url:
        round_trip(ExpressWeb(express), url)


@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_express_sync_shell(
    express: ExpressApp, redis_server_session: RedisServer, transport: str
) -> None:
    with express_sockets_wsgi(redis_server_session) as url:
        round_trip(ExpressWeb(express), url, transport)


@pytest.mark.parametrize("shell", ["aio", "sync"])
def test_express_change_over_http_is_not_lost(
    express: ExpressApp, redis_server_session: RedisServer, shell: str
) -> None:
    sockets = (
        express_sockets_asgi(redis_server_session.port)
        if shell == "aio"
        else express_sockets_wsgi(redis_server_session)
    )
    with sockets as url:
        no_lost_update(ExpressWeb(express), url)


# --- Flask and Flask-Session, behind socketio.WSGIApp ------------------------------------------


def flask_app(**config: Any) -> flask.Flask:
    """A Flask app with the three routes; Flask-Session's when `config` names a SESSION_TYPE."""
    app = flask.Flask(__name__)
    app.config.update(SECRET_KEY=SECRET, **config)
    if "SESSION_TYPE" in config:
        flask_session.Session(app)

    @app.get("/login")
    def login() -> dict[str, Any]:
        flask.session["user"] = flask.request.args["user"]
        return {"ok": True}

    @app.get("/whoami")
    def whoami() -> dict[str, Any]:
        return {"session": dict(flask.session)}

    @app.get("/set")
    def set_value() -> dict[str, Any]:
        flask.session[flask.request.args["key"]] = flask.request.args["value"]
        return {"ok": True}

    return app


@contextlib.contextmanager
def flask_session_site(redis_server: RedisServer, use_signer: bool) -> Iterator[str]:
    """Flask + Flask-Session on Redis and sessio's sync shell, on one werkzeug server."""
    app = flask_app(
        SESSION_TYPE="redis",
        SESSION_REDIS=redis_server.client(),
        SESSION_USE_SIGNER=use_signer,
    )
    sio = socketio.Server(async_mode="threading")
    fmt = formats.flask_session(SECRET, use_signer=use_signer)
    sessions = SessionSockets(sio, RedisStore(redis_server.client()), fmt)
    wire(sessions)
    try:
        with run_wsgi(socketio.WSGIApp(sio, app)) as url:
            yield url
    finally:
        sessions.close()  # the control channel's listener


@pytest.mark.parametrize("use_signer", [False, True], ids=["plain-sid", "signed-sid"])
def test_flask_session(redis_server_session: RedisServer, use_signer: bool) -> None:
    with flask_session_site(redis_server_session, use_signer) as url:
        round_trip(HttpWeb(url, "session"), url)


def test_flask_session_change_over_http_is_not_lost(redis_server_session: RedisServer) -> None:
    with flask_session_site(redis_server_session, use_signer=False) as url:
        no_lost_update(HttpWeb(url, "session"), url)


def test_flask_cookie_is_read_only() -> None:
    sio = socketio.Server(async_mode="threading")
    wire(SessionSockets(sio, MemoryStore(), formats.flask(SECRET)))
    with run_wsgi(socketio.WSGIApp(sio, flask_app())) as url:
        read_only_trip(HttpWeb(url, "session"), url)


# --- Starlette, behind socketio.ASGIApp --------------------------------------------------------


def test_starlette_is_read_only() -> None:
    async def login(request: Request) -> JSONResponse:
        request.session["user"] = request.query_params["user"]
        return JSONResponse({"ok": True})

    async def whoami(request: Request) -> JSONResponse:
        return JSONResponse({"session": dict(request.session)})

    app = Starlette(
        routes=[Route("/login", login), Route("/whoami", whoami)],
        middleware=[Middleware(SessionMiddleware, secret_key=SECRET)],
    )
    sio = socketio.AsyncServer(async_mode="asgi")
    wire_async(AsyncSessionSockets(sio, AsyncMemoryStore(), formats.starlette(SECRET)))
    with run_asgi(socketio.ASGIApp(sio, app)) as url:
        read_only_trip(HttpWeb(url, "session"), url)


# --- Django, behind socketio.WSGIApp -----------------------------------------------------------


class DjangoFileStore:
    """A sync sessio `Store` over the session files of Django's ``file`` backend.

    The key is the file's name (``sessionid`` + session key, as `formats.django` names it for
    ``backend="file"``). TTLs are not kept: that backend expires a session by the file's
    mtime (or ``_session_expiry`` inside it), which every write renews, as Django's does.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        try:
            return (self.directory / key).read_bytes()
        except FileNotFoundError:
            return None

    def set(self, key: str, value: bytes, ttl: int | None) -> None:
        if ttl is not None and ttl <= 0:
            self.delete(key)
            return
        # Django's own save writes a temporary file and renames it over the old one.
        with tempfile.NamedTemporaryFile(dir=self.directory, delete=False) as temporary:
            temporary.write(value)
        os.replace(temporary.name, self.directory / key)

    def delete(self, key: str) -> None:
        (self.directory / key).unlink(missing_ok=True)

    def compare_and_set(
        self, key: str, expected: bytes | None, value: bytes | None, ttl: int | None
    ) -> tuple[bool, bytes | None]:
        # Atomic against other sessio writers only; Django itself takes no lock either.
        with self._lock:
            current = self.get(key)
            if current != expected:
                return False, current
            if value is None:
                self.delete(key)
            else:
                self.set(key, value, ttl)
            return True, value

    def ttl(self, key: str) -> float | None:
        return None

    def take(self, key: str) -> bytes | None:
        with self._lock:
            current = self.get(key)
            self.delete(key)
            return current


class _UrlConf:
    """A ROOT_URLCONF object: Django takes any object with ``urlpatterns``."""

    def __init__(self) -> None:
        from django.http import HttpRequest, JsonResponse  # type: ignore[import-untyped]
        from django.urls import path  # type: ignore[import-untyped]

        def login(request: HttpRequest) -> JsonResponse:
            request.session["user"] = request.GET["user"]
            return JsonResponse({"ok": True})

        def whoami(request: HttpRequest) -> JsonResponse:
            return JsonResponse({"session": dict(request.session.items())})

        self.urlpatterns = [path("login", login), path("whoami", whoami)]


@pytest.fixture(scope="module")
def django_configured(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Django set up once per process (the same way tests/interop/test_django_interop.py does)."""
    import django  # type: ignore[import-untyped]
    from django.conf import settings  # type: ignore[import-untyped]
    from django.core.management import call_command  # type: ignore[import-untyped]

    if not settings.configured:
        settings.configure(
            SECRET_KEY=SECRET,
            INSTALLED_APPS=["django.contrib.sessions"],
            DATABASES={
                "default": {
                    "ENGINE": "django.db.backends.sqlite3",
                    "NAME": str(tmp_path_factory.mktemp("django") / "db.sqlite3"),
                }
            },
            USE_TZ=True,
        )
        django.setup()
    call_command("migrate", "sessions", verbosity=0)


@contextlib.contextmanager
def django_site(engine: str, directory: Path, fmt: Format, store: Store) -> Iterator[str]:
    """Django (``SESSION_ENGINE`` = `engine`) and sessio's sync shell on one werkzeug server."""
    from django.contrib.sessions.backends.file import (  # type: ignore[import-untyped]
        SessionStore as FileSessionStore,
    )
    from django.core.handlers.wsgi import WSGIHandler  # type: ignore[import-untyped]
    from django.test.utils import override_settings  # type: ignore[import-untyped]

    override = override_settings(
        SECRET_KEY=SECRET,
        SECRET_KEY_FALLBACKS=[],
        SESSION_ENGINE=f"django.contrib.sessions.backends.{engine}",
        SESSION_FILE_PATH=str(directory),
        ROOT_URLCONF=_UrlConf(),
        MIDDLEWARE=["django.contrib.sessions.middleware.SessionMiddleware"],
        ALLOWED_HOSTS=["127.0.0.1"],
        DEBUG=False,
    )
    # The file backend caches its directory on the class: point it at ours, then put it back.
    had = "_storage_path" in vars(FileSessionStore)
    saved = vars(FileSessionStore).get("_storage_path")
    FileSessionStore._storage_path = str(directory)
    override.enable()
    try:
        sio = socketio.Server(async_mode="threading")
        wire(SessionSockets(sio, store, fmt))
        with run_wsgi(socketio.WSGIApp(sio, WSGIHandler())) as url:
            yield url
    finally:
        override.disable()
        if had:
            FileSessionStore._storage_path = saved
        else:
            del FileSessionStore._storage_path


def test_django_file_backend(django_configured: None, tmp_path: Path) -> None:
    fmt = formats.django(SECRET, backend="file")
    with django_site("file", tmp_path, fmt, DjangoFileStore(tmp_path)) as url:
        round_trip(HttpWeb(url, "sessionid"), url)


@pytest.mark.parametrize("engine", ["db", "file"])
def test_django_store(django_configured: None, tmp_path: Path, engine: str) -> None:
    try:
        # Imported by name: DjangoStore is newer than this test.
        django_store = importlib.import_module("sessio.sync.stores.django")
    except ModuleNotFoundError:
        pytest.skip("sessio.sync.stores.django (DjangoStore) is not there yet")
    store = django_store.DjangoStore(f"django.contrib.sessions.backends.{engine}")
    with django_site(engine, tmp_path, store.format(), store) as url:
        round_trip(HttpWeb(url, "sessionid"), url)


def test_django_signed_cookies_are_read_only(django_configured: None, tmp_path: Path) -> None:
    with django_site("signed_cookies", tmp_path, formats.django(SECRET), MemoryStore()) as url:
        read_only_trip(HttpWeb(url, "sessionid"), url)


# --- aiohttp, with the AsyncServer attached to the app -----------------------------------------


@pytest.fixture(scope="module")
def portal() -> Iterator[anyio.from_thread.BlockingPortal]:
    """An asyncio event loop in a thread, where the aiohttp apps run."""
    with anyio.from_thread.start_blocking_portal("asyncio") as running:
        yield running


@contextlib.contextmanager
def aiohttp_site(
    portal: anyio.from_thread.BlockingPortal,
    storage: Callable[[], aiohttp_session.AbstractStorage],
    fmt: Format,
    store: Callable[[], AsyncRedisStore | AsyncMemoryStore],
) -> Iterator[str]:
    """An aiohttp app with aiohttp-session and sessio's async shell attached; yields its URL.

    `storage` and `store` are called on the app's loop, where their clients will live.
    """

    async def login(request: web.Request) -> web.Response:
        session = await aiohttp_session.get_session(request)
        session["user"] = request.query["user"]
        return web.json_response({"ok": True})

    async def whoami(request: web.Request) -> web.Response:
        session = await aiohttp_session.get_session(request)
        return web.json_response({"session": dict(session)})

    sio = socketio.AsyncServer(async_mode="aiohttp")
    runners: list[web.AppRunner] = []
    stores: list[AsyncRedisStore | AsyncMemoryStore] = []
    sockets: list[AsyncSessionSockets] = []

    async def start() -> str:
        app = web.Application()
        aiohttp_session.setup(app, storage())
        app.router.add_get("/login", login)
        app.router.add_get("/whoami", whoami)
        stores.append(store())
        sockets.append(AsyncSessionSockets(sio, stores[0], fmt))
        wire_async(sockets[0])
        sio.attach(app)
        runner = web.AppRunner(app, shutdown_timeout=1.0)
        await runner.setup()
        runners.append(runner)
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        host, port = runner.addresses[0][:2]
        return f"http://{host}:{port}"

    async def stop() -> None:
        for sessions in sockets:
            await sessions.close()  # the control channel's listener
        eio = sio.eio
        for socket in list(eio.sockets.values()):
            await socket.close(wait=False, reason=eio.reason.SERVER_DISCONNECT)
        await sio.shutdown()
        if runners:
            await runners[0].cleanup()
        for used in stores:
            if isinstance(used, AsyncRedisStore):
                await used.client.aclose()

    try:
        yield portal.call(start)
    finally:
        portal.call(stop)


def test_aiohttp_redis_storage(
    portal: anyio.from_thread.BlockingPortal, redis_server_session: RedisServer
) -> None:
    port = redis_server_session.port
    with aiohttp_site(
        portal,
        lambda: RedisStorage(redis.asyncio.Redis(port=port)),
        formats.aiohttp("redis"),
        lambda: AsyncRedisStore(redis.asyncio.Redis(port=port)),
    ) as url:
        round_trip(HttpWeb(url, "AIOHTTP_SESSION"), url)


def test_aiohttp_encrypted_cookie_is_read_only(portal: anyio.from_thread.BlockingPortal) -> None:
    with aiohttp_site(
        portal,
        lambda: EncryptedCookieStorage(FERNET_KEY),
        formats.aiohttp("encrypted", fernet_key=FERNET_KEY),
        AsyncMemoryStore,
    ) as url:
        read_only_trip(HttpWeb(url, "AIOHTTP_SESSION"), url)


def test_refused_without_the_web_app_s_session(express: ExpressApp) -> None:
    """The handlers above refuse a socket without a session: a round trip is never vacuous."""
    sio = socketio.Server(async_mode="threading")
    wire(SessionSockets(sio, MemoryStore(), EXPRESS))
    cookie = express.login("alice")[0]  # signed right, but not in this server's store
    refusals: list[Any] = []
    with run_wsgi(socketio.WSGIApp(sio)) as url:
        client = sync_client()
        client.on("connect_error", refusals.append)
        with pytest.raises(socketio.exceptions.ConnectionError):
            client.connect(url, headers={"Cookie": cookie}, transports=["websocket"])
        client.disconnect()
    assert refusals == [{"message": "session-not-found"}]
