"""Sets whose members expire one by one, in memory: both shells' `MemoryStore` keep the user
index and presence here (`UserIndex`), apart from the session values."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Collection, Mapping

from attrs import define, field

__all__ = ["MemorySets"]

# Sets looked at per update for having expired whole: keeps sets of users who never come back
# from piling up, at a bounded cost per write.
_SWEEP_PER_UPDATE = 4


@define
class MemorySets:
    """Per key, members with deadlines on `clock` (Unix seconds); thread-safe, no I/O."""

    clock: Callable[[], float] = time.time
    _sets: dict[str, dict[str, float]] = field(factory=dict, init=False)
    _lock: threading.Lock = field(factory=threading.Lock, init=False)

    def update(self, key: str, add: Mapping[str, float | None], remove: Collection[str]) -> None:
        """Remove `remove`, give each of `add` a deadline TTL seconds from now, drop the expired."""
        with self._lock:
            now = self.clock()
            members = self._sets.pop(key, {})
            for member in remove:
                members.pop(member, None)
            for member, ttl in add.items():
                members[member] = math.inf if ttl is None else now + ttl
            live = {member: at for member, at in members.items() if at > now}
            self._sweep(now)
            if live:
                self._sets[key] = live  # to the end: the sweep comes to it last

    def _sweep(self, now: float) -> None:
        for _ in range(min(_SWEEP_PER_UPDATE, len(self._sets))):
            key = next(iter(self._sets))
            members = self._sets.pop(key)
            if any(at > now for at in members.values()):
                self._sets[key] = members

    def live(self, key: str) -> list[str]:
        """The members of `key` whose deadline has not passed."""
        with self._lock:
            now = self.clock()
            return sorted(m for m, at in self._sets.get(key, {}).items() if at > now)

    def count(self, key: str) -> int:
        """How many members of `key` have not passed their deadline."""
        return len(self.live(key))

    def __len__(self) -> int:
        """How many sets are held (some may have expired and not been swept yet)."""
        with self._lock:
            return len(self._sets)
