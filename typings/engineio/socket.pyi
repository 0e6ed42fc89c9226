from typing import Any

from .base_socket import BaseSocket

class Socket(BaseSocket):
    """One engine.io connection, as kept in ``engineio.Server.sockets``."""

    def send(self, pkt: Any) -> None: ...
    # wait=True blocks until the client has taken every queued packet: forever if it is gone.
    def close(self, wait: bool = True, abort: bool = False, reason: str | None = None) -> None: ...
