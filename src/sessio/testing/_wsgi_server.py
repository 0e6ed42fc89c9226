"""`run_wsgi`: a WSGI app under werkzeug's threaded server, for tests.

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

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import engineio
from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

from sessio.testing._servers import HOST, STOP_TIMEOUT

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

__all__ = ["run_wsgi"]


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
