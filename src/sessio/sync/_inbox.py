"""A mailbox between a producer and one waiting listener: the twin of `sessio.aio._inbox`.

Under eventlet or gevent, ``queue`` is the monkey-patched green version.
"""

from __future__ import annotations

import logging
import queue

__all__ = ["Inbox"]

logger = logging.getLogger("sessio")

#: Messages kept for a listener that is not reading; more are dropped (and said so).
INBOX_SIZE = 1024


class Inbox:
    """Bytes put from any thread, taken by one listener thread."""

    def __init__(self) -> None:
        self._queue: queue.Queue[bytes] = queue.Queue(INBOX_SIZE)

    def put(self, item: bytes) -> None:
        """Leave `item` for the listener; dropped, with a warning, when the inbox is full."""
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            logger.warning("control channel: inbox full, a message was dropped")

    def get(self, seconds: float) -> bytes | None:
        """The next item, or None when `seconds` pass without one."""
        try:
            return self._queue.get(timeout=seconds)
        except queue.Empty:
            return None
