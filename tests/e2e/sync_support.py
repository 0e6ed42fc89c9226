"""What the sync shell's end-to-end tests serve and wait with: the twin of `aio_support`.

Same names and shapes as the async module, so that ``scripts/unasync.py`` can write
``test_sync_shell.py`` from ``test_aio_shell.py`` by renaming. The app is served by werkzeug's
threaded server (``async_mode="threading"``); handlers run in its threads.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any

import socketio
from e2e_support import TIMEOUT

from servers import run_wsgi
from sessio import SessionRef, resolve
from sessio.core import Format
from sessio.sync import Store

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ["ASYNC_MODE", "Barrier", "at_once", "call_on_server", "client_gone", "serve_app"]

#: The ``socketio.Server`` mode the tests serve in.
ASYNC_MODE = "threading"


def client_gone(transport: str) -> set[str]:
    """The disconnect reasons the server may give when a client over `transport` leaves."""
    reasons = {"client disconnect", "transport close"}
    if transport == "polling":
        # python-socketio's sync client over polling sometimes stops without its last packet
        # reaching the server, which then reports the loss at its ping timeout: still the
        # reason socketio gave.
        reasons.add("ping timeout")
    return reasons


class Barrier:
    """Lets `parties` handlers through together; one left waiting fails after `TIMEOUT`."""

    def __init__(self, parties: int) -> None:
        self._barrier = threading.Barrier(parties, timeout=TIMEOUT)

    def wait(self) -> None:
        """Wait until every party waits."""
        self._barrier.wait()


def at_once(*calls: Callable[[], Any]) -> list[Any]:
    """Start every call in a thread of its own, then wait for all (at most `TIMEOUT`)."""
    if not calls:
        return []
    pool = ThreadPoolExecutor(len(calls))
    try:
        futures = [pool.submit(call) for call in calls]
        _, pending = wait(futures, TIMEOUT)
        if pending:
            raise TimeoutError(f"{len(pending)} of {len(calls)} calls still running")
        return [future.result() for future in futures]
    finally:
        pool.shutdown(wait=False)


def call_on_server(url: str, function: Callable[..., Any], *args: Any) -> Any:
    """``function(*args)`` outside any handler: here, in the test's thread."""
    return function(*args)


def session_route(store: Store, fmt: Format) -> WSGIApplication:
    """``GET /session``: the bytes stored for the request's cookie (404 without a session)."""

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        verdict = resolve(environ.get("HTTP_COOKIE"), fmt, time.time())
        raw = store.get(verdict.key) if isinstance(verdict, SessionRef) else None
        if raw is None or environ.get("PATH_INFO") != "/session":
            start_response("404 Not Found", [("Content-Type", "application/json")])
            return [b"null"]
        start_response("200 OK", [("Content-Type", "application/json")])
        return [raw]

    return app


@contextlib.contextmanager
def serve_app(sio: socketio.Server, store: Store, fmt: Format) -> Iterator[str]:
    """`sio`, with `session_route` beside it, served by werkzeug; yields the base URL."""
    with run_wsgi(socketio.WSGIApp(sio, session_route(store, fmt))) as url:
        yield url
