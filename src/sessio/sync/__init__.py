"""The sync shell: `SessionSockets` over ``socketio.Server`` (threading, eventlet, gevent)."""

from sessio.sync.session import Session
from sessio.sync.sockets import SessionNamespace, SessionSockets
from sessio.sync.store import MemoryStore, Store

__all__ = ["MemoryStore", "Session", "SessionNamespace", "SessionSockets", "Store"]
