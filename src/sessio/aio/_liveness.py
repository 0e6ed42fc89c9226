"""`AsyncLiveness`: keeps one node's sessions alive and honest while their sockets are open.

Rolling expiry (``touch_every``), revalidation (``revalidate_every``, on activity and on a
timer), and the control channel that lets other nodes and `revoke` disconnect this node's
sockets of a session. `AsyncSessionSockets` owns one and shares its socket registry with it.

Nothing the application's handlers raise, and no message anyone publishes on the control
channel, may stop a logout half-way: every step that runs user code or reads outside input is
fenced, logged on the ``sessio`` logger, and the loop goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import aclosing

import socketio

from sessio.aio._primitives import AsyncWakeup, ThreadLock
from sessio.aio._session import AsyncSession
from sessio.aio.stores._protocol import ControlChannel, Store
from sessio.core._control import CONTROL_CHANNEL, SUBSCRIBED, decode_control
from sessio.core._intervals import Interval
from sessio.core._rooms import session_room
from sessio.errors import SessionError

__all__ = ["AsyncLiveness"]

logger = logging.getLogger("sessio")

Socket = tuple[str, str]  # (namespace, sid)

# How long the control-channel listener waits before subscribing again after losing it.
RESUBSCRIBE_AFTER = 1.0


class AsyncLiveness:
    """Touches, re-checks and remote disconnects for the sockets in `sessions`.

    `sessions` and `reasons` are the owner's registries (socket -> session, socket -> why it
    is being disconnected), shared, not copied. The owner reports each socket with a stored
    session as it `joined` and `left`; per session id, this keeps which sockets hold it and
    when it was last touched and re-checked, and forgets all of it with the last socket.
    """

    def __init__(
        self,
        sio: socketio.AsyncServer,
        store: Store,
        clock: Callable[[], float],
        touch_every: Interval,
        revalidate_every: Interval,
        sessions: dict[Socket, AsyncSession | None],
        reasons: dict[Socket, str],
    ) -> None:
        self.sio = sio
        self.store = store
        self.clock = clock
        self.touch_every = touch_every
        self.revalidate_every = revalidate_every
        self._sessions = sessions
        self._reasons = reasons
        # Per session id: its sockets on this node, and when this node last touched /
        # re-checked it. An id is in `_touched` and `_checked` only while it has sockets.
        self._members: dict[str, set[Socket]] = {}
        self._by_room: dict[str, str] = {}
        self._touched: dict[str, float] = {}
        self._checked: dict[str, float] = {}
        # The sync shell runs handlers in parallel threads: the tables change together, and
        # seeing that a touch or a check is due and claiming it must be one step, or two
        # sockets of a session both do it.
        self._lock = ThreadLock()
        self._started = False
        self._closed = False
        self._wakeup = AsyncWakeup(sio.eio.create_event())

    # -- the socket registry ------------------------------------------------------------

    def joined(self, key: Socket, session_id: str) -> None:
        """Socket `key` holds session `session_id`: its intervals start now (if first)."""
        now = self.clock()
        with self._lock:
            self._members.setdefault(session_id, set()).add(key)
            self._by_room[session_room(session_id)] = session_id
            self._touched.setdefault(session_id, now)
            self._checked.setdefault(session_id, now)

    def left(self, key: Socket, session_id: str) -> None:
        """Socket `key` no longer holds `session_id`; the last one takes the session's rows."""
        with self._lock:
            members = self._members.get(session_id)
            if members is None:
                return
            members.discard(key)
            if not members:
                del self._members[session_id]
                self._by_room.pop(session_room(session_id), None)
                self._touched.pop(session_id, None)
                self._checked.pop(session_id, None)

    def counts(self) -> dict[str, int]:
        """How many rows each of this node's tables holds (all 0 once every socket left)."""
        with self._lock:
            return {
                "sessions": len(self._sessions),
                "reasons": len(self._reasons),
                "members": len(self._members),
                "touched": len(self._touched),
                "checked": len(self._checked),
            }

    def _holds(self, key: Socket, session: AsyncSession) -> bool:
        # False once the socket left: an event still in flight must not touch or re-check.
        return self._sessions.get(key) is session

    # -- activity ------------------------------------------------------------------------

    async def on_activity(self, key: Socket, session: AsyncSession | None) -> bool:
        """Touch or re-check `session` when due; False when it is gone (sockets dropped).

        Once socket `key` has left (its event was still in flight), nothing is touched,
        re-checked or claimed for it.
        """
        if session is None or session.id is None or not self._holds(key, session):
            return True
        now = self.clock()
        recheck = self._claim(self.revalidate_every, self._checked, session.id, now)
        if recheck and not await self._exists(session):
            await self.disconnect_local(session_room(session.id), "session-not-found")
            return False
        if not self._holds(key, session):
            return True
        if self._claim(self.touch_every, self._touched, session.id, now):
            try:
                await session.touch()
            except SessionError as error:
                if error.code != "session-not-found":
                    logger.warning("touch failed: %s", error.code)
                    return True
                await self.disconnect_local(session_room(session.id), error.code)
                return False
        return True

    def _claim(
        self, interval: Interval, last: dict[str, float], session_id: str, now: float
    ) -> bool:
        """Whether `interval` is due for `session_id` at `now`; if so, mark it done now."""
        if interval.seconds is None:
            return False
        with self._lock:
            if session_id not in self._members or not interval.due(last.get(session_id), now):
                return False
            last[session_id] = now
            return True

    async def _exists(self, session: AsyncSession) -> bool:
        if session.ref is None:
            return True
        try:
            return await self.store.get(session.ref.key) is not None
        except Exception:
            # A store outage is not a logout: keep the socket, check again next time.
            logger.warning("session store failed on revalidation", exc_info=True)
            return True

    async def recheck(self, *, due_only: bool) -> None:
        """Re-check this node's sessions (those due, or all) and drop the ones that are gone."""
        now = self.clock()
        with self._lock:
            held = [(session_id, next(iter(keys))) for session_id, keys in self._members.items()]
        for session_id, key in held:
            session = self._sessions.get(key)
            if session is None:
                continue
            if due_only:
                if not self._claim(self.revalidate_every, self._checked, session_id, now):
                    continue
            else:
                with self._lock:
                    if session_id in self._members:
                        self._checked[session_id] = now
            if not await self._exists(session):
                await self.disconnect_local(session_room(session_id), "session-not-found")

    async def _recheck_all(self) -> None:
        try:
            await self.recheck(due_only=False)
        except Exception:
            logger.exception("re-check after subscribing failed")

    # -- background work -----------------------------------------------------------------

    def start(self) -> None:
        """Start following the control channel and the revalidation timer (once)."""
        with self._lock:
            if self._started or self._closed:
                return
            self._started = True
        if isinstance(self.store, ControlChannel):
            self.sio.start_background_task(self._listen, self.store)
        if self.revalidate_every.seconds is not None:
            self.sio.start_background_task(self._revalidate_periodically)

    async def _revalidate_periodically(self) -> None:
        seconds = self.revalidate_every.seconds or 0
        while not await self._wakeup.wait(seconds):
            try:
                await self.recheck(due_only=True)
            except Exception:
                logger.exception("revalidation round failed")

    async def _listen(self, channel: ControlChannel) -> None:
        """Follow the control channel until `close`; resubscribe when the store drops it.

        Whatever was published while this node was not listening (before its first
        subscription, while the store was away, while its client reconnected) is lost, so
        each time the subscription is live again (`SUBSCRIBED`, or the first item of a
        subscription), every session this node holds is re-checked: a revoke missed on the
        channel is found in the store.
        """
        lost = False
        while not self._closed:
            try:
                async with aclosing(channel.subscribe(CONTROL_CHANNEL)) as messages:
                    fresh = True
                    async for raw in messages:
                        if self._closed:
                            break
                        if fresh or raw == SUBSCRIBED:
                            fresh = False
                            if lost:
                                logger.warning("control channel back")
                                lost = False
                            # Beside the listener, not in its way: a store read that hangs
                            # (one cluster master down) must not hold up the messages.
                            self.sio.start_background_task(self._recheck_all)
                        if raw:
                            await self._on_message(raw)
            except Exception:
                # Said once per outage: the store being down is logged by whoever uses it.
                if not lost:
                    logger.warning("control channel lost; subscribing again", exc_info=True)
                lost = True
            if await self._wakeup.wait(RESUBSCRIBE_AFTER):
                return

    async def _on_message(self, raw: bytes) -> None:
        # Whatever goes wrong with one message, the subscription stays.
        message = decode_control(raw)
        if message is None:
            # Never the bytes themselves: whoever can publish chose them.
            logger.warning(
                "control channel: skipped a message sessio cannot read (%d bytes)", len(raw)
            )
            return
        try:
            await self.disconnect_local(message.room, message.reason)
        except Exception:
            logger.exception("control channel: a disconnect failed")

    async def close(self) -> None:
        """Stop the control-channel listener (within ~1 s) and the revalidation timer (at once)."""
        self._closed = True
        self._wakeup.set()

    # -- disconnecting -------------------------------------------------------------------

    async def disconnect_local(self, room: str, reason: str) -> None:
        """Disconnect this node's sockets in session room `room`; their handlers get `reason`.

        Every socket goes, whatever any disconnect handler or the transport raises.
        """
        with self._lock:
            session_id = self._by_room.get(room)
            doomed = sorted(self._members.get(session_id, ())) if session_id is not None else []
        for key in doomed:
            namespace, sid = key
            self._reasons[key] = reason
            try:
                await self.sio.disconnect(sid, namespace=namespace)
            except Exception:
                logger.exception("disconnecting socket %s in %s failed", sid, namespace)
            finally:
                # The handler took the reason if it ran; if the socket had already closed on
                # its own, nothing did, and the row must not stay behind.
                self._reasons.pop(key, None)
