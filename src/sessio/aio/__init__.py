"""A shell of sessio: `AsyncSessionSockets` over ``socketio.AsyncServer``, and its stores.

`open_session` opens the session a ``Cookie`` header carries, for code that is not a socket
handler (an HTTP route beside the socket.io server).

``RedisStore`` (the ``sessio[redis]`` extra) and ``DjangoStore`` (a configured Django) are
imported when first asked for, so that ``import sessio.aio`` needs neither.
"""

from typing import TYPE_CHECKING

from sessio.aio._revoke import revoke
from sessio.aio._revoke_user import register_session, revoke_user
from sessio.aio._session import AsyncSession, open_session
from sessio.aio._sockets import AsyncSessionNamespace, AsyncSessionSockets
from sessio.aio.stores import ControlChannel, MemoryStore, Store, UserIndex

if TYPE_CHECKING:
    from sessio.aio.stores.django import DjangoStore as DjangoStore
    from sessio.aio.stores.redis import RedisStore as RedisStore

__all__ = [
    "AsyncSession",
    "AsyncSessionNamespace",
    "AsyncSessionSockets",
    "ControlChannel",
    "MemoryStore",
    "Store",
    "UserIndex",
    "open_session",
    "register_session",
    "revoke",
    "revoke_user",
]


def __getattr__(name: str) -> object:
    if name in ("RedisStore", "DjangoStore"):
        from sessio.aio import stores

        return getattr(stores, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
