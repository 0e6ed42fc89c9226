"""`AsyncLiveness`: keeps one node's sessions alive and honest while their sockets are open.

Rolling expiry (``touch_every``), revalidation (``revalidate_every``, on activity and on a
timer), and the control channel that lets other nodes and `revoke` disconnect this node's
sockets of a session. `AsyncSessionSockets` owns one and shares its socket registry with it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import aclosing

import socketio

from sessio.aio.session import AsyncSession
from sessio.aio.store import ControlChannel, Store
from sessio.core.activity import Interval
from sessio.core.control import CONTROL_CHANNEL, decode_control
from sessio.core.rooms import session_room
from sessio.errors import SessionError

__all__ = ["AsyncLiveness"]

logger = logging.getLogger("sessio")


class AsyncLiveness:
    """Touches, re-checks and remote disconnects for the sockets in `sessions`.

    `sessions` and `reasons` are the owner's registries (socket -> session, socket -> why it
    is being disconnected), shared, not copied.
    """

    def __init__(
        self,
        sio: socketio.AsyncServer,
        store: Store,
        clock: Callable[[], float],
        touch_every: Interval,
        revalidate_every: Interval,
        sessions: dict[tuple[str, str], AsyncSession | None],
        reasons: dict[tuple[str, str], str],
    ) -> None:
        self.sio = sio
        self.store = store
        self.clock = clock
        self.touch_every = touch_every
        self.revalidate_every = revalidate_every
        self._sessions = sessions
        self._reasons = reasons
        # Per session id: when this node last touched / re-checked it.
        self._touched: dict[str, float] = {}
        self._checked: dict[str, float] = {}
        # The sync shell runs handlers in parallel threads: seeing that a touch or a check is
        # due and claiming it must be one step, or two sockets of a session both do it.
        self._claims = threading.Lock()
        self._started = False
        self._closed = False

    async def on_activity(self, session: AsyncSession | None) -> bool:
        """Touch or re-check `session` when due; False when it is gone (sockets dropped)."""
        if session is None or session.id is None:
            return True
        now = self.clock()
        recheck = self._claim(self.revalidate_every, self._checked, session.id, now)
        if recheck and not await self._exists(session):
            await self.disconnect_local(session_room(session.id), "session-not-found")
            return False
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

    async def _exists(self, session: AsyncSession) -> bool:
        if session.ref is None:
            return True
        try:
            return await self.store.get(session.ref.key) is not None
        except Exception:
            # A store outage is not a logout: keep the socket, check again next time.
            logger.warning("session store failed on revalidation", exc_info=True)
            return True

    async def _revalidate_all(self) -> None:
        """Re-check every session on this node that is due (the timer's round)."""
        now = self.clock()
        live = {
            s.id: s for s in list(self._sessions.values()) if s is not None and s.id is not None
        }
        for session_id, session in live.items():
            if not self._claim(self.revalidate_every, self._checked, session_id, now):
                continue
            if not await self._exists(session):
                await self.disconnect_local(session_room(session_id), "session-not-found")

    def _claim(
        self, interval: Interval, last: dict[str, float], session_id: str, now: float
    ) -> bool:
        """Whether `interval` is due for `session_id` at `now`; if so, mark it done now."""
        if interval.seconds is None:
            return False
        with self._claims:
            if not interval.due(last.get(session_id), now):
                return False
            last[session_id] = now
            return True

    def forget_if_unused(self, session: AsyncSession | None) -> None:
        if session is None or session.id is None:
            return
        if not any(s is not None and s.id == session.id for s in self._sessions.values()):
            self._touched.pop(session.id, None)
            self._checked.pop(session.id, None)

    def joined(self, session_id: str) -> None:
        """A socket of `session_id` connected: its intervals start now; background work too."""
        now = self.clock()
        self._touched.setdefault(session_id, now)
        self._checked.setdefault(session_id, now)
        self._start_background_tasks()

    def _start_background_tasks(self) -> None:
        if self._started or self._closed:
            return
        self._started = True
        if isinstance(self.store, ControlChannel):
            self.sio.start_background_task(self._listen, self.store)
        if self.revalidate_every.seconds is not None:
            self.sio.start_background_task(self._revalidate_periodically)

    async def _revalidate_periodically(self) -> None:
        seconds = self.revalidate_every.seconds or 0
        while not self._closed:
            await self.sio.sleep(seconds)
            try:
                await self._revalidate_all()
            except Exception:
                logger.exception("revalidation round failed")

    async def _listen(self, channel: ControlChannel) -> None:
        """Follow the control channel until `close`; resubscribe when the store drops it."""
        lost = False
        while not self._closed:
            try:
                async with aclosing(channel.subscribe(CONTROL_CHANNEL)) as messages:
                    async for raw in messages:
                        if lost:
                            logger.warning("control channel back")
                            lost = False
                        if self._closed:
                            break
                        message = None if raw is None else decode_control(raw)
                        if message is not None:
                            await self.disconnect_local(message.room, message.reason)
            except Exception:
                # Said once per outage: the store being down is logged by whoever uses it.
                if not lost:
                    logger.warning("control channel lost; subscribing again", exc_info=True)
                lost = True
                await self.sio.sleep(1)

    async def close(self) -> None:
        """Stop the control-channel listener and the revalidation timer (within ~1 s)."""
        self._closed = True

    async def disconnect_local(self, room: str, reason: str) -> None:
        """Disconnect this node's sockets in session room `room`; their handlers get `reason`."""
        doomed = [
            key
            for key, session in list(self._sessions.items())
            if session is not None and session.id is not None and session_room(session.id) == room
        ]
        for namespace, sid in doomed:
            self._reasons[(namespace, sid)] = reason
            await self.sio.disconnect(sid, namespace=namespace)
