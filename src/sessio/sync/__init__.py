"""The sync shell: `SessionSockets` over ``socketio.Server`` (threading, eventlet, gevent)."""

from typing import TYPE_CHECKING

from sessio.sync.revoke import revoke
from sessio.sync.session import Session
from sessio.sync.sockets import SessionNamespace, SessionSockets
from sessio.sync.store import ControlChannel, MemoryStore, Store

if TYPE_CHECKING:
    from sessio.sync.django_store import DjangoStore
    from sessio.sync.redis_store import RedisStore

__all__ = [
    "ControlChannel",
    "DjangoStore",
    "MemoryStore",
    "RedisStore",
    "Session",
    "SessionNamespace",
    "SessionSockets",
    "Store",
    "revoke",
]


def __getattr__(name: str) -> object:
    # RedisStore needs the optional redis package (sessio[redis]): imported when first asked for.
    if name == "RedisStore":
        from sessio.sync.redis_store import RedisStore

        return RedisStore
    # DjangoStore needs Django, installed and configured.
    if name == "DjangoStore":
        from sessio.sync.django_store import DjangoStore

        return DjangoStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
