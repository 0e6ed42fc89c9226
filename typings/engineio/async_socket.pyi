from typing import Any

from .base_socket import BaseSocket

class AsyncSocket(BaseSocket):
    """One engine.io connection, as kept in ``engineio.AsyncServer.sockets``."""

    async def send(self, pkt: Any) -> None: ...
    # wait=True blocks until the client has taken every queued packet: forever if it is gone.
    async def close(
        self, wait: bool = True, abort: bool = False, reason: str | None = None
    ) -> None: ...
