"""The demo's web app: the page, its static files, and login, logout and ``/whoami`` over HTTP.

It is the HTTP side of `sessio.cli.demo.build_app` (an ASGI app that socket.io's ``ASGIApp``
falls back to): the web app that logs a user in and owns the session cookie. Its socket side
is in `demo`. The page and its script are package data (``demo_static/``), served from here:
no CDN, no npm. ``/config`` tells the page where its socket goes: to this origin, or, in
cross-site mode, to the socket.io server on another site, which it reaches with a ticket from
``/ticket``.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from importlib.resources import files
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sessio.aio import AsyncSession, AsyncSessionSockets, open_session
from sessio.core import Failure, parse_cookie_header
from sessio.errors import SessionError

__all__ = ["LOGOUT_REASON", "http_app"]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]

#: The reason a logout gives the other tabs' disconnect handlers (and the page shows).
LOGOUT_REASON = "logged-out"
#: Names longer than this are cut: the demo keeps what a person would type.
NAME_LIMIT = 40

STATIC = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/static/sessio-client.js": ("sessio-client.js", "text/javascript; charset=utf-8"),
    "/static/demo.js": ("demo.js", "text/javascript; charset=utf-8"),
    "/static/demo.css": ("demo.css", "text/css; charset=utf-8"),
}
# The page runs only its own scripts, and talks only to its own origin (HTTP and websocket),
# and in cross-site mode to the socket server's too.
PAGE_POLICY = "default-src 'self'; connect-src 'self'{}; object-src 'none'; base-uri 'none'"


def page_policy(socket_url: str | None = None) -> bytes:
    """The page's Content-Security-Policy: `socket_url`'s origin is let in when given."""
    if socket_url is None:
        return PAGE_POLICY.format("").encode()
    parts = urlsplit(socket_url)
    ws = "wss" if parts.scheme == "https" else "ws"
    return PAGE_POLICY.format(f" {parts.scheme}://{parts.netloc} {ws}://{parts.netloc}").encode()


def _static(name: str) -> bytes:
    return files("sessio.cli").joinpath("demo_static", name).read_bytes()


def _cookie_header(scope: Scope) -> str:
    return b"; ".join(v for k, v in scope["headers"] if k == b"cookie").decode("latin-1")


async def _body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def http_app(
    sessions: AsyncSessionSockets, socket_url: str | None = None
) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """The demo's HTTP routes, over `sessions`' store and format.

    `socket_url`, when given, is the socket.io server on another site (cross-site mode): the
    page connects there, with a ticket, instead of to its own origin.
    """
    policy = page_policy(socket_url)
    config = {"cross_site": socket_url is not None, "socket_url": socket_url}

    async def session_of(scope: Scope) -> AsyncSession | Failure:
        return await open_session(
            _cookie_header(scope), sessions.store, sessions.fmt, clock=sessions.clock
        )

    async def log_in(name: str) -> tuple[int, dict[str, Any], Headers]:
        user = " ".join(name.split())[:NAME_LIMIT] or "stranger"
        minted = await sessions.create({"user": user})
        cookie = f"{minted.cookie}; Path=/; HttpOnly; SameSite=Lax"
        return 200, {"user": user}, [(b"set-cookie", cookie.encode())]

    async def log_out(scope: Scope) -> Headers:
        opened = await session_of(scope)
        if not isinstance(opened, Failure) and opened.id is not None:
            # Every tab is told why before it goes; their disconnect handlers get the reason.
            await sessions.emit_to_session(opened.id, "bye", {"reason": LOGOUT_REASON})
            await opened.destroy()
            await sessions.disconnect_session(opened.id, reason=LOGOUT_REASON)
        expired = f"{sessions.fmt.key}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"
        return [(b"set-cookie", expired.encode())]

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        path, method = scope["path"], scope.get("method", "GET")
        headers: Headers = [(b"content-type", b"application/json"), (b"cache-control", b"no-store")]
        body: Any
        if path in STATIC and method == "GET":
            name, kind = STATIC[path]
            headers = [(b"content-type", kind.encode()), (b"cache-control", b"no-store")]
            headers.append((b"content-security-policy", policy))
            await _respond(send, 200, headers, _static(name))
            return
        if path == "/favicon.ico":  # browsers ask; the demo has none
            await _respond(send, 204, [], b"")
            return
        if path == "/login" and method == "POST":  # the page's form
            form = parse_qs((await _body(receive)).decode("utf-8", "replace"))
            _, _, set_cookie = await log_in(form.get("name", [""])[0])
            headers = [*set_cookie, (b"location", b"/")]
            await _respond(send, 303, headers, b"")
            return
        if path == "/login":  # the terminal demo's browser: GET /login?user=NAME
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            status, body, set_cookie = await log_in(query.get("user", ["alice"])[0])
            headers += set_cookie
        elif path == "/logout" and method == "POST":
            headers += await log_out(scope)
            status, body = 200, {"ok": True}
        elif path == "/config":  # where the page's socket goes
            status, body = 200, config
        elif path == "/whoami":
            opened = await session_of(scope)
            if isinstance(opened, Failure):
                status, body = 401, {"error": opened.code}
            else:
                status, body = 200, {"session": dict(opened)}
        elif path == "/ticket":
            # A socket ticket for a client whose socket cannot carry the cookie (another site,
            # a native app): `io(url, {auth: (cb) => fetch("/ticket")...})`, the cross-site
            # page's way, fetches a fresh one before each (re)connect.
            value = parse_cookie_header(_cookie_header(scope)).get(sessions.fmt.key, "")
            try:
                status, body = 200, {"ticket": await sessions.issue_ticket(value)}
            except SessionError as error:
                status, body = 401, {"error": error.code}
        else:
            status, body = 404, {"error": "not found"}
        await _respond(send, status, headers, json.dumps(body).encode())

    return app


async def _respond(send: Send, status: int, headers: Headers, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
