# Generated from src/sessio/aio/__init__.py by scripts/unasync.py: edit that file instead.
"""A shell of sessio: `SessionSockets` over ``socketio.Server``, and its stores.

`open_session` opens the session a ``Cookie`` header carries, for code that is not a socket
handler (an HTTP route beside the socket.io server). For web workers: `issue_ticket` (a
socket ticket, where the cookie cannot reach the socket server), `revoke` (logout) and
`rotate` (a login changed the session id), the last two over the store's control channel or
an `ManagerChannel`.

``RedisStore`` (the ``sessio[redis]`` extra) and ``DjangoStore`` (a configured Django) are
imported when first asked for, so that ``import sessio.sync`` needs neither.
"""

from typing import TYPE_CHECKING

from sessio.sync._manager_channel import ManagerChannel
from sessio.sync._opening import open_session
from sessio.sync._revoke import revoke
from sessio.sync._revoke_user import register_session, revoke_user
from sessio.sync._rotate import rotate
from sessio.sync._session import Session
from sessio.sync._sockets import SessionNamespace, SessionSockets
from sessio.sync._tickets import issue_ticket
from sessio.sync.stores import ControlChannel, MemoryStore, Store, UserIndex

if TYPE_CHECKING:
    from sessio.sync.stores.django import DjangoStore as DjangoStore
    from sessio.sync.stores.redis import RedisStore as RedisStore

__all__ = [
    "ControlChannel",
    "ManagerChannel",
    "MemoryStore",
    "Session",
    "SessionNamespace",
    "SessionSockets",
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
        from sessio.sync import stores

        return getattr(stores, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
