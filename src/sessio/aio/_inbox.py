"""A mailbox between a producer and one waiting listener; `sessio.sync._inbox` is its twin.

Hand-written on both sides (``scripts/unasync.py`` leaves it alone): waiting with a timeout
is ``anyio.move_on_after`` around an ``asyncio.Queue`` here, ``queue.Queue.get(timeout=)``
there.
"""

from __future__ import annotations

import asyncio
import logging

import anyio

__all__ = ["AsyncInbox"]

logger = logging.getLogger("sessio")

#: Messages kept for a listener that is not reading; more are dropped (and said so).
INBOX_SIZE = 1024


class AsyncInbox:
    """Bytes put from the event loop's tasks, taken by one listener task of the same loop."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[bytes] = asyncio.Queue(INBOX_SIZE)

    def put(self, item: bytes) -> None:
        """Leave `item` for the listener; dropped, with a warning, when the inbox is full."""
        try:
            self._queue.put_nowait(item)
        except asyncio.QueueFull:
            logger.warning("control channel: inbox full, a message was dropped")

    async def get(self, seconds: float) -> bytes | None:
        """The next item, or None when `seconds` pass without one."""
        with anyio.move_on_after(seconds):
            return await self._queue.get()
        return None
