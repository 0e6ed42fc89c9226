"""``sessio demo``: a web app and a socket.io server sharing one Express-format session.

The app logs a user in over HTTP (the page's form, or ``/login?user=NAME``: either sets the
``connect.sid`` cookie), shows the session at ``/whoami``, and its socket.io handlers read
and write the same session, message every tab of a session, and see logouts. ``--serve``
keeps it serving for a browser (the page at ``/``, `sessio.cli._demo_page`); otherwise the
demo plays a browser against itself and prints what happens, ending with ``demo ok``.

``--serve --cross-site`` puts the socket.io server on another site: a second listener of
the same server, reached as ``http://localhost:B`` while the page and its web app are on
``http://127.0.0.1:A``. The browser sends that site no cookie; the page fetches a one-time
ticket from its own site before each (re)connect and hands it over in ``auth``. Only in
that mode does the socket server accept a page from another origin (``cors_allowed_origins``).
"""

from __future__ import annotations

import asyncio
import logging
import socket
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import socketio

from sessio import formats
from sessio.aio import AsyncSession, AsyncSessionSockets, MemoryStore
from sessio.cli._demo_page import Receive, Scope, Send, http_app
from sessio.core import Failure, parse_cookie_header

__all__ = ["CrossSite", "build_app", "main", "play"]


@dataclass(frozen=True)
class CrossSite:
    """Where the page is and where its socket goes, when they are on two sites."""

    #: The page's origin (``http://127.0.0.1:A``): the one the socket server lets in.
    page_origin: str
    #: The socket.io server's URL (``http://localhost:B``): another site, so no cookie.
    socket_url: str


SECRET = "keyboard cat"
logger = logging.getLogger("sessio.demo")


ASGI = Callable[[Scope, Receive, Send], Awaitable[None]]


def build_app(cross_site: CrossSite | None = None) -> tuple[ASGI, AsyncSessionSockets]:
    """The demo's ASGI app (HTTP routes plus socket.io) and its `AsyncSessionSockets`.

    With `cross_site`, the app answers on two listeners: socket.io alone on the one whose
    port is `cross_site.socket_url`'s (open to `cross_site.page_origin` and no other), the
    web app alone on any other.
    """
    # python-socketio's default (None) accepts the server's own origin only.
    allowed = [cross_site.page_origin] if cross_site is not None else None
    sio = socketio.AsyncServer(async_mode="asgi", cors_allowed_origins=allowed)
    # No session, no socket: the client's connect_error gets {"code": ...} and nothing more.
    fmt = formats.express(secrets=[SECRET])
    sessions = AsyncSessionSockets(sio, MemoryStore(), fmt, require_session=True)

    @sessions.on("connect")
    async def connect(err: Failure | None, sid: str, session: AsyncSession | None) -> bool:
        assert session is not None  # require_session
        environ = sio.get_environ(sid) or {}
        # What carried the session here: the browser's cookie, or a ticket in `auth`.
        cookies = parse_cookie_header(environ.get("HTTP_COOKIE", ""))
        await sio.emit("via", "cookie" if fmt.key in cookies else "ticket", to=sid)
        await sio.emit("greeting", f"hello, {session.get('user', 'stranger')}", to=sid)
        await sio.emit("session", dict(session), to=sid)  # what this socket received
        return True

    @sessions.on("count")
    async def count(sid: str, session: AsyncSession, step: int) -> int:
        session["count"] = session.get("count", 0) + int(step)
        await session.save()
        return int(session["count"])

    @sessions.on("tell")
    async def tell(sid: str, session: AsyncSession, text: str) -> bool:
        # Every socket of this session: this tab and the others, on every node.
        assert session.id is not None
        news = {"from": session.get("user"), "text": str(text)[:200]}
        await sessions.emit_to_session(session.id, "news", news)
        return True

    @sessions.on("disconnect")
    async def disconnect(sid: str, session: AsyncSession | None, reason: str) -> None:
        logger.info("socket %s left: %s", sid, reason)

    if cross_site is None:
        return socketio.ASGIApp(sio, http_app(sessions)), sessions
    web = http_app(sessions, socket_url=cross_site.socket_url)
    sockets = socketio.ASGIApp(sio)  # nothing but /socket.io/ on the socket's site
    socket_port = urlsplit(cross_site.socket_url).port

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        server = scope.get("server") or (None, None)
        await (sockets if server[1] == socket_port else web)(scope, receive, send)

    return app, sessions


def _listen(port: int = 0) -> socket.socket:
    """A listening socket on 127.0.0.1 (`port` 0: a free one, with no race)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(128)
    return sock


async def _get(url: str, cookie: str | None = None) -> tuple[int, dict[str, Any], str | None]:
    """GET `url` as a browser would: status, JSON body and the ``name=value`` it set."""
    import aiohttp

    headers = {"Cookie": cookie} if cookie else {}
    async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as response:
        set_cookie = response.headers.get("Set-Cookie")
        body: dict[str, Any] = await response.json()
        return response.status, body, set_cookie.split(";")[0] if set_cookie else None


async def play(url: str, out: Callable[[str], None] = print) -> bool:
    """Act as a browser against the demo at `url`; True when everything matched."""
    status, body, cookie = await _get(f"{url}/login?user=alice")
    name = cookie.split("=")[0] if cookie else None
    out(f"HTTP  GET /login?user=alice -> {status} {body}, sets cookie {name}")
    if cookie is None:
        return False
    greeted: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    client = socketio.AsyncClient()

    def greeting_received(text: str) -> None:
        if not greeted.done():
            greeted.set_result(text)

    client.on("greeting", greeting_received)
    await client.connect(url, headers={"Cookie": cookie}, transports=["websocket"])
    out(f"WS    connected as {client.sid}")
    greeting = await asyncio.wait_for(greeted, 5)
    out(f"WS    <- greeting {greeting!r}")
    counts = [await client.call("count", 1, timeout=5) for _ in range(3)]
    out(f"WS    -> count x3, acks {counts}")
    await client.disconnect()
    # A client whose cookie cannot reach the socket server: a ticket, in the auth payload.
    status, ticket, _ = await _get(f"{url}/ticket", cookie)
    out(f"HTTP  GET /ticket -> {status} (a single-use ticket, 30 s)")
    client = socketio.AsyncClient()
    await client.connect(url, auth=ticket, transports=["websocket"])
    ticketed = await client.call("count", 0, timeout=5)
    out(f"WS    connected with the ticket and no cookie; count -> {ticketed}")
    await client.disconnect()
    status, body, _ = await _get(f"{url}/whoami", cookie)
    out(f"HTTP  GET /whoami -> {status} {body}")
    return (
        greeting == "hello, alice" and body.get("session", {}).get("count") == 3 and ticketed == 3
    )


async def _run(serve: bool, port: int | None, cross_site: bool = False) -> int:
    import uvicorn

    try:
        listeners = [_listen(port or 0)]
    except OSError as error:  # the --port asked for is taken
        print(f"sessio demo: cannot listen on 127.0.0.1:{port}: {error}")
        return 1
    url = f"http://127.0.0.1:{listeners[0].getsockname()[1]}"
    where: CrossSite | None = None
    if cross_site:
        listeners.append(_listen())
        # 127.0.0.1 and localhost are two sites to a browser: no cookie crosses.
        where = CrossSite(url, f"http://localhost:{listeners[1].getsockname()[1]}")
    app, _ = build_app(where)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=listeners))
    while not server.started:
        if task.done():
            return 1
        await asyncio.sleep(0.01)
    if where is not None:
        print(
            f"sessio demo serving the page on {url} and its socket.io server on another site, "
            f"{where.socket_url}: open {url} in a browser",
            flush=True,
        )
    elif serve:
        print(
            f"sessio demo serving on {url}: open it in a browser, then in a second tab", flush=True
        )
    else:
        print(f"sessio demo serving on {url} (login: {url}/login?user=NAME, then {url}/whoami)")
    try:
        if serve or cross_site:
            await task
            return 0
        ok = await play(url)
    finally:
        server.should_exit = True
        await task
    print("demo ok" if ok else "demo FAILED")
    return 0 if ok else 1


def main(serve: bool = False, port: int | None = None, cross_site: bool = False) -> int:
    """Run the demo; with `serve`, keep serving until interrupted instead of playing it.

    `cross_site` (which serves, too) puts the socket.io server on another site than the page.
    """
    try:
        return asyncio.run(_run(serve, port, cross_site))
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main("--serve" in sys.argv, cross_site="--cross-site" in sys.argv))
