"""Real HTTP servers for end-to-end tests: `sessio.testing`'s own, which users test with too.

``run_wsgi`` serves a WSGI app under werkzeug's threaded server, ``run_asgi`` an ASGI app under
uvicorn on a loop of its own (``LOOPS`` maps each base URL to it); both yield the base URL and
stop everything at exit. The gotchas they handle (werkzeug reading websocket frames as HTTP,
a polling client's slow disconnect from an AsyncServer) are told in
``src/sessio/testing/_wsgi_server.py`` and ``_asgi_server.py``.
"""

from sessio.testing._asgi_server import LOOPS, run_asgi
from sessio.testing._servers import (
    HOST,
    READY_TIMEOUT,
    STOP_TIMEOUT,
    async_client,
    free_port,
    sync_client,
    wait_for,
)
from sessio.testing._wsgi_server import run_wsgi

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
