"""The server's side of a test: sessions minted straight into a store, disconnect reasons."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import anyio.to_thread

from sessio.core import Failure, Minted, StoreFormat, plan_create
from sessio.errors import error_for
from sessio.testing._inbox import TIMEOUT, Inbox

__all__ = ["Disconnects", "amint", "mint", "watch_disconnects"]


class _SyncStore(Protocol):
    def set(self, key: str, value: bytes, ttl: int | None) -> None: ...


class _AsyncStore(Protocol):
    async def set(self, key: str, value: bytes, ttl: int | None) -> None: ...


def _plan(fmt: StoreFormat, data: Mapping[str, Any] | None, now: float | None) -> Any:
    if not isinstance(fmt, StoreFormat):
        raise TypeError(
            f"{getattr(fmt, 'name', fmt)!r} keeps the session in its cookie: log in through the"
            " app's own login view and take the cookie with cookie_header()"
        )
    when = time.time() if now is None else now
    plan = plan_create(fmt, secrets.token_bytes(24), data or {}, when)
    if isinstance(plan, Failure):
        raise error_for(plan)
    return plan


def mint(
    store: _SyncStore,
    fmt: StoreFormat,
    data: Mapping[str, Any] | None = None,
    *,
    now: float | None = None,
) -> Minted:
    """Store a new session holding `data` for store format `fmt`, as its framework would.

    For a sync store (``sessio.sync.MemoryStore``, ``RedisStore``, ``DjangoStore``). Returns
    the session's id and the ``name=value`` cookie a browser would send (``minted.cookie``).
    `now` (default: the time) is when it is created, for the format's expiry fields.
    """
    plan = _plan(fmt, data, now)
    if plan.write.value is not None:
        store.set(plan.write.key, plan.write.value, plan.write.ttl)
    minted: Minted = plan.minted
    return minted


async def amint(
    store: _AsyncStore,
    fmt: StoreFormat,
    data: Mapping[str, Any] | None = None,
    *,
    now: float | None = None,
) -> Minted:
    """`mint` for an async store (``sessio.aio.MemoryStore``, ``RedisStore``, ...)."""
    plan = _plan(fmt, data, now)
    if plan.write.value is not None:
        await store.set(plan.write.key, plan.write.value, plan.write.ttl)
    minted: Minted = plan.minted
    return minted


class Disconnects:
    """The reasons sessio gave the server's disconnect handlers, by socket id."""

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        self._inbox = Inbox()

    def add(self, sid: str, reason: Any) -> None:
        """Record that socket `sid` left for `reason`."""
        self._inbox.add(self.namespace, sid, (reason,))

    def wait(self, sid: str, timeout: float = TIMEOUT) -> str:
        """The reason socket `sid` left (``"session-revoked"``, ``"session-not-found"``,
        ``"client disconnect"``, ...), once it has; waits up to `timeout` seconds."""
        (reason,) = self._inbox.take(self.namespace, sid, timeout)
        return str(reason)

    async def wait_async(self, sid: str, timeout: float = TIMEOUT) -> str:
        """`wait`, off the event loop (the server may run on another thread's loop)."""
        return await anyio.to_thread.run_sync(self.wait, sid, timeout)


def watch_disconnects(sessions: Any, namespace: str = "/") -> Disconnects:
    """Record why each socket of `sessions` (a ``SessionSockets`` or ``AsyncSessionSockets``)
    in `namespace` was disconnected, as its disconnect handler is told.

    The application's own disconnect handler still runs, after the record: call this once
    the application has registered its handlers (a handler registered later replaces it).
    """
    disconnects = Disconnects(namespace)
    handlers: dict[str, Callable[..., Any]] = sessions._handlers.get(namespace, {})
    previous = handlers.get("disconnect")

    # A plain function for both shells: the sync shell calls it, the async one awaits what it
    # returns when that is awaitable (the application's own async handler).
    def recorded(sid: str, session: Any, reason: Any) -> Any:
        disconnects.add(sid, reason)
        return None if previous is None else previous(sid, session, reason)

    sessions.on("disconnect", recorded, namespace=namespace)
    return disconnects
