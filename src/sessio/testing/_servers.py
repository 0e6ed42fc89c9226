"""Real HTTP servers for tests: a WSGI app under werkzeug, an ASGI app under uvicorn.

Both helpers are context managers that yield the base URL (``"http://127.0.0.1:PORT"``), return
only once the server accepts connections, and at exit close every engine.io session, stop the
server and join its threads. sessio's own test suite runs on them (``tests/servers.py``).

Threading-mode websockets work under werkzeug's own threaded server: werkzeug puts the raw
connection in ``environ["werkzeug.socket"]``, ``simple_websocket.Server`` takes it over, and when
the websocket ends engine.io's threading driver raises ``ConnectionError`` so that werkzeug
writes no response of its own.

Gotcha (fixed here, in ``_QuietHandler``): werkzeug treats that ``ConnectionError`` as a dropped
connection but keeps the connection open and reads the next "HTTP request" from it, i.e. the
websocket frames the client still sends. The sync ``socketio.Client`` closes its websocket
before its write loop has flushed the DISCONNECT and CLOSE packets, so those frames arrive
after the server's websocket ended; werkzeug then waits for a request line that never comes,
and websocket-client's ``close()`` waits out its 3 s timeout for a close frame (the client's
read-loop thread already swallowed the server's). Hence the "~3 s stall on disconnect", random
because it ends early whenever a masked frame byte happens to be a newline. Closing the
connection once the app reports it dropped makes disconnects immediate. A consequence that
remains (client side, not fixable here): the server may see a sync client's disconnect as
``"transport close"`` rather than ``"client disconnect"``.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import engineio
import socketio
import uvicorn
from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

__all__ = [
    "HOST",
    "LOOPS",
    "READY_TIMEOUT",
    "STOP_TIMEOUT",
    "async_client",
    "free_port",
    "run_asgi",
    "run_wsgi",
    "sync_client",
    "wait_for",
]

HOST = "127.0.0.1"

# Generous enough for a loaded CI machine, short enough that a broken server fails the test fast.
READY_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago.

    Another process may take it before the caller binds it; the servers below bind port 0
    themselves instead, so use this only where a fixed port is needed (e.g. restarting a server
    on the same port).
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for(
    condition: Callable[[], object],
    timeout: float = 5.0,
    interval: float = 0.01,
    message: str = "condition",
) -> None:
    """Poll ``condition`` until it returns something true; raise ``TimeoutError`` after ``timeout``.

    For tests that must see a side effect of another thread or process (a handler ran, a key
    appeared): polling with a deadline instead of a blind sleep.
    """
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{message} not met within {timeout} s")
        time.sleep(interval)


def sync_client(**kwargs: Any) -> socketio.Client:
    """A ``socketio.Client`` for tests: no reconnection, no SIGINT handler (``kwargs`` override).

    A client that silently reconnects would hide a server-side disconnect, and one that takes
    over SIGINT would get in pytest's way. Its disconnects are immediate under ``run_wsgi``
    (see the module docstring).
    """
    kwargs.setdefault("reconnection", False)
    kwargs.setdefault("handle_sigint", False)
    return socketio.Client(**kwargs)


def async_client(**kwargs: Any) -> socketio.AsyncClient:
    """The ``socketio.AsyncClient`` twin of ``sync_client``."""
    kwargs.setdefault("reconnection", False)
    kwargs.setdefault("handle_sigint", False)
    return socketio.AsyncClient(**kwargs)


# --- WSGI --------------------------------------------------------------------------------------


class _QuietHandler(WSGIRequestHandler):
    """Werkzeug's request handler, minus the access log, closing connections the app dropped."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass

    def connection_dropped(self, error: BaseException, environ: Any = None) -> None:
        # After a websocket the stream holds frames, not HTTP: never read a request from it.
        self.close_connection = True


class _TrackingWSGIServer(ThreadedWSGIServer):
    """A threaded werkzeug server that remembers its open connections and their threads.

    socketserver's ThreadingMixIn forgets daemon threads, so at shutdown nothing would close a
    websocket that a test left open, and its thread would outlive the test.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lock = threading.Lock()
        self._connections: dict[socket.socket, threading.Thread] = {}

    def process_request(self, request: Any, client_address: Any) -> None:
        _no_delay(request)
        thread = threading.Thread(
            target=self.process_request_thread,
            args=(request, client_address),
            name=f"wsgi-request-{self.port}",
            daemon=True,
        )
        with self._lock:
            self._connections[request] = thread
        thread.start()

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._lock:
                self._connections.pop(request, None)

    def drop_connections(self, timeout: float) -> list[threading.Thread]:
        """Shut down every open connection and join its thread; return the threads still alive."""
        with self._lock:
            connections = list(self._connections.items())
        for sock, _ in connections:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + timeout
        for _, thread in connections:
            thread.join(max(0.0, deadline - time.monotonic()))
        return [thread for _, thread in connections if thread.is_alive()]


def _no_delay(sock: socket.socket) -> None:
    """Send small writes at once (TCP_NODELAY), as production servers do.

    Without it Nagle's algorithm holds a small write (a socket.io packet) while an earlier one
    is unacknowledged, and the client's delayed ACK (40 ms on Linux) then sets its pace: a
    server message sent within ~40 ms of another that the client did not answer arrived up to
    40 ms late (benchmarks/revoke_latency.py measured it). uvicorn gets it from asyncio for
    sockets it accepts, gunicorn sets it on its listeners; werkzeug never does.
    """
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _sync_engineio_server(app: object) -> engineio.Server | None:
    """The engine.io server behind a (socketio or engineio) ``WSGIApp``, if ``app`` is one."""
    if not isinstance(app, engineio.WSGIApp):
        return None
    server = app.engineio_app
    eio = getattr(server, "eio", server)  # socketio.Server wraps an engineio.Server
    return eio if isinstance(eio, engineio.Server) else None


@contextlib.contextmanager
def run_wsgi(app: WSGIApplication, port: int = 0) -> Iterator[str]:
    """Serve a WSGI app with werkzeug's threaded server; yield its base URL.

    ``app`` is typically ``socketio.WSGIApp(sio, other_app)`` for a
    ``socketio.Server(async_mode="threading")``: polling and websocket both work. ``port=0``
    (the default) binds a free port with no race; pass a port to restart on the same one.

    At exit: engine.io sessions are closed (so long-polling requests return at once and
    disconnect handlers run), the server stops accepting, remaining connections are shut down
    and their threads joined. A thread still alive after that is reported as an error, unless
    the test body itself failed.

    An engine.io server monitors its clients from a thread it starts on its first request and
    never restarts after ``shutdown()``: use a fresh ``socketio.Server`` per ``run_wsgi``.
    Engine.io's per-session ping threads are not the server's to join: each sleeps out its
    ``ping_interval`` before it sees its session closed (daemon threads; a short
    ``ping_interval`` in tests keeps them brief).
    """
    server = _TrackingWSGIServer(HOST, port, app, handler=_QuietHandler)
    # A short poll interval makes shutdown() return within ~50 ms instead of 0.5 s.
    serving = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name=f"wsgi-server-{server.port}",
        daemon=True,
    )
    serving.start()
    url = f"http://{HOST}:{server.port}"
    body_failed = True
    try:
        # No readiness poll needed: the constructor bound and listened, so connections queue in
        # the backlog until serve_forever accepts them.
        yield url
        body_failed = False
    finally:
        eio = _sync_engineio_server(app)
        if eio is not None:
            # Not eio.disconnect(): it waits for each client to take its CLOSE packet, forever
            # for a client that is already gone.
            for session in list(eio.sockets.values()):
                session.close(wait=False, reason=eio.reason.SERVER_DISCONNECT)
            eio.shutdown()
        server.shutdown()
        serving.join(STOP_TIMEOUT)
        leftover = server.drop_connections(STOP_TIMEOUT)
        server.server_close()
        if not body_failed and (serving.is_alive() or leftover):
            raise RuntimeError(f"WSGI server at {url} did not stop: {leftover or [serving]}")


# --- ASGI --------------------------------------------------------------------------------------


def _async_engineio_server(app: object) -> engineio.AsyncServer | None:
    """The engine.io server behind a (socketio or engineio) ``ASGIApp``, if ``app`` is one."""
    if not isinstance(app, engineio.ASGIApp):
        return None
    server = app.engineio_server
    eio = getattr(server, "eio", server)  # socketio.AsyncServer wraps an engineio.AsyncServer
    return eio if isinstance(eio, engineio.AsyncServer) else None


#: The event loop serving each running `run_asgi` app, by base URL: tests call into the
#: async shell from their own thread with ``asyncio.run_coroutine_threadsafe``.
LOOPS: dict[str, asyncio.AbstractEventLoop] = {}


@contextlib.contextmanager
def run_asgi(app: Callable[..., Any], port: int = 0) -> Iterator[str]:
    """Serve an ASGI app with uvicorn in a background thread with its own event loop.

    Yields the base URL once uvicorn reports ``started``. Lifespan is off (engine.io's ASGIApp
    needs none) and uvicorn logs warnings only. ``port=0`` binds a free port with no race.

    At exit: engine.io sessions are closed on the server's loop (so long-polling requests
    return and disconnect handlers run), then uvicorn is asked to exit and its thread joined.
    Use a fresh ``socketio.AsyncServer`` per ``run_asgi``: its engine.io client monitor is
    started once and is bound to the loop it first ran on.

    Gotcha: a *polling* client's ``disconnect()`` against an ``AsyncServer`` blocks for up to
    ``ping_interval + ping_timeout`` (45 s by default). On the client's CLOSE packet,
    engineio's ``AsyncSocket.close(abort=True)`` never wakes the long-poll GET the client is
    waiting on (the threading ``Socket.close`` does, by queueing ``None``), and the client
    waits for that GET before returning. Tests that poll give the server short pings, e.g.
    ``AsyncServer(ping_interval=0.5, ping_timeout=1)``.
    """
    # IPPROTO_TCP named, as uvicorn's own bind does: asyncio then sets TCP_NODELAY on every
    # socket it accepts (it checks ``sock.proto``; with 0, accepted sockets kept Nagle's
    # algorithm, and a small write after another waited for the client's delayed ACK).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, port))
    sock.listen(128)
    bound_port: int = sock.getsockname()[1]
    url = f"http://{HOST}:{bound_port}"

    config = uvicorn.Config(
        app,
        lifespan="off",
        log_level="warning",
        # An open websocket must not hold shutdown for long.
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    loop_box: list[asyncio.AbstractEventLoop] = []
    failure: list[BaseException] = []

    async def serve() -> None:
        loop_box.append(asyncio.get_running_loop())
        LOOPS[url] = loop_box[0]
        await server.serve(sockets=[sock])

    def run() -> None:
        try:
            asyncio.run(serve())
        except BaseException as exc:  # reported by the waiting thread, not lost in this one
            failure.append(exc)

    serving = threading.Thread(target=run, name=f"asgi-server-{bound_port}", daemon=True)
    serving.start()
    body_failed = True
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while not server.started:
            if failure or not serving.is_alive():
                raise RuntimeError(f"uvicorn failed to start on {url}") from (
                    failure[0] if failure else None
                )
            if time.monotonic() > deadline:
                raise TimeoutError(f"uvicorn did not start on {url} within {READY_TIMEOUT} s")
            time.sleep(0.01)
        yield url
        body_failed = False
    finally:
        eio = _async_engineio_server(app)
        if eio is not None and loop_box and serving.is_alive():
            closing = asyncio.run_coroutine_threadsafe(_close_engineio(eio), loop_box[0])
            with contextlib.suppress(Exception):
                closing.result(STOP_TIMEOUT)
        LOOPS.pop(url, None)
        server.should_exit = True
        serving.join(STOP_TIMEOUT)
        if serving.is_alive():
            server.force_exit = True
            serving.join(STOP_TIMEOUT)
        sock.close()
        if not body_failed and (serving.is_alive() or failure):
            raise RuntimeError(f"ASGI server at {url} did not stop cleanly") from (
                failure[0] if failure else None
            )


async def _close_engineio(eio: engineio.AsyncServer) -> None:
    # Not eio.disconnect(): it waits for each client to take its CLOSE packet, forever for a
    # client that is already gone.
    for session in list(eio.sockets.values()):
        await session.close(wait=False, reason=eio.reason.SERVER_DISCONNECT)
    await eio.shutdown()
