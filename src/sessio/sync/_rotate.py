# Generated from src/sessio/aio/_rotate.py by scripts/unasync.py: edit that file instead.
"""Rotation: a login (or logout) changed the session id, and the sockets follow it.

Express's ``req.session.regenerate()``, Django's ``cycle_key()`` (in ``login()``) and
Flask-Session's ``regenerate()`` give the browser a new session id. `rotate`, from the web
worker that did it, publishes a `Rotate` on the control channel; every node that holds
sockets of the old session reads the new one from the store, moves those sockets to it (the
session their handlers get, the session room, the user room with ``user_key``, the cookie a
fresh load reads) and disconnects none of them. When the new session is not there, they are
disconnected with the failure's code (``session-not-found``), as a revalidation would.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import socketio

from sessio.core import Failure, Format, SessionRef, StoreFormat, unquote
from sessio.core._control import (
    CONTROL_CHANNEL,
    Rotate,
    encode_control,
    open_rotation,
    seal_rotation,
)
from sessio.core._rooms import session_room
from sessio.errors import error_for
from sessio.sync._liveness import Liveness
from sessio.sync._opening import open_verdict
from sessio.sync._tickets import SOCKET_COOKIE
from sessio.sync._users import Users
from sessio.sync.stores._protocol import ControlChannel, Store

__all__ = ["Rotation", "rotate"]

logger = logging.getLogger("sessio")


def _channel(store: Store, control: ControlChannel | None) -> ControlChannel | None:
    if control is not None:
        return control
    return store if isinstance(store, ControlChannel) else None


def rotate(
    store: Store,
    fmt: Format,
    old_session_id: str,
    new_session_id: str,
    *,
    control: ControlChannel | None = None,
) -> None:
    """Move every socket of session `old_session_id`, on every node, to `new_session_id`.

    For the web worker whose login (or logout) changed the session id: call it once the new
    session is saved. The message goes on `control`, by default the store's own channel (a
    `RedisStore`); without one there is nobody to tell, and the sockets find out at their next
    revalidation that their session is gone. The new id travels sealed under the old one.
    """
    if not isinstance(fmt, StoreFormat):
        raise error_for(Failure.read_only(fmt.name))
    channel = _channel(store, control)
    if channel is None or old_session_id == new_session_id:
        return
    message = seal_rotation(session_room(old_session_id), old_session_id, new_session_id)
    channel.publish(CONTROL_CHANNEL, encode_control(message))


class Rotation:
    """One node's side of rotations: moves its own sockets of a session to a new id."""

    def __init__(
        self,
        sio: socketio.Server,
        liveness: Liveness,
        users: Users,
        store: Store,
        fmt: Format,
        clock: Callable[[], float],
    ) -> None:
        self.sio = sio
        self.liveness = liveness
        self.users = users
        self.store = store
        self.fmt = fmt
        self.clock = clock

    def on_message(self, message: Rotate) -> None:
        """A `Rotate` from the control channel: act on it if this node holds that session."""
        # A socket of it may be connecting here: its read, if from before, is read again.
        self.liveness.note_gone(message.room)
        old_id = self.liveness.session_id_in(message.room)
        if old_id is None:
            return
        new_id = open_rotation(message, old_id)
        if new_id is None:
            # Never the bytes: whoever can publish chose them.
            logger.warning("control channel: skipped a rotation that does not open")
            return
        self.move(old_id, new_id)

    def move(self, old_id: str, new_id: str) -> None:
        """Move this node's sockets of session `old_id` to session `new_id`."""
        if not isinstance(self.fmt, StoreFormat) or old_id == new_id:
            return
        old_room, new_room = session_room(old_id), session_room(new_id)
        self.liveness.note_gone(old_room)
        cookie = unquote(self.fmt.cookie_value(new_id))
        ref = SessionRef(new_id, self.fmt.store_key(new_id))
        for key in self.liveness.sockets_in(old_room):
            namespace, sid = key
            # Each socket its own copy, as at connect: one socket's edits are its own.
            opened = open_verdict(ref, self.store, self.fmt, self.clock)
            if isinstance(opened, Failure):
                logger.info("rotation: the new session cannot be opened: %s", opened.code)
                self.liveness.disconnect_local(old_room, opened.code)
                return
            environ = self.sio.get_environ(sid, namespace=namespace)
            if environ is None or not self.liveness.move(key, opened):
                continue  # it left meanwhile
            environ[SOCKET_COOKIE] = cookie
            self.sio.enter_room(sid, new_room, namespace=namespace)
            self.sio.leave_room(sid, old_room, namespace=namespace)
            # A login rotates the id and names the user in the same step: the socket moves to
            # that user's room (and presence, and index), and follows the new session's saves.
            self.users.join(key, opened)
