# Generated from src/sessio/aio/stores/_protocol.py by scripts/unasync.py: edit that file instead.
"""What the sync shell needs from a session store: `Store`, and optionally `ControlChannel`."""

from __future__ import annotations

from collections.abc import Generator
from typing import Protocol, runtime_checkable

__all__ = ["ControlChannel", "Store"]


class Store(Protocol):
    """A key-value store of session bytes with TTLs and an atomic compare-and-set."""

    def get(self, key: str) -> bytes | None:
        """The bytes under `key`, or None."""
        ...

    def set(self, key: str, value: bytes, ttl: int | None) -> None:
        """Store `value` under `key` for `ttl` seconds (None: no expiry)."""
        ...

    def delete(self, key: str) -> None:
        """Remove `key`."""
        ...

    def compare_and_set(
        self, key: str, expected: bytes | None, value: bytes | None, ttl: int | None
    ) -> tuple[bool, bytes | None]:
        """Atomically: if `key` holds `expected`, write `value` (delete when None) and return
        ``(True, value)``; otherwise change nothing and return ``(False, what it holds)``."""
        ...

    def ttl(self, key: str) -> float | None:
        """Seconds until `key` expires; None when it has no expiry or is absent."""
        ...

    def take(self, key: str) -> bytes | None:
        """Atomically: the bytes under `key` (None if absent), and `key` removed.

        Of two callers that take one key at once, on one node or on two, exactly one gets
        the bytes: socket tickets are single-use by this.
        """
        ...


@runtime_checkable
class ControlChannel(Protocol):
    """A pub/sub channel beside the store, linking every sessio server of a deployment.

    A store that offers one (`RedisStore` does) lets ``disconnect_session`` and `revoke`
    reach the sockets of a session on every node.
    """

    def publish(self, channel: str, message: bytes) -> None:
        """Send `message` to every subscriber of `channel`."""
        ...

    def subscribe(self, channel: str) -> Generator[bytes | None, None, None]:
        """Messages on `channel`, with None now and then so that a listener can stop.

        Each time the subscription becomes live, first and after any reconnection the store
        makes on its own, it yields `sessio.core._control.SUBSCRIBED` (``b""``): a listener
        then re-checks what it may have missed. A store that cannot tell may omit it; the
        listener also treats the first item of every subscription that way.
        """
        ...
