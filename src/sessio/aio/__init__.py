"""A shell of sessio: `AsyncSessionSockets` over ``socketio.AsyncServer``, and its stores.

`open_session` opens the session a ``Cookie`` header carries, for code that is not a socket
handler (an HTTP route beside the socket.io server). For web workers: `issue_ticket` (a
socket ticket, where the cookie cannot reach the socket server), `revoke` (logout) and
`rotate` (a login changed the session id), the last two over the store's control channel or
an `AsyncManagerChannel`.

``RedisStore`` (the ``sessio[redis]`` extra) and ``DjangoStore`` (a configured Django) are
imported when first asked for, so that ``import sessio.aio`` needs neither.
"""

from typing import TYPE_CHECKING

from sessio.aio._manager_channel import AsyncManagerChannel
from sessio.aio._opening import open_session
from sessio.aio._revoke import revoke
from sessio.aio._revoke_user import register_session, revoke_user
from sessio.aio._rotate import rotate
from sessio.aio._session import AsyncSession
from sessio.aio._sockets import AsyncSessionNamespace, AsyncSessionSockets
from sessio.aio._tickets import issue_ticket
from sessio.aio.stores import ControlChannel, MemoryStore, Store, UserIndex

if TYPE_CHECKING:
    from sessio.aio.stores.django import DjangoStore as DjangoStore
    from sessio.aio.stores.redis import RedisStore as RedisStore

__all__ = [
    "AsyncManagerChannel",
    "AsyncSession",
    "AsyncSessionNamespace",
    "AsyncSessionSockets",
    "ControlChannel",
    "MemoryStore",
    "Store",
    "UserIndex",
    "issue_ticket",
    "open_session",
    "register_session",
    "revoke",
    "revoke_user",
    "rotate",
]


def __getattr__(name: str) -> object:
    if name in ("RedisStore", "DjangoStore"):
        from sessio.aio import stores

        return getattr(stores, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
