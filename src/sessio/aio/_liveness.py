"""`AsyncLiveness`: keeps one node's sessions alive and honest while their sockets are open.

Rolling expiry (``touch_every``), revalidation (``revalidate_every``, on activity and on a
timer), and the disconnects that other nodes and `revoke` ask for on the control channel
(followed by its `AsyncControlListener`, `sessio.aio._control_listener`).
`AsyncSessionSockets` owns one, and goes through it to the node's socket tables: the core's
`Registry`, which this keeps under a lock.

Nothing the application's handlers raise, and no message anyone publishes on the control
channel, may stop a logout half-way: every step that runs user code or reads outside input is
fenced, logged on the ``sessio`` logger, and the loop goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import socketio

from sessio.aio._control_listener import AsyncControlListener
from sessio.aio._primitives import AsyncWakeup, ThreadLock
from sessio.aio._session import AsyncSession
from sessio.aio._store_calls import call_store
from sessio.aio.stores._protocol import ControlChannel, Store
from sessio.core._control import Rotate
from sessio.core._intervals import Interval
from sessio.core._recent import ANY_ROOM, RecentDisconnects
from sessio.core._registry import Kind, Registry, Socket
from sessio.core._rooms import is_session_room, session_room
from sessio.errors import SessionError
from sessio.metrics import Metrics

__all__ = ["AsyncLiveness"]

logger = logging.getLogger("sessio")


class AsyncLiveness:
    """The node's sockets and sessions, and the touches, re-checks and remote disconnects.

    The owner reports each socket as it is held (`hold`, with its session or None) and as it
    left (`release`); per session id, the registry keeps which sockets hold it and when it
    was last touched and re-checked, and forgets all of it with the last socket.
    """

    def __init__(
        self,
        sio: socketio.AsyncServer,
        store: Store,
        clock: Callable[[], float],
        touch_every: Interval,
        revalidate_every: Interval,
    ) -> None:
        self.sio = sio
        self.store = store
        self.clock = clock
        self.touch_every = touch_every
        self.revalidate_every = revalidate_every
        self._registry: Registry[AsyncSession] = Registry()
        # Logouts this node saw lately, for session reads that were in flight meanwhile.
        self._recent = RecentDisconnects()
        # The sync shell runs handlers in parallel threads: the tables change together, and
        # seeing that a touch or a check is due and claiming it must be one step, or two
        # sockets of a session both do it. Every use of the registry holds this lock.
        self._lock = ThreadLock()
        self._started = False
        self._closed = False
        self._wakeup = AsyncWakeup(sio.eio.create_event())
        self._listener = AsyncControlListener(self)
        #: The channel this node follows and publishes on: the store's, unless the owner
        #: names another (a client manager's, `AsyncManagerChannel`).
        self.control: ControlChannel | None = store if isinstance(store, ControlChannel) else None
        #: What a `Rotate` message is handed to (the owner's rotation, `sessio.aio._rotate`).
        self.on_rotate: Callable[[Rotate], Awaitable[None]] | None = None
        #: Told what this node does (`sessio.metrics`); None: nothing is counted.
        self.metrics: Metrics | None = None
        #: This node's sockets in a room that is no session's (a user's room): set by the owner.
        self.members_of: Callable[[str], list[Socket]] = lambda room: []

    # -- the socket registry ------------------------------------------------------------

    def stamp(self) -> int:
        """What a session read starting now hands `hold`, to learn whether it went stale."""
        with self._lock:
            return self._recent.stamp()

    def hold(self, key: Socket, session: AsyncSession | None, stamp: int | None = None) -> bool:
        """Socket `key` holds `session`: a first socket of a session starts its intervals.

        With the `stamp` taken before `session` was read: False, and nothing held, when this
        node let go of that session since (a logout it saw while the read was in flight); the
        caller reads it again.
        """
        session_id = None if session is None else session.id
        now = 0.0 if session_id is None else self.clock()
        with self._lock:
            # One step with `disconnect_local`'s: a logout either finds this socket held or
            # has been noted by then.
            if (
                stamp is not None
                and session_id is not None
                and self._recent.since(stamp, session_room(session_id))
            ):
                return False
            self._registry.hold(key, session, session_id, now)
        if self.metrics is not None and session is not None:
            self.metrics.sockets_with_session(key[0], 1)
        return True

    def note_gone(self, room: str | None) -> None:
        """Session room `room` was let go of (`ANY_ROOM`: any may have been): reads in flight
        since are read again before their sockets are held."""
        with self._lock:
            self._recent.note(room)

    def release(self, key: Socket) -> AsyncSession | None:
        """Socket `key` left: the session it held; the last one takes the session's rows."""
        with self._lock:
            session = self._registry.release(key)
        if self.metrics is not None and session is not None:
            self.metrics.sockets_with_session(key[0], -1)
        return session

    def session(self, key: Socket) -> AsyncSession | None:
        """The session socket `key` holds (None if none, or if it is not held)."""
        # Once per event, and one dict read, which is atomic: no lock. Everything that
        # changes the tables, or reads two rows that must agree, takes it.
        return self._registry.session(key)

    def lookup(self, key: Socket) -> tuple[bool, AsyncSession | None]:
        """Whether socket `key` is still held, and its session (one dict read: no lock)."""
        return self._registry.lookup(key)

    def reason(self, key: Socket, default: str | None) -> str | None:
        """Why sessio disconnected socket `key` (`default` if it did not); forgets it."""
        with self._lock:
            return self._registry.take_reason(key, default)

    def session_id_in(self, room: str) -> str | None:
        """The id of the session whose room is `room`, if this node holds it."""
        with self._lock:
            return self._registry.session_id_in(room)

    def sockets_in(self, room: str) -> list[Socket]:
        """This node's sockets in session room `room`."""
        with self._lock:
            return self._registry.sockets_in(room)

    def move(self, key: Socket, session: AsyncSession) -> bool:
        """Socket `key` now holds `session` in place of its old one; False once it left."""
        if session.id is None:
            return False
        now = self.clock()
        with self._lock:
            return self._registry.move(key, session, session.id, now)

    def counts(self) -> dict[str, int]:
        """How many rows each of this node's tables holds (all 0 once every socket left)."""
        with self._lock:
            return self._registry.counts()

    def _claim(
        self, key: Socket, session: AsyncSession, interval: Interval, kind: Kind, now: float
    ) -> bool:
        """Whether `interval` is due for the session of socket `key`; if so, mark it done now.

        False once the socket left, or holds another session: an event still in flight then
        touches and re-checks nothing.
        """
        if interval.seconds is None:
            return False
        with self._lock:
            return self._registry.claim_for(key, session, interval, kind, now)

    # -- activity ------------------------------------------------------------------------

    async def on_activity(self, key: Socket, session: AsyncSession | None) -> bool:
        """Touch or re-check `session` when due; False when it is gone (sockets dropped).

        Once socket `key` has left (its event was still in flight), nothing is touched,
        re-checked or claimed for it.
        """
        if session is None or session.id is None:
            return True
        now = self.clock()
        recheck = self._claim(key, session, self.revalidate_every, "check", now)
        if recheck and not await self._exists(session):
            await self.disconnect_local(session_room(session.id), "session-not-found")
            return False
        if self._claim(key, session, self.touch_every, "touch", now):
            try:
                await session.touch()
            except SessionError as error:
                if error.code != "session-not-found":
                    logger.warning("touch failed: %s", error.code, extra={"code": error.code})
                    return True
                await self.disconnect_local(session_room(session.id), error.code)
                return False
        return True

    async def _exists(self, session: AsyncSession) -> bool:
        if session.ref is None:
            return True
        try:
            raw = await call_store(self.store.get, session.ref.key, doing="revalidation")
        except SessionError:
            # A store outage is not a logout: keep the socket, check again next time.
            if self.metrics is not None:
                self.metrics.revalidation("store-unavailable")
            return True
        if self.metrics is not None:
            self.metrics.revalidation("gone" if raw is None else "live")
        return raw is not None

    async def recheck(self, *, due_only: bool) -> None:
        """Re-check this node's sessions (those due, or all) and drop the ones that are gone."""
        now = self.clock()
        with self._lock:
            held = self._registry.held()
        for session_id, session in held:
            with self._lock:
                if due_only:
                    due = self._registry.claim(self.revalidate_every, "check", session_id, now)
                else:
                    self._registry.mark_checked(session_id, now)
                    due = True
            if not due:
                continue
            if not await self._exists(session):
                await self.disconnect_local(session_room(session_id), "session-not-found")

    # -- background work -----------------------------------------------------------------

    def start(self) -> None:
        """Start following the control channel and the revalidation timer (once)."""
        with self._lock:
            if self._started or self._closed:
                return
            self._started = True
        if self.control is not None:
            self.sio.start_background_task(self._listener.listen, self.control)
        if self.revalidate_every.seconds is not None:
            self.sio.start_background_task(self._revalidate_periodically)

    async def _revalidate_periodically(self) -> None:
        seconds = self.revalidate_every.seconds or 0
        while not await self._wakeup.wait(seconds):
            try:
                await self.recheck(due_only=True)
            except Exception:
                logger.exception("revalidation round failed")

    @property
    def closed(self) -> bool:
        """True once `close` was called."""
        return self._closed

    async def closing(self, seconds: float) -> bool:
        """Wait up to `seconds`, less if `close` is called; True once it was."""
        return await self._wakeup.wait(seconds)

    async def close(self) -> None:
        """Stop the control-channel listener (within ~1 s) and the revalidation timer (at once)."""
        self._closed = True
        self._wakeup.set()

    # -- disconnecting -------------------------------------------------------------------

    async def disconnect_local(self, room: str, reason: str) -> None:
        """Disconnect this node's sockets in room `room` (a session's or a user's); their
        handlers get `reason`.

        Every socket goes, whatever any disconnect handler or the transport raises.
        """
        with self._lock:
            self._recent.note(room if is_session_room(room) else ANY_ROOM)
            doomed = self._registry.sockets_in(room)
        doomed = doomed or self.members_of(room)
        for key in doomed:
            namespace, sid = key
            with self._lock:
                self._registry.mark_leaving(key, reason)
            if self.metrics is not None:
                self.metrics.disconnect(namespace, reason)
            try:
                await self.sio.disconnect(sid, namespace=namespace)
            except Exception:
                logger.exception(
                    "disconnecting socket %s in %s failed",
                    sid,
                    namespace,
                    extra={"namespace": namespace},
                )
            finally:
                # The handler took the reason if it ran; if the socket had already closed on
                # its own, nothing did, and the row must not stay behind.
                with self._lock:
                    self._registry.forget_reason(key)
