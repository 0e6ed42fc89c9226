"""A timer that `close()` can cut short, for each shell's kind of concurrency.

The shells' background loops (revalidation, control-channel retries) wait between rounds;
closing must end that wait at once, not after an interval. python-socketio's engine creates
the event (``create_event``), so it is a green event under eventlet or gevent, a thread
event under threading, and an ``asyncio.Event`` for the async server. The two classes have
the same shape, so ``scripts/unasync.py`` can turn one into the other by name.
"""

from __future__ import annotations

import asyncio
from typing import Any

import anyio

__all__ = ["AsyncWakeup", "Wakeup"]


class AsyncWakeup:
    """`wait` up to some seconds, or until `set`; for the async shell."""

    def __init__(self, event: asyncio.Event) -> None:
        self._event = event

    def set(self) -> None:
        """End every current and future `wait` at once."""
        self._event.set()

    async def wait(self, seconds: float) -> bool:
        """Wait `seconds`, or less if `set` is called; True when it was set."""
        with anyio.move_on_after(seconds):
            await self._event.wait()
        return self._event.is_set()


class Wakeup:
    """`wait` up to some seconds, or until `set`; for the sync shell (threads or greenlets)."""

    def __init__(self, event: Any) -> None:
        self._event = event

    def set(self) -> None:
        """End every current and future `wait` at once."""
        self._event.set()

    def wait(self, seconds: float) -> bool:
        """Wait `seconds`, or less if `set` is called; True when it was set."""
        return bool(self._event.wait(seconds))
