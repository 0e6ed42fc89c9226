from typing import Any, ClassVar

class BaseSocket:
    upgrade_protocols: ClassVar[list[str]]
    server: Any
    sid: str
    queue: Any
    last_ping: float | None
    connected: bool
    upgrading: bool
    upgraded: bool
    closing: bool
    closed: bool
    session: dict[str, Any]
    def __init__(self, server: Any, sid: str) -> None: ...
