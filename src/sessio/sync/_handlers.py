# Generated from src/sessio/aio/_handlers.py by scripts/unasync.py: edit that file instead.
"""The handlers sessio puts on python-socketio's server: connect, disconnect, and one per event.

Each wraps the application's handler (kept by `SessionSockets`) and hands it the socket's
session. They are plain ``def`` functions: python-socketio awaits a handler only when
``inspect.iscoroutinefunction`` says so, and the connect handler takes exactly three
positionals so that a TypeError inside user code is not retried with two.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, MutableMapping
from typing import TYPE_CHECKING, Any

import socketio

from sessio._hosting import owner_of
from sessio.core import Failure
from sessio.core._registry import Socket
from sessio.metrics import ConnectOutcome
from sessio.sync._early import take_early_read
from sessio.sync._primitives import maybe_await
from sessio.sync._session import Session

if TYPE_CHECKING:
    from sessio.sync._sockets import SessionSockets

__all__ = ["connect_handler", "disconnect_handler", "dropped", "event_handler", "settle"]

logger = logging.getLogger("sessio")

# How many times a connect reads a session that a logout keeps making stale before it gives
# up (each read starts after the logout that spoiled the one before: one is the rule).
READS = 5


def _code(opened: object) -> str | None:
    """A failure's code, for metrics and log records (None: there was a session)."""
    return opened.code if isinstance(opened, Failure) else None


def settle(
    owner: SessionSockets, key: Socket, environ: MutableMapping[str, Any], auth: Any
) -> tuple[Session | Failure, bool]:
    """Read socket `key`'s session and hold it: what was read, and whether the client stayed.

    The read the handshake started (`sessio.sync._early`) comes first; a session is held only
    if no logout of it reached this node since its read began, and read again otherwise. A
    failure is not held (the caller may refuse the socket).
    """
    liveness = owner._liveness
    early = take_early_read(owner, environ)
    for _ in range(READS):
        if early is not None:
            stamp, opened = early.stamp, early.pending.result()
            early = None
        else:
            stamp = liveness.stamp()
            opened = owner._open(environ, auth)
        if not owner._still_there(key):
            return opened, False
        if isinstance(opened, Failure) or liveness.hold(key, opened, stamp):
            return opened, True
        logger.debug("a logout reached this node while a session was read: reading again")
    stale = Failure("store-unavailable", "the session changed on every read; try again")
    return stale, True


def connect_handler(owner: SessionSockets, namespace: str) -> Callable[..., Any]:
    """sessio's ``connect`` for `namespace`: the session, then the application's handler."""
    metrics = owner.metrics

    def connect(sid: str, environ: dict[str, Any], auth: Any) -> Any:
        # Subscribed before this socket's session is read: a revoke published from now on
        # reaches it (and one published earlier is in the store the read sees).
        owner._liveness.start()
        key = (namespace, sid)
        opened, there = settle(owner, key, environ, auth)
        if not there:
            # The client left during the read. python-socketio calls no disconnect handler
            # for a socket that never finished connecting; False makes it drop the socket,
            # and nothing of it is kept here.
            if metrics is not None:
                metrics.connect(namespace, "abandoned", _code(opened))
            return False
        err, session = (opened, None) if isinstance(opened, Failure) else (None, opened)
        if err is not None:
            logger.info(
                "socket %s on %s has no session: %s",
                sid,
                namespace,
                err.code,
                extra={"code": err.code, "namespace": namespace},
            )
            if owner.require_session:
                if metrics is not None:
                    metrics.connect(namespace, "refused", err.code)
                raise socketio.exceptions.ConnectionRefusedError(err.code, {"code": err.code})
            owner._liveness.hold(key, None)
        handler = owner._handlers.get(namespace, {}).get("connect")
        try:
            result = (
                None if handler is None else maybe_await(handler(err, sid, session, auth))
            )
        except (socketio.exceptions.ConnectionRefusedError, ConnectionRefusedError):
            owner._liveness.release(key)
            if metrics is not None:
                metrics.connect(namespace, "refused", _code(err))
            raise
        except Exception:
            owner._liveness.release(key)
            if metrics is not None:
                metrics.connect(namespace, "refused", _code(err))
            # Raised into python-socketio, the client would get no answer and the socket
            # would linger half-connected: refuse it, saying nothing of why.
            logger.exception(
                "connect handler failed; socket %s on %s refused",
                sid,
                namespace,
                extra={"code": _code(err), "namespace": namespace},
            )
            raise socketio.exceptions.ConnectionRefusedError() from None
        except BaseException:
            owner._liveness.release(key)
            raise
        if result is not False and session is not None and session.id is not None:
            owner.sio.enter_room(sid, owner.room(session.id), namespace=namespace)
        if result is not False:
            owner._users.join(key, session)
        if result is False or not owner._still_there(key):
            owner._liveness.release(key)
            owner._users.leave(key)
            if metrics is not None:
                gone: ConnectOutcome = "refused" if result is False else "abandoned"
                metrics.connect(namespace, gone, _code(err))
            return False
        if metrics is not None:
            kept: ConnectOutcome = "anonymous" if session is None else "session"
            metrics.connect(namespace, kept, _code(err))
        return result

    return connect


def disconnect_handler(owner: SessionSockets, namespace: str) -> Callable[..., Any]:
    """sessio's ``disconnect`` for `namespace`: forget the socket, then the application's."""

    def disconnect(sid: str, reason: Any = None) -> Any:
        session = owner._liveness.release((namespace, sid))
        owner._users.leave((namespace, sid))
        reason = owner._liveness.reason((namespace, sid), reason)
        handler = owner._handlers.get(namespace, {}).get("disconnect")
        if handler is None:
            return None
        try:
            return maybe_await(handler(sid, session, reason))
        except Exception:
            # Raised, it would stop whatever is disconnecting this socket (a logout of every
            # socket of a session, a control message) half-way; and python-socketio would
            # retry a TypeError with one argument fewer.
            logger.exception(
                "disconnect handler failed for socket %s on %s",
                sid,
                namespace,
                extra={"namespace": namespace},
            )
            return None

    return disconnect


def event_handler(owner: SessionSockets, namespace: str, event: str) -> Callable[..., Any]:
    """sessio's handler for `event` in `namespace` (``"*"``: every event without its own)."""
    # python-socketio runs each event apart (a task, a thread) and may start it after the
    # socket has left: a logout, a revoke or a failed re-check disconnected it meanwhile. Its
    # session is released by then, and no handler may see that socket without it (with
    # require_session, a handler would get None it was promised never to get).
    if event == "*":

        def catch_all(name: str, sid: str, *args: Any) -> Any:
            key = (namespace, sid)
            there, session = owner._liveness.lookup(key)
            if not there:
                dropped(owner, key, name)
                return None
            if not owner._liveness.on_activity(key, session):
                return None
            return maybe_await(owner._handlers[namespace]["*"](name, sid, session, *args))

        return catch_all

    def handle(sid: str, *args: Any) -> Any:
        key = (namespace, sid)
        there, session = owner._liveness.lookup(key)
        if not there:
            dropped(owner, key, event)
            return None
        if not owner._liveness.on_activity(key, session):
            return None
        return maybe_await(owner._handlers[namespace][event](sid, session, *args))

    return handle


def dropped(owner: SessionSockets, key: tuple[str, str], event: str) -> None:
    """Say why an event from socket `key`, which sessio does not hold, reaches no handler.

    A handler must never get ``session=None`` for a socket that was simply not looked at:
    one that connected past a connect handler that replaced sessio's (an error to fix), or
    one whose event python-socketio runs after it left (expected, at DEBUG).
    """
    namespace, sid = key
    if owner_of(owner.sio.handlers.get(namespace, {}).get("connect")) is not owner:
        logger.error(
            "event %r from socket %s on %s dropped: sessio did not see it connect, since the "
            "namespace's connect handler is no longer sessio's (register connect handlers "
            "with sessions.on('connect'))",
            event,
            sid,
            namespace,
        )
    else:
        logger.debug("event %r from socket %s on %s after it left: dropped", event, sid, namespace)
