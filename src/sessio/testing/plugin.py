"""sessio's pytest plugin: fixtures for testing socket handlers as a logged-in user.

Registered through the ``pytest11`` entry point when sessio is installed (or with
``-p sessio.testing.plugin``). Every fixture's name starts with ``sessio_``; the module
imports nothing heavy until a test asks for a fixture, so it costs other projects' test runs
nothing.

* ``sessio_serve(app)`` serves a WSGI or ASGI app on a free port until the test ends and
  returns its base URL.
* ``sessio_client(url, cookie=..., **connect_args)`` returns a connected
  `sessio.testing.SocketClient`; every one is disconnected at teardown.
* ``sessio_cookie(client, *names)`` is `sessio.testing.cookie_header`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from sessio.testing._clients import SocketClient

__all__ = ["sessio_client", "sessio_cookie", "sessio_serve"]


@pytest.fixture
def sessio_serve() -> Iterator[Callable[[Any], str]]:
    """``serve(app) -> url``: `app` (WSGI or ASGI) served on 127.0.0.1 until the test ends."""
    from sessio.testing._serving import serve

    with contextlib.ExitStack() as stack:

        def start(app: Any) -> str:
            return stack.enter_context(serve(app))

        yield start


@pytest.fixture
def sessio_client() -> Iterator[Callable[..., SocketClient]]:
    """``connect(url, cookie=None, **connect_args) -> SocketClient``, connected; all of them
    are disconnected when the test ends. ``client_args`` (a dict) goes to the constructor."""
    from sessio.testing._clients import SocketClient

    clients: list[SocketClient] = []

    def connect(
        url: str, cookie: Any = None, client_args: dict[str, Any] | None = None, **kwargs: Any
    ) -> SocketClient:
        client = SocketClient(**(client_args or {}))
        clients.append(client)
        client.connect(url, cookie=cookie, **kwargs)
        return client

    yield connect
    for client in clients:
        client.disconnect()


@pytest.fixture
def sessio_cookie() -> Callable[..., str]:
    """`sessio.testing.cookie_header`: ``sessio_cookie(test_client, *names) -> header``."""
    from sessio.testing._cookies import cookie_header

    return cookie_header
