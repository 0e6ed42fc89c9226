"""Test your socket handlers as a logged-in user: cookies from test clients, socket clients
that wait for events, sessions minted straight into a store, real servers on free ports.

::

    from sessio.testing import SocketClient, cookie_header, run_wsgi

    web = flask_app.test_client()
    web.post("/login", data={"user": "alice", "password": "..."})   # the app's own login view
    with run_wsgi(socketio.WSGIApp(sio, flask_app)) as url, SocketClient() as client:
        client.connect(url, cookie=web)                 # or cookie=cookie_header(web)
        assert client.call("whoami") == "alice"
        web.post("/logout")
        assert client.wait_disconnect() == "server disconnect"

The pytest plugin (``sessio.testing.plugin``, registered when sessio is installed) adds the
fixtures ``sessio_serve`` (serve an app for the test), ``sessio_client`` (connected
`SocketClient` objects, disconnected at teardown) and ``sessio_cookie`` (`cookie_header`).

The servers and clients need the ``testing`` extra (``pip install 'sessio[testing]'``:
uvicorn, werkzeug and python-socketio's client dependencies).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sessio.testing._cookies import cookie_header, cookie_pairs
from sessio.testing._inbox import TIMEOUT, Inbox
from sessio.testing._server_side import Disconnects, amint, mint, watch_disconnects

if TYPE_CHECKING:
    from sessio.testing._clients import AsyncSocketClient as AsyncSocketClient
    from sessio.testing._clients import Refused as Refused
    from sessio.testing._clients import SocketClient as SocketClient
    from sessio.testing._clients import flask_socketio_client as flask_socketio_client
    from sessio.testing._servers import free_port as free_port
    from sessio.testing._servers import run_asgi as run_asgi
    from sessio.testing._servers import run_wsgi as run_wsgi
    from sessio.testing._serving import serve as serve

__all__ = [
    "TIMEOUT",
    "AsyncSocketClient",
    "Disconnects",
    "Inbox",
    "Refused",
    "SocketClient",
    "amint",
    "cookie_header",
    "cookie_pairs",
    "flask_socketio_client",
    "free_port",
    "mint",
    "run_asgi",
    "run_wsgi",
    "serve",
    "watch_disconnects",
]

# Imported when first asked for: the servers need uvicorn and werkzeug (the testing extra).
_LAZY = {
    "AsyncSocketClient": "sessio.testing._clients",
    "Refused": "sessio.testing._clients",
    "SocketClient": "sessio.testing._clients",
    "flask_socketio_client": "sessio.testing._clients",
    "free_port": "sessio.testing._servers",
    "run_asgi": "sessio.testing._servers",
    "run_wsgi": "sessio.testing._servers",
    "serve": "sessio.testing._serving",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
