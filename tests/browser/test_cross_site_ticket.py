"""A real browser, a page on one site and the socket server on another: the ticket carries it.

Headless Chromium (Debian's ``/usr/bin/chromium``, driven by Playwright) opens a page on
``http://127.0.0.1:A``, whose web app logs the browser in (an express-session cookie minted
by sessio). The page loads the official ``socket.io-client`` (``tests/browser``'s pinned npm
package, served by the web app: no CDN) and connects to the socket.io server on
``http://localhost:B``, another site, with ``withCredentials: true``. The browser sends no
session cookie there (the test checks the handshake's ``Cookie`` header); the page's ``auth``
callback fetches a ticket from its own site before each (re)connect, and that carries the
session. The page then drops its transport, socket.io reconnects on its own, and the
callback's fresh ticket carries the session again.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import threading
from collections.abc import Iterable, Iterator
from http.cookies import SimpleCookie
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import socketio

import sessio.sync
from servers import run_wsgi
from sessio import formats

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

HERE = Path(__file__).resolve().parent
CLIENT_JS = HERE / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"
FMT = formats.express(secrets=["browser-secret"])
TIMEOUT_MS = 10_000

_install_lock = threading.Lock()

PAGE = """<!doctype html>
<html><head><title>sessio cross-site ticket</title><script src="/socket.io.js"></script></head>
<body><pre id="log"></pre><script>
const log = (line) => { document.getElementById("log").textContent += line + "\\n" };
window.sessio = { replies: [], errors: [] };
const socket = io(SOCKET_URL, {
  withCredentials: true,            // the cookie would go if the browser let it: it does not
  // A callback: socket.io calls it before every (re)connect, so each gets a fresh ticket.
  auth: (cb) => fetch("/ticket", { credentials: "same-origin" })
    .then((response) => response.json())
    .then(({ ticket }) => cb({ ticket })),
});
socket.on("connect", () => socket.emit("whoami", (reply) => {
  log("connected as " + reply.user);
  window.sessio.replies.push(reply);
}));
socket.on("connect_error", (err) => {
  log("refused: " + JSON.stringify(err.data));
  window.sessio.errors.push(err.data);
});
window.dropTransport = () => socket.io.engine.close();   // socket.io reconnects by itself
</script></body></html>
"""


def ensure_installed() -> None:
    """``npm ci`` in tests/browser, once, when its ``node_modules`` is missing."""
    with _install_lock:
        if CLIENT_JS.is_file():
            return
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("npm is not installed: the browser test needs socket.io-client")
        subprocess.run([npm, "ci", "--silent", "--no-audit", "--no-fund"], cwd=HERE, check=True)


def chromium() -> str:
    found = shutil.which("chromium")
    if found is None:
        pytest.fail("chromium is not installed (apt-get install -y chromium)")
    return found


class WebApp:
    """The page's own site: ``/login``, ``/`` (the page), ``/ticket``, ``/socket.io.js``."""

    def __init__(self, store: sessio.sync.MemoryStore, sessions: sessio.sync.SessionSockets):
        self.store = store
        self.sessions = sessions
        self.socket_url = ""
        self.tickets = 0

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/login":
            minted = self.sessions.create({"user": "ann"})
            cookie = f"{minted.cookie}; Path=/; HttpOnly; SameSite=Lax"
            start_response("302 Found", [("Location", "/"), ("Set-Cookie", cookie)])
            return [b""]
        if path == "/ticket":
            jar = SimpleCookie(environ.get("HTTP_COOKIE", ""))
            value = jar[FMT.key].coded_value if FMT.key in jar else ""
            ticket = sessio.sync.issue_ticket(self.store, FMT, value, ttl=30)
            self.tickets += 1
            return self._send(start_response, "application/json", json.dumps({"ticket": ticket}))
        if path == "/socket.io.js":
            return self._send(start_response, "text/javascript", CLIENT_JS.read_text())
        page = PAGE.replace("SOCKET_URL", json.dumps(self.socket_url))
        return self._send(start_response, "text/html", page)

    @staticmethod
    def _send(start_response: StartResponse, kind: str, body: str) -> list[bytes]:
        start_response("200 OK", [("Content-Type", kind + "; charset=utf-8")])
        return [body.encode()]


@contextlib.contextmanager
def sites() -> Iterator[tuple[str, WebApp, list[Any]]]:
    """The web app on 127.0.0.1, the socket server on localhost; what handshakes carried."""
    store = sessio.sync.MemoryStore()
    handshakes: list[Any] = []
    with contextlib.ExitStack() as stack:
        # The web app's origin is known only once it listens: CORS is opened to it then.
        sio = socketio.Server(async_mode="threading", cors_allowed_origins=[])
        sessions = sessio.sync.SessionSockets(sio, store, FMT, require_session=True)

        @sessions.on("connect")
        def connect(err: Any, sid: str, session: Any) -> None:
            environ = sio.get_environ(sid) or {}
            handshakes.append({"cookie": environ.get("HTTP_COOKIE"), "user": session["user"]})

        @sessions.on("whoami")
        def whoami(sid: str, session: Any) -> Any:
            return {"user": session["user"], "id": session.id}

        web = WebApp(store, sessions)
        web_url = stack.enter_context(run_wsgi(web))
        socket_url = stack.enter_context(run_wsgi(socketio.WSGIApp(sio)))
        sio.eio.cors_allowed_origins = [web_url]
        web.socket_url = socket_url.replace("127.0.0.1", "localhost")
        yield web_url, web, handshakes


def test_a_cross_site_page_connects_with_a_ticket_and_reconnects_with_a_fresh_one() -> None:
    from playwright.sync_api import sync_playwright

    ensure_installed()
    with sites() as (web_url, web, handshakes), sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium(),
            args=["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            page = browser.new_page()
            page.goto(web_url + "/login")
            page.wait_for_function("window.sessio.replies.length === 1", timeout=TIMEOUT_MS)
            first = page.evaluate("window.sessio.replies[0]")
            assert first["user"] == "ann"
            page.evaluate("window.dropTransport()")
            page.wait_for_function("window.sessio.replies.length === 2", timeout=TIMEOUT_MS)
            assert page.evaluate("window.sessio.replies[1]") == first
            assert page.evaluate("window.sessio.errors") == []
        finally:
            browser.close()
    # Two connects, two tickets, and not once did the session cookie reach the other site.
    assert web.tickets == 2
    assert [h["user"] for h in handshakes] == ["ann", "ann"]
    assert all(FMT.key not in (h["cookie"] or "") for h in handshakes), handshakes
