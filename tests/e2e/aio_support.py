"""What the async shell's end-to-end tests serve and wait with; `sync_support` is its twin.

``test_sync_shell.py`` is written from ``test_aio_shell.py`` by ``scripts/unasync.py``, by
rules on names (``AsyncBarrier`` becomes ``Barrier``, ``await`` goes), as the sync shell is
written from the async one. Whatever has a sync form that is not such a rewrite lives here and
in the twin, with the same names and shapes: how the app is served (uvicorn, on an event loop
of its own in a thread), how a test waits, how it calls into the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from typing import Any

import anyio
import pytest
import socketio
from e2e_support import TIMEOUT

from servers import LOOPS, run_asgi
from sessio import SessionRef, resolve
from sessio.aio import Store
from sessio.core import Format

__all__ = [
    "ASYNC_MODE",
    "AsyncBarrier",
    "anyio_backend",
    "at_once",
    "call_on_server",
    "client_gone",
    "serve_app",
]

Scope = dict[str, Any]
Message = dict[str, Any]

#: The ``socketio.AsyncServer`` mode the tests serve in.
ASYNC_MODE = "asgi"


@pytest.fixture
def anyio_backend() -> str:
    """asyncio only: socketio.AsyncClient (like AsyncServer) calls asyncio directly."""
    return "asyncio"


def client_gone(transport: str) -> set[str]:
    """The disconnect reasons the server may give when a client over `transport` leaves."""
    return {"client disconnect", "transport close"}


class AsyncBarrier:
    """Lets `parties` handlers through together; one left waiting fails after `TIMEOUT`."""

    def __init__(self, parties: int) -> None:
        # Bound to the loop of its first wait (the server's), not the one that makes it.
        self._barrier = asyncio.Barrier(parties)

    async def wait(self) -> None:
        """Wait until every party waits."""
        with anyio.fail_after(TIMEOUT):
            await self._barrier.wait()


async def at_once(*calls: Callable[[], Awaitable[Any]]) -> list[Any]:
    """Start every call, then wait for all (at most `TIMEOUT`); their results, in order."""
    with anyio.fail_after(TIMEOUT):
        return list(await asyncio.gather(*(call() for call in calls)))


async def call_on_server(
    url: str, function: Callable[..., Coroutine[Any, Any, Any]], *args: Any
) -> Any:
    """``await function(*args)`` on the loop serving `url`, outside any handler."""
    done = asyncio.run_coroutine_threadsafe(function(*args), LOOPS[url])
    with anyio.fail_after(TIMEOUT):
        return await asyncio.wrap_future(done)


def session_route(store: Store, fmt: Format) -> Callable[..., Any]:
    """``GET /session``: the bytes stored for the request's cookie (404 without a session)."""

    async def app(
        scope: Scope,
        receive: Callable[[], Any],
        send: Callable[[Message], Any],
    ) -> None:
        if scope["type"] != "http":
            return
        cookie = ",".join(v.decode("latin-1") for k, v in scope["headers"] if k == b"cookie")
        verdict = resolve(cookie or None, fmt, time.time())
        raw = await store.get(verdict.key) if isinstance(verdict, SessionRef) else None
        status = 404 if raw is None or scope["path"] != "/session" else 200
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": raw if status == 200 else b"null"})

    return app


@contextlib.contextmanager
def serve_app(sio: socketio.AsyncServer, store: Store, fmt: Format) -> Iterator[str]:
    """`sio`, with `session_route` beside it, served by uvicorn; yields the base URL."""
    with run_asgi(socketio.ASGIApp(sio, session_route(store, fmt))) as url:
        yield url
