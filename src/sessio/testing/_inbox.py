"""`Inbox`: what a test client received, by namespace and event, to wait on in order."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import defaultdict
from typing import Any

__all__ = ["TIMEOUT", "Inbox", "payload"]

#: How long a test waits for something by default (seconds): enough for a loaded CI
#: machine, short enough that a missing event fails the test quickly.
TIMEOUT = 5.0

Key = tuple[str, str]


def payload(args: tuple[Any, ...]) -> Any:
    """An event's arguments as a test wants them: None, the one argument, or a tuple."""
    if not args:
        return None
    return args[0] if len(args) == 1 else args


class Inbox:
    """Every ``(namespace, event)`` a client saw, with its arguments, in order.

    Safe to add to from any thread. `take` and `take_async` hand out each record once, in
    the order received, so that two waits for ``"news"`` see the first and the second.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._records: defaultdict[Key, list[tuple[Any, ...]]] = defaultdict(list)
        self._taken: defaultdict[Key, int] = defaultdict(int)
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []

    def add(self, namespace: str, event: str, args: tuple[Any, ...]) -> None:
        """Record that `event` arrived in `namespace` with `args`."""
        with self._changed:
            self._records[(namespace, event)].append(args)
            self._changed.notify_all()
            waiters = list(self._waiters)
        for loop, ready in waiters:
            # A waiter whose loop has closed under it has nothing left to wake.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(ready.set)

    def all(self, namespace: str, event: str) -> list[tuple[Any, ...]]:
        """Everything received as `event` in `namespace` so far (taken or not)."""
        with self._changed:
            return list(self._records[(namespace, event)])

    def _next(self, key: Key) -> tuple[Any, ...] | None:
        # Under the condition's lock.
        records, taken = self._records[key], self._taken[key]
        if taken < len(records):
            self._taken[key] = taken + 1
            return records[taken]
        return None

    def take(self, namespace: str, event: str, timeout: float = TIMEOUT) -> tuple[Any, ...]:
        """The next `event` in `namespace` not taken yet; waits up to `timeout` seconds."""
        key = (namespace, event)
        deadline = time.monotonic() + timeout
        with self._changed:
            while (found := self._next(key)) is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(_late(key, timeout))
                self._changed.wait(left)
            return found

    async def take_async(
        self, namespace: str, event: str, timeout: float = TIMEOUT
    ) -> tuple[Any, ...]:
        """`take`, without blocking the event loop it is awaited on."""
        key = (namespace, event)
        ready = asyncio.Event()
        waiter = (asyncio.get_running_loop(), ready)
        with self._changed:
            self._waiters.append(waiter)
        try:
            async with asyncio.timeout(timeout):
                while True:
                    ready.clear()
                    with self._changed:
                        found = self._next(key)
                    if found is not None:
                        return found
                    await ready.wait()
        except TimeoutError:
            raise TimeoutError(_late(key, timeout)) from None
        finally:
            with self._changed:
                self._waiters.remove(waiter)


def _late(key: Key, timeout: float) -> str:
    namespace, event = key
    return f"no {event!r} in namespace {namespace!r} within {timeout} s"
