"""`MemoryStore`: sessions in this process's memory, for demos, tests and single processes."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping, Sequence

from sessio._memory import MemoryTable
from sessio._memory_sets import MemorySets
from sessio.core._presence import SetUpdate

__all__ = ["MemoryStore"]


class MemoryStore:
    """Sessions in this process's memory, with TTLs: for demos, tests and single processes.

    `clock` (Unix seconds) decides expiry; tests pass a controllable one.
    """

    #: A read here never waits: a connect gains nothing from starting it at the engine.io
    #: handshake (`sessio.aio._early`), and the head start would only cost.
    reads_wait = False

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.table = MemoryTable(clock)
        # Users' session indexes and presence (`UserIndex`), apart from the session values.
        self.sets = MemorySets(clock)

    async def get(self, key: str) -> bytes | None:
        """The bytes under `key`, or None."""
        return self.table.get(key)

    async def set(self, key: str, value: bytes, ttl: int | None) -> None:
        """Store `value` under `key` for `ttl` seconds (None: no expiry)."""
        self.table.set(key, value, ttl)

    async def delete(self, key: str) -> None:
        """Remove `key`."""
        self.table.delete(key)

    async def take(self, key: str) -> bytes | None:
        """The bytes under `key`, removed in the same step (see `Store.take`)."""
        return self.table.take(key)

    async def compare_and_set(
        self, key: str, expected: bytes | None, value: bytes | None, ttl: int | None
    ) -> tuple[bool, bytes | None]:
        """Write `value` only if `key` holds `expected` (see `Store.compare_and_set`)."""
        return self.table.compare_and_set(key, expected, value, ttl)

    async def ttl(self, key: str) -> float | None:
        """Seconds until `key` expires."""
        return self.table.ttl(key)

    async def update_members(
        self, key: str, add: Mapping[str, float | None], remove: Collection[str]
    ) -> None:
        """Change the expiring set `key` in one step (see `UserIndex`)."""
        self.sets.update(key, add, remove)

    async def update_many(self, updates: Sequence[SetUpdate]) -> None:
        """`update_members` for each of `updates` (see `UserIndex`)."""
        for update in updates:
            self.sets.update(update.key, update.add, update.remove)

    async def live_members(self, key: str) -> list[str]:
        """The live members of the expiring set `key` (see `UserIndex`)."""
        return self.sets.live(key)

    async def count_members(self, key: str) -> int:
        """How many live members the expiring set `key` has (see `UserIndex`)."""
        return self.sets.count(key)
