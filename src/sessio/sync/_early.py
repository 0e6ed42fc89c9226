# Generated from src/sessio/aio/_early.py by scripts/unasync.py: edit that file instead.
"""Early reads: a socket's session read from the store while its client is still connecting.

A socket.io connection is two steps: the engine.io handshake (the HTTP request that opens the
websocket, or the first polling request), which carries the ``Cookie`` header, and one round
trip later the socket.io CONNECT packet, where python-socketio calls the connect handler. A
store read started at the first step is done, or nearly, by the second: the connect no longer
waits a whole store round trip.

The read is the one the connect would make (`open_verdict` of the cookie's verdict), started
only for a cookie that verifies and names a stored session in a store whose reads wait (any but
one that says ``reads_wait = False``, as `MemoryStore` does), and used at most once, by the
first namespace that connects, within `FRESH_FOR` of the handshake (later ones read afresh). It
is kept in the handshake's environ, which python-socketio drops with the connection: a
handshake that never becomes a connection leaves nothing behind. Whether it is still good when
the connect takes it is decided there: the read carries the node's `stamp` from before it began
(see `sessio.core._recent`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, MutableMapping
from typing import TYPE_CHECKING, Any

from attrs import frozen

from sessio.core import Failure, SessionRef
from sessio.core._handshake import resolve
from sessio.sync._primitives import Pending
from sessio.sync._session import Session

if TYPE_CHECKING:
    from sessio.sync._sockets import SessionSockets

__all__ = ["EarlyRead", "install_early_reads", "take_early_read"]

logger = logging.getLogger("sessio")

#: How long after the handshake its read may still be taken, in seconds. A connect is one
#: round trip behind its handshake; one much later (a first namespace that is not sessio's,
#: then sessio's) reads afresh, so that nothing older than this is handed out as the store's
#: word (a logout over HTTP tells no node).
FRESH_FOR = 1.0


@frozen
class EarlyRead:
    """A session read started at the handshake, and the node's stamp from before it began."""

    stamp: int
    pending: Pending[Session | Failure]
    #: When it began (``time.monotonic``).
    began: float


def _environ_key(owner: SessionSockets) -> str:
    # One per sessio object: two of them on one server (two stores) read apart.
    return f"sessio.early.{id(owner)}"


def install_early_reads(owner: SessionSockets, sio: Any) -> None:
    """Start `owner`'s session read at each engine.io handshake of `sio`."""
    handlers = sio.eio.handlers
    then: Callable[..., Any] = handlers["connect"]
    key = _environ_key(owner)

    def handshake(eio_sid: str, environ: MutableMapping[str, Any]) -> Any:
        result = then(eio_sid, environ)
        try:
            begin(owner, environ, key)
        except Exception:
            # Only a head start: the connect reads the session itself.
            logger.exception("could not start reading a session at the handshake")
        return result

    handlers["connect"] = handshake


def begin(owner: SessionSockets, environ: MutableMapping[str, Any], key: str) -> None:
    """Start the read, if the handshake's cookie names a stored session."""
    if not owner._installed:
        return  # no namespace of sessio's yet: nobody would take it
    if not getattr(owner.store, "reads_wait", True):
        return  # an in-memory store: nothing to hide
    liveness = owner._liveness
    verdict = resolve(environ.get("HTTP_COOKIE"), owner.fmt, owner.clock())
    if not isinstance(verdict, SessionRef):
        return  # no store read to hide: the connect decides on the spot
    # Subscribed before the read, as at connect: a logout published from now on is noted.
    liveness.start()
    stamp = liveness.stamp()
    pending = Pending(owner.sio, owner._open_verdict, verdict)
    environ[key] = EarlyRead(stamp, pending, time.monotonic())


def take_early_read(
    owner: SessionSockets, environ: MutableMapping[str, Any]
) -> EarlyRead | None:
    """The read the handshake started for `owner`, once (None: there is none, it was taken,
    or it is older than `FRESH_FOR`)."""
    early = environ.pop(_environ_key(owner), None)
    if not isinstance(early, EarlyRead) or time.monotonic() - early.began > FRESH_FOR:
        return None
    return early
