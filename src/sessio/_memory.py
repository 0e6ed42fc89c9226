"""The in-process store both shells' `MemoryStore` share: a dict with TTLs behind a lock."""

from __future__ import annotations

import heapq
import threading
import time
from collections.abc import Callable

from attrs import define, field

__all__ = ["SWEEP_PER_WRITE", "MemoryTable"]

#: How many due deadlines one write handles, at most. Each write queues at most one deadline,
#: so a bounded number per write keeps up with any write rate at O(log n) per write.
SWEEP_PER_WRITE = 8
# The queue is rebuilt once it holds this many entries more than twice the queued keys:
# rebuilding costs one entry per key, paid for by the entries pushed since the last rebuild.
_COMPACT_SLACK = 64


@define
class MemoryTable:
    """Bytes by key, each with an optional deadline on `clock` (Unix seconds).

    Every operation takes the lock and does no I/O, so it is safe from threads, greenlets
    (the lock is monkey-patched with the rest) and tasks alike. Reads never return an expired
    value; writes also drop up to `SWEEP_PER_WRITE` expired entries that nobody reads any more,
    so that the table does not grow with every session that was ever created.
    """

    clock: Callable[[], float] = time.time
    _items: dict[str, tuple[bytes, float | None]] = field(factory=dict, init=False)
    _lock: threading.Lock = field(factory=threading.Lock, init=False)
    # A min-heap of (deadline, key) to sweep, and the deadline of each key's current entry in
    # it. Every key with a deadline has an entry no later than that deadline: a sweep that
    # finds the deadline moved on queues the key again. Entries whose key has since gone, or
    # been queued again earlier, are stale and dropped when they come up.
    _deadlines: list[tuple[float, str]] = field(factory=list, init=False)
    _queued: dict[str, float] = field(factory=dict, init=False)

    def _drop(self, key: str) -> None:
        self._items.pop(key, None)
        self._queued.pop(key, None)

    def _live(self, key: str, now: float) -> bytes | None:
        item = self._items.get(key)
        if item is None:
            return None
        value, deadline = item
        if deadline is not None and deadline <= now:
            self._drop(key)
            return None
        return value

    def _queue(self, key: str, deadline: float) -> None:
        queued = self._queued.get(key)
        if queued is None or deadline < queued:
            heapq.heappush(self._deadlines, (deadline, key))
            self._queued[key] = deadline

    def _put(self, key: str, value: bytes | None, ttl: float | None, now: float) -> None:
        if value is None or (ttl is not None and ttl <= 0):
            self._drop(key)
        else:
            deadline = None if ttl is None else now + ttl
            self._items[key] = (value, deadline)
            if deadline is not None:
                self._queue(key, deadline)
        self._sweep(now)

    def _sweep(self, now: float) -> None:
        """Handle up to `SWEEP_PER_WRITE` due deadlines; rebuild the queue when mostly stale."""
        for _ in range(SWEEP_PER_WRITE):
            if not self._deadlines or self._deadlines[0][0] > now:
                break
            due, key = heapq.heappop(self._deadlines)
            if self._queued.get(key) != due:
                continue  # stale: the key is gone, or queued again earlier
            del self._queued[key]
            item = self._items.get(key)
            if item is None or item[1] is None:
                continue
            if item[1] <= now:
                del self._items[key]
            else:
                self._queue(key, item[1])  # written again with a later deadline since
        if len(self._deadlines) > 2 * len(self._queued) + _COMPACT_SLACK:
            self._deadlines = [(deadline, key) for key, deadline in self._queued.items()]
            heapq.heapify(self._deadlines)

    def get(self, key: str) -> bytes | None:
        """The live value under `key`."""
        with self._lock:
            return self._live(key, self.clock())

    def set(self, key: str, value: bytes, ttl: float | None) -> None:
        """Store `value` for `ttl` seconds (None: no expiry)."""
        with self._lock:
            self._put(key, value, ttl, self.clock())

    def delete(self, key: str) -> None:
        """Remove `key` if present."""
        with self._lock:
            self._drop(key)
            self._sweep(self.clock())

    def take(self, key: str) -> bytes | None:
        """The live value under `key`, removed in the same step (None if absent)."""
        with self._lock:
            value = self._live(key, self.clock())
            self._drop(key)
            return value

    def compare_and_set(
        self, key: str, expected: bytes | None, value: bytes | None, ttl: float | None
    ) -> tuple[bool, bytes | None]:
        """Write (or delete, when `value` is None) only if `key` holds `expected` now."""
        with self._lock:
            now = self.clock()
            current = self._live(key, now)
            if current != expected:
                return False, current
            self._put(key, value, ttl, now)
            return True, value

    def ttl(self, key: str) -> float | None:
        """Seconds left for `key` (None: no expiry or absent)."""
        with self._lock:
            now = self.clock()
            if self._live(key, now) is None:
                return None
            deadline = self._items[key][1]
            return None if deadline is None else deadline - now

    def __len__(self) -> int:
        """How many entries the table holds, expired ones not swept yet included."""
        with self._lock:
            return len(self._items)
