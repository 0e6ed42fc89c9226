"""Around each `DjangoStore` operation: one lock per session key in this process, and
Django's database connections recycled as a request would.

Django closes its stale connections at the start and end of each request; a store called
from socket handlers has no request, so it does the same around each operation (`_recycle`
leaves a connection alone while someone's transaction runs on it).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connections  # type: ignore[import-untyped]

__all__ = ["KEY_LOCKS", "KeyLocks", "recycled_connections"]


class KeyLocks:
    """One lock per key, alive while someone holds or waits for it."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, tuple[threading.Lock, int]] = {}

    @contextmanager
    def hold(self, key: str) -> Iterator[None]:
        with self._guard:
            lock, users = self._locks.get(key, (threading.Lock(), 0))
            self._locks[key] = (lock, users + 1)
        try:
            with lock:
                yield
        finally:
            with self._guard:
                lock, users = self._locks[key]
                if users == 1:
                    del self._locks[key]
                else:
                    self._locks[key] = (lock, users - 1)


KEY_LOCKS = KeyLocks()


def _recycle() -> None:
    # django.db.close_old_connections, minus connections inside someone's transaction.
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()


@contextmanager
def recycled_connections() -> Iterator[None]:
    _recycle()
    try:
        yield
    finally:
        _recycle()
