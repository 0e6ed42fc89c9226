"""The handlers sessio owns on its server: put there, kept there, and never bypassed quietly.

python-socketio keeps one handler per event and namespace. sessio puts its own ``connect``
and ``disconnect`` (and one per event it was given) on the server; a handler registered on
the server directly, before or after, would otherwise replace sessio's without a word, and
the socket would connect unchecked, its events finding no session. So the namespace's table
becomes a `sessio._hosting.HandlerTable`, which shows every such write to `foreign`: it is
adopted when the server has a host that runs it after sessio (Flask-SocketIO), and otherwise
kept, with a warning that says what is lost. An event from a socket that sessio did not see
connect reaches no handler (`sessio.aio._handlers.dropped`).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sessio._hosting import HandlerTable, owned, owner_of
from sessio.aio._handlers import connect_handler, disconnect_handler, event_handler

if TYPE_CHECKING:
    from sessio.aio._sockets import AsyncSessionSockets

__all__ = ["foreign", "install", "install_all"]

logger = logging.getLogger("sessio")

_OWN = ("connect", "disconnect")
# What is lost when a handler on the server replaces sessio's.
_LOST = {
    "connect": "sockets will connect unchecked, and sessio will drop their events",
    "disconnect": "sessio will not see sockets leave, and its tables will grow",
}


def install_all(owner: AsyncSessionSockets) -> None:
    """Put every handler `owner` was given on its (new) server; then let the host take over."""
    owner._installed.clear()
    for namespace, events in list(owner._handlers.items()):
        for event in list(events):
            install(owner, namespace, event)
    if owner._host is not None:
        owner._host.bind(owner.sio)


def install(owner: AsyncSessionSockets, namespace: str, event: str) -> None:
    """Put `owner`'s server-level handler for `event` (and its namespace's) on the server."""
    sio = owner.sio
    if namespace not in owner._installed:
        owner._installed.add(namespace)
        before = dict(sio.handlers.get(namespace, {}))
        # From here on, a handler registered on the server directly comes to `foreign`.
        sio.handlers[namespace] = HandlerTable(owner, namespace, functools.partial(foreign, owner))
        connect = connect_handler(owner, namespace)
        sio.on("connect", owned(connect, owner), namespace=namespace)
        disconnect = disconnect_handler(owner, namespace)
        sio.on("disconnect", owned(disconnect, owner), namespace=namespace)
        for name, handler in before.items():
            adopted = owner_of(handler) is not None or foreign(
                owner, namespace, name, handler, True
            )
            if not adopted and name not in _OWN:
                # A plain handler for an event sessio does not handle (yet): it stays.
                dict.__setitem__(sio.handlers[namespace], name, handler)
    if event not in _OWN:
        handle = event_handler(owner, namespace, event)
        sio.on(event, owned(handle, owner), namespace=namespace)


def foreign(
    owner: AsyncSessionSockets,
    namespace: str,
    event: str,
    handler: Callable[..., Any],
    earlier: bool = False,
) -> bool:
    """A handler registered on the server directly (`earlier`: before sessio's were).

    True when the host adopted it (it runs after sessio's work); False when it stays as
    registered: one registered earlier for ``connect``/``disconnect`` is replaced by sessio's,
    one registered later replaces sessio's. Either way a warning says so.
    """
    host = owner._host
    if host is not None:
        adopted = host.adopt(namespace, event, handler)
        if adopted is not None:
            owner._keep(namespace, event, adopted)
            return True
    if earlier and event in _OWN:
        logger.warning(
            "namespace %s already has a %s handler; sessio replaces it: register it with "
            "sessions.on(%r) instead",
            namespace,
            event,
            event,
            extra={"namespace": namespace},
        )
    elif not earlier and (event in _OWN or event in owner._handlers.get(namespace, {})):
        logger.warning(
            "a %r handler registered on the server for namespace %s replaces sessio's: %s; "
            "register it with sessions.on(%r) instead",
            event,
            namespace,
            _LOST.get(event, "it will not get the session"),
            event,
            extra={"namespace": namespace},
        )
    return False
