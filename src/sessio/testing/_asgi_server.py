"""`run_asgi`: an ASGI app under uvicorn, on an event loop of its own, for tests.

``LOOPS`` maps each running server's base URL to its loop. The gotcha it works around (a
polling client's slow disconnect from an ``AsyncServer``) is told in `run_asgi`.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import engineio
import uvicorn

from sessio.testing._servers import HOST, READY_TIMEOUT, STOP_TIMEOUT

__all__ = ["LOOPS", "run_asgi"]


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
