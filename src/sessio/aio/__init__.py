"""The asyncio shell: `AsyncSessionSockets` over ``socketio.AsyncServer``, async stores."""

from sessio.aio.session import AsyncSession
from sessio.aio.sockets import AsyncSessionNamespace, AsyncSessionSockets
from sessio.aio.store import MemoryStore, Store

__all__ = ["AsyncSession", "AsyncSessionNamespace", "AsyncSessionSockets", "MemoryStore", "Store"]
