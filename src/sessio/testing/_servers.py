"""What the real test servers share: their host and timeouts, a free port, polling with a
deadline, and socket.io clients set up for tests.

The servers themselves are `sessio.testing._wsgi_server.run_wsgi` (werkzeug) and
`sessio.testing._asgi_server.run_asgi` (uvicorn). Both are context managers that yield the base
URL (``"http://127.0.0.1:PORT"``), return only once the server accepts connections, and at exit
close every engine.io session, stop the server and join its threads. sessio's own test suite
runs on them (``tests/servers.py``).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any

import socketio

__all__ = [
    "HOST",
    "READY_TIMEOUT",
    "STOP_TIMEOUT",
    "async_client",
    "free_port",
    "sync_client",
    "wait_for",
]

HOST = "127.0.0.1"

# Generous enough for a loaded CI machine, short enough that a broken server fails the test fast.
READY_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago.

    Another process may take it before the caller binds it; the servers (`run_wsgi`,
    `run_asgi`) bind port 0 themselves instead, so use this only where a fixed port is needed
    (e.g. restarting a server on the same port).
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
    (see `sessio.testing._wsgi_server`).
    """
    kwargs.setdefault("reconnection", False)
    kwargs.setdefault("handle_sigint", False)
    return socketio.Client(**kwargs)


def async_client(**kwargs: Any) -> socketio.AsyncClient:
    """The ``socketio.AsyncClient`` twin of ``sync_client``."""
    kwargs.setdefault("reconnection", False)
    kwargs.setdefault("handle_sigint", False)
    return socketio.AsyncClient(**kwargs)
