# Generated from src/sessio/aio/_users.py by scripts/unasync.py: edit that file instead.
"""`Users`: one node's users: their rooms, the index of their sessions, their presence.

`SessionSockets` owns one and tells it of every socket that joins (`join`, once its
connect is accepted), every session that a save, reload, touch or destroy rebased (`follow`),
and every socket that left (`leave`). With no `user_key` each of these returns at once.

What it keeps in the store (through a `UserIndex`: `RedisStore` or `MemoryStore`): the
index, per user, of the ids of the sessions a socket opened, each until its session's lifetime
would end, written at most once per half lifetime per session (`IndexMemo`), and each socket's
presence (`Presence`).

Nothing here may fail a connect or a save: store errors are logged and the next heartbeat
tries again; a session naming an unusable user is served as one that names none.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import socketio

from sessio.core import Failure, Format, StoreFormat
from sessio.core._failures import id_tag
from sessio.core._presence import IndexMemo, UserTable
from sessio.core._users import (
    UserKey,
    UserKeySpec,
    as_user_id,
    index_lifetime,
    user_index_key,
)
from sessio.errors import SessionError, error_for
from sessio.sync._liveness import Liveness
from sessio.sync._presence import Presence
from sessio.sync._primitives import ThreadLock
from sessio.sync._session import Session
from sessio.sync._store_calls import call_store
from sessio.sync.stores._protocol import Store
from sessio.sync.stores._user_index import UserIndex

__all__ = ["Users"]

logger = logging.getLogger("sessio")

Socket = tuple[str, str]


class Users:
    """The users of one node's sockets (see the module docstring)."""

    def __init__(
        self,
        sio: socketio.Server,
        fmt: Format,
        user_key: UserKey | None,
        index: UserIndex | None,
        clock: Callable[[], float],
        heartbeat_every: float,
        session_of: Callable[[Socket], Session | None],
    ) -> None:
        self.sio = sio
        self.fmt = fmt
        self.user_key = user_key
        self.index = index
        self.clock = clock
        self.heartbeat_every = heartbeat_every
        # The session each socket holds (the owner's registry): a save that lands after its
        # socket left must not put the socket back in the tables.
        self._session_of = session_of
        self._table = UserTable()
        self._memo = IndexMemo()
        self._lock = ThreadLock()
        self._presence = (
            None
            if index is None or user_key is None
            else Presence(
                sio,
                index,
                clock,
                heartbeat_every,
                self._lock,
                self._table.held,
                self._refresh_index,
            )
        )

    @classmethod
    def attach(
        cls,
        liveness: Liveness,
        store: Store,
        fmt: Format,
        user_key: UserKeySpec | None,
        index: UserIndex | None,
        heartbeat_every: float,
    ) -> Users:
        """The users of `liveness`'s sockets; `index` defaults to `store` if it keeps one."""
        if index is None and isinstance(store, UserIndex):
            index = store
        key = None if user_key is None else UserKey.of(user_key)
        users = cls(
            liveness.sio, fmt, key, index, liveness.clock, heartbeat_every, liveness.session
        )
        liveness.members_of = users.sockets_in
        return users

    @property
    def enabled(self) -> bool:
        """Whether sessions name users here (`user_key` was given)."""
        return self.user_key is not None

    # -- which user ------------------------------------------------------------------------

    def user_of(self, session: Session | None) -> str | None:
        """The user `session` names (None: none, or one sessio cannot use, which is logged)."""
        if self.user_key is None or session is None:
            return None
        found = self.user_key.user_of(session)
        if isinstance(found, Failure):
            # The reason only: the value itself came from a session and may be anything.
            logger.warning("session %s names no usable user: %s", _tag(session), found.message)
            return None
        return found

    def user(self, key: Socket) -> str | None:
        """The user socket `key` is signed in as."""
        with self._lock:
            return self._table.user(key)

    def sockets_in(self, room: str) -> list[Socket]:
        """This node's sockets in user room `room`."""
        with self._lock:
            return self._table.sockets_in(room)

    def counts(self) -> dict[str, int]:
        """Rows of the user tables ({} without `user_key`)."""
        if not self.enabled:
            return {}
        with self._lock:
            return self._table.counts()

    # -- sockets come, change and go -------------------------------------------------------

    def join(self, key: Socket, session: Session | None) -> None:
        """Socket `key` was accepted with `session`: its user's room, index and presence."""
        if not self.enabled or session is None:
            return
        self.start()

        def follow_session(changed: Session) -> None:
            self.follow(key, changed)

        session.on_rebase = follow_session
        self.follow(key, session)

    def follow(self, key: Socket, session: Session) -> None:
        """Put socket `key` with the user `session` names now; index the session for them."""
        user_id = self.user_of(session)
        due = False
        with self._lock:
            if self._session_of(key) is not session:
                return
            before = self._table.assign(key, user_id)
            if before != user_id:
                # Under the lock, so that the socket ends in the room of the user it was
                # assigned last (the sync shell's handlers run in parallel threads).
                self._move(key, before, user_id)
                if self._presence is not None:
                    if before is not None:
                        due = self._presence.left(before, key)
                    if user_id is not None:
                        due = self._presence.joined(user_id, key) or due
        if due and self._presence is not None:
            self._presence.changed()
        if user_id is not None and session.id is not None:
            self._index(session.id, user_id)

    def leave(self, key: Socket) -> None:
        """Socket `key` left (python-socketio took it out of every room itself)."""
        if not self.enabled:
            return
        due = False
        with self._lock:
            before = self._table.release(key)
            if before is not None and self._presence is not None:
                # Not due when the socket joined since the last flush: the store never heard
                # of it, and waking the heartbeat for nothing costs a round of its loop.
                due = self._presence.left(before, key)
        if due and self._presence is not None:
            self._presence.changed()

    def _move(self, key: Socket, before: str | None, after: str | None) -> None:
        namespace, sid = key
        # The manager's own step for a socket of this node, which is what ``enter_room`` and
        # ``leave_room`` come to for one (a pub/sub manager publishes only for other nodes'),
        # without a coroutine: it can be done under the table's lock. A socket that left
        # meanwhile is in no room any more, and python-socketio refuses it (KeyError).
        manager = self.sio.manager
        try:
            if after is not None:
                manager.basic_enter_room(sid, namespace, self._table.room(after))
            if before is not None:
                manager.basic_leave_room(sid, namespace, self._table.room(before))
        except Exception:
            logger.debug("socket %s on %s left while changing user", sid, namespace, exc_info=True)

    def _index(self, session_id: str, user_id: str) -> None:
        if self.index is None or not isinstance(self.fmt, StoreFormat):
            return
        now = self.clock()
        with self._lock:
            if not self._memo.due(session_id, user_id, now):
                return
        lifetime = index_lifetime(self.fmt, now)
        try:
            call_store(
                self.index.update_members,
                user_index_key(user_id),
                {session_id: lifetime},
                (),
                doing="user index",
            )
        except SessionError:
            return  # logged; the next connect or heartbeat writes it
        with self._lock:
            self._memo.wrote(session_id, user_id, now, lifetime)

    # -- presence and the heartbeat -------------------------------------------------------

    def online(self, user_id: object) -> int:
        """How many sockets `user_id` has open on every node (0 for what is no user id)."""
        found = as_user_id(user_id)
        if isinstance(found, Failure):
            return 0
        if self._presence is None:
            raise error_for(Failure.no_user_index())
        return self._presence.count(found)

    def start(self) -> None:
        """Start the heartbeat (once; not without a user index)."""
        if self._presence is not None:
            self._presence.start()

    def _refresh_index(self) -> None:
        # Sessions with sockets here stay in their users' indexes while they are open.
        with self._lock:
            held = self._table.held()
        for user_id, keys in held.items():
            for key in keys:
                session = self._session_of(key)
                if session is not None and session.id is not None:
                    self._index(session.id, user_id)

    def close(self) -> None:
        """Stop the heartbeat (its last round sends what is owed)."""
        if self._presence is not None:
            self._presence.close()


def _tag(session: Session) -> str:
    return "(cookie)" if session.id is None else id_tag(session.id)
