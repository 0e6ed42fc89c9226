# Generated from src/sessio/aio/_metered.py by scripts/unasync.py: edit that file instead.
"""A store with each operation timed for `sessio.metrics`: only made when metrics are on.

Timing the store by wrapping it, rather than inside every call, keeps the cost of metrics
that are off at nothing at all: without metrics no wrapper exists.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from typing import Any, TypeVar

from sessio.metrics import Metrics
from sessio.sync.stores._protocol import ControlChannel, Store

__all__ = ["MeteredStore", "metered"]

T = TypeVar("T")


class MeteredStore:
    """`store`, telling `metrics` how long each operation took and whether it raised.

    Any other attribute (a store's own methods and settings) is the wrapped store's.
    """

    def __init__(self, store: Store, metrics: Metrics) -> None:
        self.store = store
        self.metrics = metrics

    def __getattr__(self, name: str) -> Any:
        if name == "store":  # not set yet (a copy being made): no recursion
            raise AttributeError(name)
        return getattr(self.store, name)

    def __repr__(self) -> str:
        return f"MeteredStore({self.store!r})"

    def _timed(self, operation: str, call: Callable[..., T], *args: Any) -> T:
        start = time.perf_counter()
        try:
            result = call(*args)
        except BaseException:
            self.metrics.store_call(operation, time.perf_counter() - start, True)
            raise
        self.metrics.store_call(operation, time.perf_counter() - start, False)
        return result

    def get(self, key: str) -> bytes | None:
        """The wrapped store's `get`, timed."""
        return self._timed("get", self.store.get, key)

    def set(self, key: str, value: bytes, ttl: int | None) -> None:
        """The wrapped store's `set`, timed."""
        self._timed("set", self.store.set, key, value, ttl)

    def delete(self, key: str) -> None:
        """The wrapped store's `delete`, timed."""
        self._timed("delete", self.store.delete, key)

    def compare_and_set(
        self, key: str, expected: bytes | None, value: bytes | None, ttl: int | None
    ) -> tuple[bool, bytes | None]:
        """The wrapped store's `compare_and_set`, timed."""
        call = self.store.compare_and_set
        return self._timed("compare_and_set", call, key, expected, value, ttl)

    def ttl(self, key: str) -> float | None:
        """The wrapped store's `ttl`, timed."""
        return self._timed("ttl", self.store.ttl, key)

    def take(self, key: str) -> bytes | None:
        """The wrapped store's `take` (a socket ticket's redemption), timed."""
        return self._timed("take", self.store.take, key)


class MeteredChannelStore(MeteredStore):
    """A `MeteredStore` around a store that is also a `ControlChannel`; `publish` is timed.

    A class of its own, not a forwarded attribute: ``isinstance(store, ControlChannel)``
    must say what the wrapped store is (and from Python 3.12 it ignores ``__getattr__``).
    """

    def __init__(self, store: Store, channel: ControlChannel, metrics: Metrics) -> None:
        super().__init__(store, metrics)
        self.channel = channel

    def publish(self, channel: str, message: bytes) -> None:
        """The wrapped store's `publish`, timed."""
        self._timed("publish", self.channel.publish, channel, message)

    def subscribe(self, channel: str) -> Generator[bytes | None, None, None]:
        """The wrapped store's subscription, as it is (a stream, not one operation)."""
        return self.channel.subscribe(channel)


def metered(store: Store, metrics: Metrics) -> Store:
    """`store` with its operations timed for `metrics` (a control channel stays one)."""
    if isinstance(store, ControlChannel):
        return MeteredChannelStore(store, store, metrics)
    return MeteredStore(store, metrics)
