"""The in-process store both shells' `MemoryStore` share: a dict with TTLs behind a lock."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from attrs import define, field

__all__ = ["MemoryTable"]


@define
class MemoryTable:
    """Bytes by key, each with an optional deadline on `clock` (Unix seconds).

    Every operation takes the lock and does no I/O, so it is safe from threads, greenlets
    (the lock is monkey-patched with the rest) and tasks alike.
    """

    clock: Callable[[], float] = time.time
    _items: dict[str, tuple[bytes, float | None]] = field(factory=dict, init=False)
    _lock: threading.Lock = field(factory=threading.Lock, init=False)

    def _live(self, key: str) -> bytes | None:
        item = self._items.get(key)
        if item is None:
            return None
        value, deadline = item
        if deadline is not None and deadline <= self.clock():
            del self._items[key]
            return None
        return value

    def _put(self, key: str, value: bytes | None, ttl: float | None) -> None:
        if value is None or (ttl is not None and ttl <= 0):
            self._items.pop(key, None)
        else:
            self._items[key] = (value, None if ttl is None else self.clock() + ttl)

    def get(self, key: str) -> bytes | None:
        """The live value under `key`."""
        with self._lock:
            return self._live(key)

    def set(self, key: str, value: bytes, ttl: float | None) -> None:
        """Store `value` for `ttl` seconds (None: no expiry)."""
        with self._lock:
            self._put(key, value, ttl)

    def delete(self, key: str) -> None:
        """Remove `key` if present."""
        with self._lock:
            self._items.pop(key, None)

    def compare_and_set(
        self, key: str, expected: bytes | None, value: bytes | None, ttl: float | None
    ) -> tuple[bool, bytes | None]:
        """Write (or delete, when `value` is None) only if `key` holds `expected` now."""
        with self._lock:
            current = self._live(key)
            if current != expected:
                return False, current
            self._put(key, value, ttl)
            return True, value

    def expire(self, key: str, ttl: float | None) -> bool:
        """Give `key` a new TTL; False when it is not there."""
        with self._lock:
            current = self._live(key)
            if current is None:
                return False
            self._put(key, current, ttl)
            return True

    def ttl(self, key: str) -> float | None:
        """Seconds left for `key` (None: no expiry or absent)."""
        with self._lock:
            if self._live(key) is None:
                return None
            deadline = self._items[key][1]
            return None if deadline is None else deadline - self.clock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)
