# Generated from src/sessio/aio/_revoke.py by scripts/unasync.py: edit that file instead.
"""`revoke`: log a session out everywhere, from any process that can reach the store."""

from __future__ import annotations

from sessio.core import StoreFormat
from sessio.core._control import CONTROL_CHANNEL, Disconnect, encode_control
from sessio.core._rooms import session_room
from sessio.sync.stores._protocol import ControlChannel, Store

__all__ = ["revoke"]


def revoke(
    store: Store,
    fmt: StoreFormat,
    session_id: str,
    reason: str = "session-revoked",
    *,
    control: ControlChannel | None = None,
) -> None:
    """Destroy session `session_id` and disconnect its sockets on every sessio server.

    For a web worker that runs no socket.io server (a Flask or Django view handling logout):
    it deletes the session from `store` and, through the store's control channel (a
    `RedisStore`), tells every `SessionSockets` / `SessionSockets` subscribed to it to
    disconnect that session's sockets; their disconnect handlers get `reason`. `control`
    names another channel (`ManagerChannel`: the app's socket.io client manager, for a
    store without one). Without any channel, only the session goes; servers notice on their
    next revalidation.
    """
    store.delete(fmt.store_key(session_id))
    channel = control if control is not None else store
    if isinstance(channel, ControlChannel):
        message = encode_control(Disconnect(session_room(session_id), reason))
        channel.publish(CONTROL_CHANNEL, message)
