"""Test your socket handlers as a logged-in user: cookies from test clients, socket clients
that wait for events, sessions minted straight into a store, real servers on free ports.

::

    from sessio.testing import SocketClient, cookie_header, run_wsgi

    web = flask_app.test_client()
    web.post("/login", data={"user": "alice", "password": "..."})   # the app's own login view
    with run_wsgi(socketio.WSGIApp(sio, flask_app)) as url, SocketClient() as client:
        client.connect(url, cookie=web)                 # or cookie=cookie_header(web)
        assert client.call("whoami") == "alice"
        web.post("/logout")                             # a view that disconnect_session()s
        assert client.wait_disconnect() == "server disconnect"

The pytest plugin (``sessio.testing.plugin``, registered when sessio is installed) adds the
fixtures ``sessio_serve`` (serve an app for the test), ``sessio_client`` (connected
`SocketClient` objects, disconnected at teardown) and ``sessio_cookie`` (`cookie_header`).

The servers and clients need sessio's ``testing`` extra (uvicorn, werkzeug and
python-socketio's client dependencies; the README's "Install" says how to install extras).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sessio.testing._asgi_server import run_asgi as run_asgi
    from sessio.testing._clients import AsyncSocketClient as AsyncSocketClient
    from sessio.testing._clients import Refused as Refused
    from sessio.testing._clients import SocketClient as SocketClient
    from sessio.testing._clients import flask_socketio_client as flask_socketio_client
    from sessio.testing._cookies import cookie_header as cookie_header
    from sessio.testing._cookies import cookie_pairs as cookie_pairs
    from sessio.testing._inbox import TIMEOUT as TIMEOUT
    from sessio.testing._inbox import Inbox as Inbox
    from sessio.testing._server_side import Disconnects as Disconnects
    from sessio.testing._server_side import amint as amint
    from sessio.testing._server_side import mint as mint
    from sessio.testing._server_side import watch_disconnects as watch_disconnects
    from sessio.testing._servers import free_port as free_port
    from sessio.testing._serving import serve as serve
    from sessio.testing._wsgi_server import run_wsgi as run_wsgi

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

# Each name is imported when first asked for: the pytest plugin, loaded in every test run of
# a project that installs sessio, imports this package and should cost next to nothing; and
# the servers need uvicorn and werkzeug (the testing extra).
_LAZY = {
    "AsyncSocketClient": "_clients",
    "Refused": "_clients",
    "SocketClient": "_clients",
    "flask_socketio_client": "_clients",
    "cookie_header": "_cookies",
    "cookie_pairs": "_cookies",
    "TIMEOUT": "_inbox",
    "Inbox": "_inbox",
    "Disconnects": "_server_side",
    "amint": "_server_side",
    "mint": "_server_side",
    "watch_disconnects": "_server_side",
    "free_port": "_servers",
    "run_asgi": "_asgi_server",
    "run_wsgi": "_wsgi_server",
    "serve": "_serving",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"sessio.testing.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
