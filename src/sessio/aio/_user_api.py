"""The users' half of `AsyncSessionSockets`' API: rooms, emits, disconnects and presence."""

from __future__ import annotations

import logging
from typing import Any

import socketio

from sessio.aio._liveness import AsyncLiveness
from sessio.aio._revoke_user import revoke_sessions, revoked_rooms
from sessio.aio._store_calls import call_store
from sessio.aio._users import AsyncUsers
from sessio.aio.stores._protocol import ControlChannel, Store
from sessio.core import Failure, Format, StoreFormat
from sessio.core._control import CONTROL_CHANNEL, Disconnect, encode_control
from sessio.core._users import as_user_id, user_room
from sessio.errors import error_for

__all__ = ["AsyncUserSockets"]

logger = logging.getLogger("sessio")


class AsyncUserSockets:
    """Sockets grouped by user: what `AsyncSessionSockets` offers once `user_key` is set.

    Every socket whose session names a user is in ``user_room(user_id)`` on its node, and
    moves when a save, reload or touch finds that the session names someone else. A user id is
    a non-empty ``str`` (at most 256 characters) or an ``int``, and ``42`` is ``"42"``; for
    anything else these methods reach no one (`online` counts 0) and `user_room` raises
    `sessio.SessionError` (``invalid-user``).
    """

    store: Store
    fmt: Format

    # What the owner provides (properties there: a Flask-SocketIO server may come later).
    @property
    def sio(self) -> socketio.AsyncServer:
        """The python-socketio server (the owner's)."""
        raise NotImplementedError

    @property
    def _users(self) -> AsyncUsers:
        raise NotImplementedError

    @property
    def _liveness(self) -> AsyncLiveness:
        raise NotImplementedError

    def user_room(self, user_id: str | int) -> str:
        """The room every socket of `user_id` is in, on every node."""
        found = as_user_id(user_id)
        if isinstance(found, Failure):
            raise error_for(found)
        return user_room(found)

    def user(self, sid: str, namespace: str = "/") -> str | None:
        """The user socket `sid` is signed in as (None: none, or no such socket)."""
        return self._users.user((namespace, sid))

    def _user_id(self, user_id: object, doing: str) -> str | None:
        found = as_user_id(user_id)
        if isinstance(found, Failure):
            logger.warning("%s: %s; no one reached", doing, found.message)
            return None
        return found

    async def emit_to_user(
        self, user_id: str | int, event: str, data: Any = None, namespace: str = "/"
    ) -> None:
        """Emit `event` to every socket of `user_id` (every tab, every device), on every node."""
        found = self._user_id(user_id, "emit_to_user")
        if found is not None:
            await self.sio.emit(event, data, room=user_room(found), namespace=namespace)

    async def disconnect_user(self, user_id: str | int, reason: str = "user-revoked") -> None:
        """Disconnect every socket of `user_id`, in every namespace, on every node.

        Their sessions stay (`revoke_user` destroys them too). Disconnect handlers get
        `reason`. Other nodes are reached through the store's control channel.
        """
        found = self._user_id(user_id, "disconnect_user")
        if found is None:
            return
        room = user_room(found)
        try:
            await self._liveness.disconnect_local(room, reason)
        finally:
            if isinstance(self.store, ControlChannel):
                message = encode_control(Disconnect(room, reason))
                await call_store(self.store.publish, CONTROL_CHANNEL, message)

    async def online(self, user_id: str | int) -> int:
        """How many sockets `user_id` has open, over every node.

        Exact for this node's sockets; another node's arrive within about 0.25 s, and a node
        that died without a word stops counting within 3 x ``heartbeat_every``. Raises
        `sessio.SessionError`: ``no-user-index`` without `user_key` or a store that keeps
        the index, ``store-unavailable`` when it is down.
        """
        return await self._users.online(user_id)

    async def revoke_user(self, user_id: str | int, reason: str = "user-revoked") -> int | Failure:
        """`sessio.aio.revoke_user` with this server's store, format, user key and index.

        This node's sockets of the user go at once, whatever the store; other nodes' through
        the control channel. Returns how many sessions were destroyed, or the `Failure`
        (``no-user-index`` without `user_key`). A cookie format's sessions cannot be
        destroyed: its sockets are disconnected and 0 returned.
        """
        if self._users.user_key is None:
            return Failure.no_user_index()
        if not isinstance(self.fmt, StoreFormat):
            await self.disconnect_user(user_id, reason)
            return 0
        destroyed, failed = await revoke_sessions(
            self.store,
            self.fmt,
            user_id,
            user_key=self._users.user_key,
            index=self._users.index,
            reason=reason,
            clock=self._users.clock,
        )
        # A store that failed part of the way: what was destroyed is gone all the same, and
        # this node's sockets of the user go (other nodes were told, if the channel worked).
        if failed is not None and failed.code != "store-unavailable":
            return failed
        found = as_user_id(user_id)
        assert isinstance(found, str)  # revoke_sessions refused anything else
        for room in revoked_rooms(found, destroyed):
            await self._liveness.disconnect_local(room, reason)
        return len(destroyed) if failed is None else failed
