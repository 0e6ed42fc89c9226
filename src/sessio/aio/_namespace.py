"""`AsyncSessionNamespace` (``sessions.of(ns)``), and what registering a handler needs."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, overload

from sessio.aio._session import AsyncSession
from sessio.core import Failure

if TYPE_CHECKING:
    from sessio.aio._sockets import AsyncSessionSockets

__all__ = ["AsyncSessionNamespace", "H", "accepts", "without_auth"]

#: A handler, kept as its own type by the registering decorators.
H = TypeVar("H", bound=Callable[..., Any])


def accepts(handler: Callable[..., Any], count: int) -> bool:
    """Whether `handler` can be called with `count` positional arguments."""
    try:
        inspect.signature(handler).bind(*range(count))
    except (TypeError, ValueError):
        return False
    return True


def without_auth(handler: Callable[..., Any]) -> Callable[..., Any]:
    """`handler` (err, sid, session) as a connect handler that also takes the auth payload."""

    def call(err: Failure | None, sid: str, session: Any, auth: Any) -> Any:
        return handler(err, sid, session)

    return call


class AsyncSessionNamespace:
    """`AsyncSessionSockets` bound to one namespace, as returned by ``sessions.of(ns)``."""

    def __init__(self, owner: AsyncSessionSockets, namespace: str) -> None:
        self.owner = owner
        self.namespace = namespace

    @overload
    def on(self, event: str, handler: None = None) -> Callable[[H], H]: ...
    @overload
    def on(self, event: str, handler: H) -> H: ...

    def on(self, event: str, handler: H | None = None) -> H | Callable[[H], H]:
        """Register `handler` for `event` in this namespace; usable as a decorator."""
        return self.owner.on(event, handler, namespace=self.namespace)

    async def get_session(self, sid: str) -> AsyncSession:
        """A fresh load of the session of socket `sid` in this namespace."""
        return await self.owner.get_session(sid, namespace=self.namespace)

    def session(self, sid: str) -> AsyncSession | None:
        """The live session object of socket `sid` in this namespace."""
        return self.owner.session(sid, namespace=self.namespace)
