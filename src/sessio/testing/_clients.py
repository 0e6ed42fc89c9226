"""Socket.IO test clients that take a session cookie and keep what they receive.

`SocketClient` is a ``socketio.Client`` and `AsyncSocketClient` a ``socketio.AsyncClient``,
with three differences for tests: ``connect`` takes ``cookie=`` (a ``Cookie`` header, or a
framework's test client to take it from), a refused connect raises `Refused` with what the
server said, and everything received is kept in an `Inbox` to wait on (`wait_for`,
`wait_disconnect`). Reconnection and the SIGINT handler are off: a client that silently
reconnected would hide the very disconnect a test is looking for.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

import socketio

from sessio.testing._cookies import cookie_header
from sessio.testing._inbox import TIMEOUT, Inbox, payload

if TYPE_CHECKING:
    from engineio._types import ConnectHeaders, ConnectURL

__all__ = ["AsyncSocketClient", "Refused", "SocketClient", "flask_socketio_client"]


class Refused(socketio.exceptions.ConnectionError):
    """The server refused the connection to `namespace`.

    `data` is what the refusal carried for the client (with ``require_session``, exactly
    ``{"code": <failure code>}``), `message` its text.
    """

    def __init__(self, namespace: str, message: Any, data: Any) -> None:
        super().__init__(f"connection to {namespace!r} refused: {message!r} {data!r}")
        self.namespace = namespace
        self.message = message
        self.data = data


def _headers(headers: ConnectHeaders | None, cookie: Any) -> ConnectHeaders:
    """`headers` with the ``Cookie`` header that `cookie` is (or that `cookie_header` reads)."""
    if cookie is not None and not isinstance(cookie, str):
        cookie = cookie_header(cookie)
    if callable(headers):
        # Asked again on every connection attempt: the cookie goes on each answer.
        made: Callable[[], dict[str, str]] = headers
        return lambda: _with_cookie(made(), cookie)
    return _with_cookie(headers or {}, cookie)


def _with_cookie(headers: dict[str, str], cookie: str | None) -> dict[str, str]:
    # A fresh dict each time: python-socketio moves the Cookie header out of the one it gets.
    fresh = dict(headers)
    if cookie is not None:
        fresh["Cookie"] = cookie
    return fresh


def _defaults(kwargs: dict[str, Any]) -> dict[str, Any]:
    kwargs.setdefault("reconnection", False)
    kwargs.setdefault("handle_sigint", False)
    return kwargs


def _refusal(inbox: Inbox, before: dict[str, int]) -> Refused | None:
    """The refusal a connect just received (a socket.io CONNECT_ERROR), if it got one."""
    for namespace, seen in before.items():
        records = inbox.all(namespace, "connect_error")[seen:]
        for args in records:
            said = payload(args)
            if isinstance(said, dict):
                return Refused(namespace, said.get("message"), said.get("data"))
    return None


def _namespaces(namespaces: str | list[str] | None) -> list[str]:
    if namespaces is None:
        return ["/"]
    return [namespaces] if isinstance(namespaces, str) else list(namespaces)


class SocketClient(socketio.Client):
    """A ``socketio.Client`` for tests: connects with a cookie, keeps what it receives."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**_defaults(kwargs))
        #: Every event received (``connect``, ``disconnect``, ``connect_error`` too).
        self.inbox = Inbox()

    def connect(
        self,
        url: ConnectURL,
        headers: ConnectHeaders | None = None,
        auth: Any = None,
        transports: str | list[str] | None = None,
        namespaces: str | list[str] | None = None,
        socketio_path: str = "socket.io",
        wait: bool = True,
        wait_timeout: float = TIMEOUT,
        retry: bool = False,
        *,
        cookie: Any = None,
    ) -> None:
        """``socketio.Client.connect``, sending `cookie` as the ``Cookie`` header.

        `cookie` is a header (``"connect.sid=s%3A..."``) or anything `cookie_header` reads (a
        Flask, Django or Starlette test client, an httpx client, a requests session). Raises
        `Refused` when the server refuses the connection.
        """
        before = {n: len(self.inbox.all(n, "connect_error")) for n in _namespaces(namespaces)}
        try:
            super().connect(
                url,
                headers=_headers(headers, cookie),
                auth=auth,
                transports=transports,
                namespaces=namespaces,
                socketio_path=socketio_path,
                wait=wait,
                wait_timeout=wait_timeout,
                retry=retry,
            )
        except socketio.exceptions.ConnectionError as error:
            refused = _refusal(self.inbox, before)
            if refused is None:
                raise
            raise refused from error

    def _trigger_event(self, event: str, namespace: str, *args: Any) -> Any:
        if not event.startswith("__"):  # python-socketio's own bookkeeping events
            self.inbox.add(namespace or "/", event, args)
        return super()._trigger_event(event, namespace, *args)

    def wait_for(self, event: str, namespace: str = "/", timeout: float = TIMEOUT) -> Any:
        """The next `event` received (waiting up to `timeout`): its one argument, a tuple of
        several, or None. Each call takes the next one, in the order they arrived."""
        return payload(self.inbox.take(namespace, event, timeout))

    def received(self, event: str, namespace: str = "/") -> list[Any]:
        """Every `event` received so far, as `wait_for` returns each."""
        return [payload(args) for args in self.inbox.all(namespace, event)]

    def wait_disconnect(self, namespace: str = "/", timeout: float = TIMEOUT) -> str:
        """Wait until the client is disconnected from `namespace`; the client's reason.

        The reason is python-socketio's: ``"server disconnect"`` when the server dropped
        the socket (a logout), ``"transport close"``, ... The reason sessio gave the
        server's disconnect handler is `watch_disconnects`'s.
        """
        reason = payload(self.inbox.take(namespace, "disconnect", timeout))
        return str(reason)

    def __enter__(self) -> SocketClient:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.disconnect()


class AsyncSocketClient(socketio.AsyncClient):
    """The ``socketio.AsyncClient`` twin of `SocketClient` (``async with`` disconnects)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**_defaults(kwargs))
        self.inbox = Inbox()

    async def connect(
        self,
        url: ConnectURL,
        headers: ConnectHeaders | None = None,
        auth: Any = None,
        transports: str | list[str] | None = None,
        namespaces: str | list[str] | None = None,
        socketio_path: str = "socket.io",
        wait: bool = True,
        wait_timeout: float = TIMEOUT,
        retry: bool = False,
        *,
        cookie: Any = None,
    ) -> None:
        """``socketio.AsyncClient.connect``, sending `cookie`; `Refused` when refused."""
        before = {n: len(self.inbox.all(n, "connect_error")) for n in _namespaces(namespaces)}
        try:
            await super().connect(
                url,
                headers=_headers(headers, cookie),
                auth=auth,
                transports=transports,
                namespaces=namespaces,
                socketio_path=socketio_path,
                wait=wait,
                wait_timeout=wait_timeout,
                retry=retry,
            )
        except socketio.exceptions.ConnectionError as error:
            refused = _refusal(self.inbox, before)
            if refused is None:
                raise
            raise refused from error

    async def _trigger_event(self, event: str, namespace: str, *args: Any) -> Any:
        if not event.startswith("__"):
            self.inbox.add(namespace or "/", event, args)
        return await super()._trigger_event(event, namespace, *args)

    async def wait_for(self, event: str, namespace: str = "/", timeout: float = TIMEOUT) -> Any:
        """`SocketClient.wait_for`, awaited."""
        return payload(await self.inbox.take_async(namespace, event, timeout))

    def received(self, event: str, namespace: str = "/") -> list[Any]:
        """Every `event` received so far."""
        return [payload(args) for args in self.inbox.all(namespace, event)]

    async def wait_disconnect(self, namespace: str = "/", timeout: float = TIMEOUT) -> str:
        """`SocketClient.wait_disconnect`, awaited."""
        return str(payload(await self.inbox.take_async(namespace, "disconnect", timeout)))

    async def __aenter__(self) -> AsyncSocketClient:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.disconnect()


def flask_socketio_client(socketio_ext: Any, app: Any, cookie: Any = None, **kwargs: Any) -> Any:
    """Flask-SocketIO's own test client for `app`, connected with `cookie`.

    `socketio_ext` is the application's ``flask_socketio.SocketIO``; `cookie` a ``Cookie``
    header or anything `cookie_header` reads (a Flask test client after its login). Other
    arguments go to ``SocketIO.test_client`` (``namespace``, ``auth``, ``headers``, ...).
    The server is not run: Flask-SocketIO's client calls it in this thread.
    """
    if cookie is not None and not isinstance(cookie, str):
        cookie = cookie_header(cookie)
    kwargs["headers"] = _with_cookie(kwargs.get("headers") or {}, cookie)
    return socketio_ext.test_client(app, **kwargs)
