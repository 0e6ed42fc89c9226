"""The asyncio shell: `AsyncSessionSockets` over ``socketio.AsyncServer``, async stores."""

from typing import TYPE_CHECKING

from sessio.aio.revoke import revoke
from sessio.aio.session import AsyncSession
from sessio.aio.sockets import AsyncSessionNamespace, AsyncSessionSockets
from sessio.aio.store import ControlChannel, MemoryStore, Store

if TYPE_CHECKING:
    from sessio.aio.django_store import DjangoStore
    from sessio.aio.redis_store import RedisStore

__all__ = [
    "AsyncSession",
    "AsyncSessionNamespace",
    "AsyncSessionSockets",
    "ControlChannel",
    "DjangoStore",
    "MemoryStore",
    "RedisStore",
    "Store",
    "revoke",
]


def __getattr__(name: str) -> object:
    # RedisStore needs the optional redis package (sessio[redis]): imported when first asked for.
    if name == "RedisStore":
        from sessio.aio.redis_store import RedisStore

        return RedisStore
    # DjangoStore needs Django, installed and configured.
    if name == "DjangoStore":
        from sessio.aio.django_store import DjangoStore

        return DjangoStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
