"""How a shell takes hold of its python-socketio server, and keeps the handlers it owns.

Both shells use this module (it has no ``await``, so it is not generated):

* `adopt_server` checks the server a `SessionSockets` / `AsyncSessionSockets` is given, up
  front, and binds the shell to it: a python-socketio server of the shell's kind, or a
  Flask-SocketIO ``SocketIO`` (sync shell only; bound when its ``init_app`` has run).
* `HandlerTable` replaces a namespace's handler table on the server (``sio.handlers[ns]``)
  once sessio has put its own handlers there. python-socketio keeps one handler per event and
  namespace and registers with ``handlers[ns][event] = handler``, so a handler registered on
  the server directly, after sessio's, would replace sessio's without a word: the socket
  would connect unchecked, and its events would find no session. The table sees every such
  write and hands it to the shell (``on_foreign``), which warns, or, under Flask-SocketIO,
  adopts the handler so that it runs after sessio's work.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

__all__ = [
    "HandlerTable",
    "Host",
    "NamespaceTable",
    "adopt_server",
    "is_flask_socketio",
    "owned",
]

#: The attribute that marks a server-level handler as sessio's own, naming its owner.
_OWNER = "__sessio_owner__"

#: What the shell does with a handler that someone registered on the server directly:
#: (namespace, event, handler) -> True when it adopted it (the table keeps sessio's).
OnForeign = Callable[[str, str, Callable[..., Any]], bool]


class Host(Protocol):
    """The web framework a shell runs inside (Flask-SocketIO), as the shell sees it."""

    def wrap(self, namespace: str, event: str, handler: Callable[..., Any]) -> Callable[..., Any]:
        """`handler` (a sessio handler) run the way the framework runs its own handlers."""
        ...

    def adopt(
        self, namespace: str, event: str, handler: Callable[..., Any]
    ) -> Callable[..., Any] | None:
        """The framework's server-level `handler` as a sessio handler, or None to leave it."""
        ...

    def bind(self, server: Any) -> None:
        """The shell is bound to `server`: take over the namespaces the framework uses."""
        ...


def owned(handler: Callable[..., Any], owner: object) -> Callable[..., Any]:
    """`handler`, marked as `owner`'s own server-level handler."""
    setattr(handler, _OWNER, owner)
    return handler


def owner_of(handler: object) -> object:
    """The shell that owns server-level `handler` (None when it is not sessio's)."""
    return getattr(handler, _OWNER, None)


class HandlerTable(dict[str, Any]):
    """One namespace's handlers on a python-socketio server, watched by sessio.

    A plain dict to python-socketio; a handler written into it that is not `owner`'s own goes
    to `on_foreign` first, and is kept only if the shell did not adopt it.
    """

    def __init__(self, owner: object, namespace: str, on_foreign: OnForeign) -> None:
        super().__init__()
        self.owner = owner
        self.namespace = namespace
        self.on_foreign = on_foreign

    def __setitem__(self, event: str, handler: Any) -> None:
        if owner_of(handler) is self.owner or not self.on_foreign(self.namespace, event, handler):
            super().__setitem__(event, handler)


class NamespaceTable(dict[str, Any]):
    """A python-socketio server's ``handlers`` (namespace -> table), watched by sessio.

    python-socketio creates a namespace's table with ``handlers[ns] = {}`` before its first
    handler: `on_new` turns that into a `HandlerTable` (and takes over the namespace).
    """

    def __init__(self, existing: dict[str, Any], on_new: Callable[[str], Any]) -> None:
        super().__init__(existing)
        self.on_new = on_new

    def __setitem__(self, namespace: str, table: Any) -> None:
        super().__setitem__(namespace, table)
        if not isinstance(table, HandlerTable) and not table:
            self.on_new(namespace)


def is_flask_socketio(obj: object) -> bool:
    """Whether `obj` is a Flask-SocketIO ``SocketIO`` (told apart without importing it)."""
    kind = type(obj)
    return kind.__module__.split(".")[0] == "flask_socketio" and hasattr(obj, "init_app")


def adopt_server(owner: Any, sio: object, expected: type) -> tuple[Any, Host | None]:
    """The server `sio` names for shell `owner`, which runs over `expected`, and its host.

    Returns ``(server, host)``: `server` is None while a Flask-SocketIO ``SocketIO`` awaits
    ``init_app`` (the host binds `owner` then), `host` is None for a bare python-socketio
    server. Raises TypeError for anything else, saying what the shell takes.
    """
    if isinstance(sio, expected):
        return sio, None
    wanted = f"{type(owner).__name__} takes a socketio.{expected.__name__}"
    if is_flask_socketio(sio):
        if expected.__name__ != "Server":
            raise TypeError(
                f"{wanted}; Flask-SocketIO runs a socketio.Server: use "
                "sessio.sync.SessionSockets(socketio, store, fmt) with it"
            )
        from sessio.flask_socketio import FlaskSocketIOHost

        host = FlaskSocketIOHost(owner, sio)
        return host.server, host
    kind = type(sio)
    got = f"{kind.__module__}.{kind.__qualname__}"
    hint = ""
    if kind.__module__.split(".")[0] == "socketio":
        hint = (
            ": socketio.Server goes with sessio.sync.SessionSockets, socketio.AsyncServer "
            "with sessio.aio.AsyncSessionSockets"
        )
    elif kind.__module__.split(".")[0] == "flask":
        hint = ": pass the SocketIO (Flask-SocketIO) or socketio.Server, not the Flask app"
    also = " (or a flask_socketio.SocketIO)" if expected.__name__ == "Server" else ""
    raise TypeError(f"{wanted}{also}, not a {got}{hint}")
