"""`AsyncPresence`: this node's sockets counted online in the store, by heartbeats with expiry.

Each socket of a user is a member of the user's presence set (`user_presence_key`) until
`HEARTBEAT_MISSES` heartbeats from its node's last word: a node that dies without one drops
out of every count within that time, where a counter would stay wrong for ever. Sockets that
come and go are told to the store in the background, merged over `COALESCE` seconds, so that
a connect waits for none of it; `count` sends what this node owes before it counts.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import socketio

from sessio.aio._primitives import AsyncLock, AsyncWakeup, ThreadLock, sleep
from sessio.aio._store_calls import call_store
from sessio.aio.stores._user_index import UserIndex
from sessio.core._presence import PresenceLedger, presence_ttl
from sessio.core._users import socket_tag, user_presence_key
from sessio.errors import SessionError

__all__ = ["COALESCE", "AsyncPresence"]

logger = logging.getLogger("sessio")

#: How long presence changes wait to be sent together (seconds): the longest another node
#: counts a socket that came or went late, and what makes a burst of connects one write.
COALESCE = 0.2

Socket = tuple[str, str]


class AsyncPresence:
    """The presence writes of one node, and the heartbeat that sends them.

    The owner calls `joined` and `left` under `lock` (the lock of its user table, so that a
    socket's last word here is its last assignment there), then `changed` if either said a
    flush is due (a change while one is due already is taken by it).
    """

    def __init__(
        self,
        sio: socketio.AsyncServer,
        index: UserIndex,
        clock: Callable[[], float],
        heartbeat_every: float,
        lock: ThreadLock,
        held: Callable[[], dict[str, list[Socket]]],
        on_heartbeat: Callable[[], Awaitable[None]],
    ) -> None:
        self.sio = sio
        self.index = index
        self.clock = clock
        self.heartbeat_every = heartbeat_every
        self._ledger = PresenceLedger(presence_ttl(heartbeat_every))
        self._lock = lock
        self._held = held
        self._on_heartbeat = on_heartbeat
        # One flush at a time: two in flight could land a socket's join after its leave.
        self._flushing = AsyncLock()
        self._changed = AsyncWakeup(sio.eio.create_event())
        self._started = False
        self._closed = False

    def joined(self, user_id: str, key: Socket) -> bool:
        """Socket `key` of `user_id` is online (call under `lock`); whether to call `changed`."""
        return self._ledger.joined(user_id, socket_tag(*key))

    def left(self, user_id: str, key: Socket) -> bool:
        """Socket `key` of `user_id` is gone (call under `lock`); whether to call `changed`."""
        return self._ledger.left(user_id, socket_tag(*key))

    def changed(self) -> None:
        """Something was owed: send it soon."""
        self._changed.set()

    async def count(self, user_id: str) -> int:
        """How many sockets `user_id` has online over every node."""
        await self.flush()
        key = user_presence_key(user_id)
        found: int = await call_store(self.index.count_members, key, doing="presence")
        return found

    async def flush(self, *, heartbeat: bool = False) -> None:
        """Send what this node owes (with `heartbeat`: every socket it holds, refreshed)."""
        async with self._flushing:
            with self._lock:
                if heartbeat:
                    held = self._held()
                    tags = {user: [socket_tag(*key) for key in keys] for user, keys in held.items()}
                    updates = self._ledger.heartbeat(tags)
                else:
                    updates = self._ledger.take()
            if not updates:
                return
            try:
                await call_store(self.index.update_many, updates, doing="presence")
            except SessionError:
                return  # logged; the next heartbeat puts it right

    def start(self) -> None:
        """Start the heartbeat (once)."""
        with self._lock:
            if self._started or self._closed:
                return
            self._started = True
        self.sio.start_background_task(self._beat)

    async def _beat(self) -> None:
        last = self.clock()
        while not self._closed:
            await self._changed.wait(self.heartbeat_every)
            if self._closed:
                break
            # A fresh event before taking what is owed: a change from now on wakes the next
            # round, one before it is in what this round takes.
            self._changed = AsyncWakeup(self.sio.eio.create_event())
            await sleep(COALESCE)  # what else changes meanwhile goes in the same round
            if self._closed:
                break
            due = self.clock() - last >= self.heartbeat_every
            try:
                await self.flush(heartbeat=due)
                if due:
                    last = self.clock()
                    await self._on_heartbeat()
            except Exception:
                logger.exception("user presence round failed")
        try:
            await self.flush()
        except Exception:
            logger.exception("user presence: the last flush failed")

    async def close(self) -> None:
        """Stop the heartbeat (its last round sends what is owed)."""
        self._closed = True
        self._changed.set()
