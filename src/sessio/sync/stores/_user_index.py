# Generated from src/sessio/aio/stores/_user_index.py by scripts/unasync.py: edit that file instead.
"""What sessio needs from a store to keep users' session indexes and presence: `UserIndex`."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Protocol, runtime_checkable

from sessio.core._presence import SetUpdate

__all__ = ["UserIndex"]


@runtime_checkable
class UserIndex(Protocol):
    """Sets whose members expire one by one: the index of a user's sessions, and their sockets.

    Each member has a deadline, counted on the store's own clock (Redis: its ``TIME``), so that
    nodes whose clocks differ agree on what has expired. A member past its deadline is never
    returned or counted, and the whole set goes when its last member expires. `RedisStore`
    (a sorted set per key, scored by deadline) and `MemoryStore` offer it.

    These sets are kept apart from session values: no cookie can name one as a session.
    """

    def update_members(
        self, key: str, add: Mapping[str, float | None], remove: Collection[str]
    ) -> None:
        """In one step: take `remove` out of set `key`, give each member of `add` a deadline
        that many seconds from now (None: none), drop members past their deadline, and keep
        the set until its last member's deadline."""
        ...

    def update_many(self, updates: Sequence[SetUpdate]) -> None:
        """`update_members` for each update, in as few round trips as the store can (each
        update is one step; the batch is not)."""
        ...

    def live_members(self, key: str) -> list[str]:
        """The members of set `key` whose deadline has not passed."""
        ...

    def count_members(self, key: str) -> int:
        """How many members of set `key` have not passed their deadline."""
        ...
