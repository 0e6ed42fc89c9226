"""The test kit end to end, one framework at a time, as the README shows it: log in through
the app's own login view with the framework's test client, take the cookie, and test the
socket handlers as that user over a real socket.io server."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import flask
import flask_socketio  # type: ignore[import-untyped]
import pytest
import requests
import socketio
from kit_apps import SECRET, configure_django, django_settings, flask_app, starlette_app
from starlette.testclient import TestClient

from sessio import Failure, formats
from sessio.aio import AsyncSession, AsyncSessionSockets
from sessio.aio import MemoryStore as AsyncMemoryStore
from sessio.aio import open_session as async_open_session
from sessio.core import StoreFormat
from sessio.sync import MemoryStore, Session, SessionSockets, open_session
from sessio.testing import (
    AsyncSocketClient,
    Refused,
    SocketClient,
    amint,
    flask_socketio_client,
    mint,
    run_asgi,
    run_wsgi,
    watch_disconnects,
)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def greet(sessions: SessionSockets) -> None:
    """The handlers under test: whoami reads the session, visit writes it."""

    @sessions.on("connect")
    def connect(err: Failure | None, sid: str, session: Session | None) -> bool:
        return err is None

    @sessions.on("whoami")
    def whoami(sid: str, session: Session) -> Any:
        return session.get("user")


def test_flask_cookie_session() -> None:
    app = flask_app()
    sio = socketio.Server(async_mode="threading")
    greet(SessionSockets(sio, MemoryStore(), formats.flask(SECRET)))

    web = app.test_client()
    web.post("/login", data={"user": "alice"})
    with run_wsgi(socketio.WSGIApp(sio, app)) as url, SocketClient() as client:
        client.connect(url, cookie=web, transports=["websocket"])
        assert client.call("whoami") == "alice"


def test_flask_socketio_test_client() -> None:
    app = flask_app()
    ext = flask_socketio.SocketIO(app, async_mode="threading")
    sessions = SessionSockets(ext.server, MemoryStore(), formats.flask(SECRET))
    greet(sessions)

    web = app.test_client()
    web.post("/login", data={"user": "alice"})
    client = flask_socketio_client(ext, app, web)
    assert client.is_connected()
    assert client.emit("whoami", callback=True) == "alice"
    assert not flask_socketio_client(ext, app).is_connected()  # no cookie: refused


@pytest.fixture
def django_ready(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    configure_django(tmp_path_factory.mktemp("django"))
    from django.test.utils import override_settings  # type: ignore[import-untyped]

    with override_settings(**django_settings()):
        yield


def test_django_db_sessions(django_ready: None) -> None:
    from django.test import Client  # type: ignore[import-untyped]

    from sessio.sync import DjangoStore

    store = DjangoStore()
    sio = socketio.Server(async_mode="threading")
    sessions = SessionSockets(sio, store, store.format())
    greet(sessions)

    @sessions.on("visit")
    def visit(sid: str, session: Session) -> int:
        session["visits"] = session.get("visits", 0) + 1
        session.save()
        return int(session["visits"])

    web = Client()
    web.post("/login", {"user": "carol"})
    with run_wsgi(socketio.WSGIApp(sio)) as url, SocketClient() as client:
        client.connect(url, cookie=web, transports=["websocket"])
        assert client.call("whoami") == "carol"
        assert client.call("visit") == 1
    # The socket's write, seen by Django's own view.
    assert web.get("/whoami").json() == {"session": {"user": "carol", "visits": 1}}


@pytest.mark.anyio
async def test_starlette_session_middleware_async_shell() -> None:
    sio = socketio.AsyncServer(async_mode="asgi")
    sessions = AsyncSessionSockets(sio, AsyncMemoryStore(), formats.starlette(SECRET))

    @sessions.on("whoami")
    async def whoami(sid: str, session: AsyncSession | None) -> Any:
        return None if session is None else session.get("user")

    web = TestClient(starlette_app())
    web.post("/login?user=bob")
    with run_asgi(socketio.ASGIApp(sio)) as url:
        async with AsyncSocketClient() as client:
            await client.connect(url, cookie=web, transports=["websocket"])
            assert await client.call("whoami") == "bob"


@pytest.mark.anyio
async def test_aiohttp_session_async_shell() -> None:
    from aiohttp import web
    from aiohttp.test_utils import TestClient as AiohttpClient
    from aiohttp.test_utils import TestServer
    from aiohttp_session import get_session, setup
    from aiohttp_session.cookie_storage import EncryptedCookieStorage

    fernet_key = os.urandom(32)  # aiohttp-session's secret_key: 32 raw bytes
    app = web.Application()
    setup(app, EncryptedCookieStorage(fernet_key))

    async def login(request: web.Request) -> web.Response:
        session = await get_session(request)
        session["user"] = request.query["user"]
        return web.json_response({"ok": True})

    app.router.add_post("/login", login)
    sio = socketio.AsyncServer(async_mode="aiohttp")
    sio.attach(app)
    fmt = formats.aiohttp("encrypted", fernet_key=fernet_key)
    sessions = AsyncSessionSockets(sio, AsyncMemoryStore(), fmt)

    @sessions.on("whoami")
    async def whoami(sid: str, session: AsyncSession | None) -> Any:
        return None if session is None else session.get("user")

    async with AiohttpClient(TestServer(app)) as web_client:
        await web_client.post("/login?user=frank")
        async with AsyncSocketClient() as client:
            url = str(web_client.make_url("/"))
            await client.connect(url, cookie=web_client, transports=["websocket"])
            assert await client.call("whoami") == "frank"


def express_app(require_session: bool) -> tuple[socketio.WSGIApp, SessionSockets]:
    """An app whose HTTP login mints an Express-format session, served beside socket.io."""
    sio = socketio.Server(async_mode="threading", ping_interval=0.2, ping_timeout=2.5)
    fmt = formats.express(secrets=[SECRET])
    sessions = SessionSockets(sio, MemoryStore(), fmt, require_session=require_session)
    greet(sessions)

    @sessions.on("tell")
    def tell(sid: str, session: Session, text: str) -> None:
        assert session.id is not None
        sessions.emit_to_session(session.id, "news", text)

    @sessions.on("logout")
    def logout(sid: str, session: Session) -> None:
        assert session.id is not None
        sessions.disconnect_session(session.id, reason="logged-out")

    def http(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        minted = sessions.create({"user": environ["QUERY_STRING"].removeprefix("user=")})
        start_response("200 OK", [("Set-Cookie", f"{minted.cookie}; Path=/")])
        return [b"ok"]

    return socketio.WSGIApp(sio, http), sessions


def test_requests_session_two_tabs_and_a_logout() -> None:
    app, sessions = express_app(require_session=True)
    disconnects = watch_disconnects(sessions)
    with run_wsgi(app) as url, requests.Session() as browser:
        browser.get(f"{url}/login?user=dave")
        with SocketClient() as tab1, SocketClient() as tab2, SocketClient() as stranger:
            tab1.connect(url, cookie=browser, transports=["websocket"])
            tab2.connect(url, cookie=browser, transports=["polling"])
            tab1.emit("tell", "hello")
            assert tab1.wait_for("news") == "hello" and tab2.wait_for("news") == "hello"
            assert tab2.received("news") == ["hello"]
            with pytest.raises(Refused) as refused:
                stranger.connect(url, transports=["websocket"])
            assert refused.value.data == {"code": "no-cookie"}
            sid2 = tab2.get_sid("/")
            assert sid2 is not None
            tab1.emit("logout")
            assert tab2.wait_disconnect() == "server disconnect"
            assert disconnects.wait(sid2) == "logged-out"
            with pytest.raises(TimeoutError, match="'news'"):
                tab2.wait_for("news", timeout=0.1)


FORMATS: dict[str, StoreFormat] = {
    "express": formats.express(secrets=[SECRET]),
    "flask-session": formats.flask_session(),
    "flask-session signed": formats.flask_session(SECRET, use_signer=True),
    "django db": formats.django_native(),
    "aiohttp redis": formats.aiohttp("redis"),
}


@pytest.mark.parametrize("label", FORMATS)
def test_mint_every_store_format(label: str) -> None:
    fmt = FORMATS[label]
    store = MemoryStore()
    minted = mint(store, fmt, {"user": "erin"})
    opened = open_session(minted.cookie, store, fmt)
    assert isinstance(opened, Session) and opened.id == minted.session_id
    assert dict(opened)["user"] == "erin"


@pytest.mark.anyio
async def test_amint_and_a_cookie_format_refused() -> None:
    store = AsyncMemoryStore()
    fmt = formats.express(secrets=[SECRET])
    minted = await amint(store, fmt, {"user": "fay"})
    opened = await async_open_session(minted.cookie, store, fmt)
    assert isinstance(opened, AsyncSession) and opened["user"] == "fay"
    with pytest.raises(TypeError, match="cookie_header"):
        mint(MemoryStore(), formats.flask(SECRET), {})  # type: ignore[arg-type]


def test_plugin_fixtures(
    sessio_serve: Callable[[Any], str],
    sessio_client: Callable[..., SocketClient],
    sessio_cookie: Callable[..., str],
) -> None:
    app, _ = express_app(require_session=False)
    url = sessio_serve(app)
    with requests.Session() as browser:
        browser.get(f"{url}/login?user=gus")
        client = sessio_client(url, cookie=sessio_cookie(browser), transports=["websocket"])
    assert client.call("whoami") == "gus"
    flask_url = sessio_serve(flask.Flask("plain"))  # WSGI, or ASGI:
    asgi_url = sessio_serve(socketio.ASGIApp(socketio.AsyncServer(async_mode="asgi")))
    assert flask_url != asgi_url


PLUGIN_TEST = """
def test_fixtures_are_there(sessio_serve, sessio_client, sessio_cookie):
    assert callable(sessio_serve) and callable(sessio_client) and callable(sessio_cookie)
"""


def test_the_entry_point_registers_the_plugin(tmp_path: Path) -> None:
    """Installed, sessio's pytest11 entry point loads the plugin with no ``-p``."""
    import importlib.metadata
    import subprocess
    import sys

    names = [e.value for e in importlib.metadata.entry_points(group="pytest11")]
    if "sessio.testing.plugin" not in names:
        pytest.skip("this sessio install predates its pytest11 entry point: pip install -e .")
    (tmp_path / "test_plugin_loaded.py").write_text(PLUGIN_TEST)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
