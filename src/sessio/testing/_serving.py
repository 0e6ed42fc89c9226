"""`serve`: run a WSGI or an ASGI app on a free port, whichever it is."""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Iterator
from typing import Any

from sessio.testing._asgi_server import run_asgi
from sessio.testing._wsgi_server import run_wsgi

__all__ = ["is_asgi", "serve"]


def is_asgi(app: Any) -> bool:
    """Whether `app` is an ASGI app (a coroutine function, or an object whose ``__call__`` is
    one: Starlette, FastAPI, ``socketio.ASGIApp``, Django's ``ASGIHandler``) rather than WSGI."""
    call = app if inspect.isfunction(app) or inspect.ismethod(app) else type(app).__call__
    return inspect.iscoroutinefunction(call)


@contextlib.contextmanager
def serve(app: Any) -> Iterator[str]:
    """Serve `app` on 127.0.0.1 for the block: uvicorn for ASGI, werkzeug's threaded server
    for WSGI. Yields the base URL (``"http://127.0.0.1:PORT"``)."""
    runner = run_asgi if is_asgi(app) else run_wsgi
    with runner(app) as url:
        yield url
