import logging
from collections.abc import Callable
from typing import Any, ClassVar

from .async_manager import AsyncManager

class AsyncPubSubManager(AsyncManager):
    name: ClassVar[str]
    channel: str
    write_only: bool
    host_id: str
    def __init__(
        self,
        channel: str = "socketio",
        write_only: bool = False,
        logger: logging.Logger | None = None,
        json: Any = None,
    ) -> None: ...
    async def emit(
        self,
        event: str,
        data: Any,
        namespace: str | None = None,
        room: str | list[str] | None = None,
        skip_sid: str | list[str] | None = None,
        callback: Callable[..., Any] | None = None,
        to: str | list[str] | None = None,
        **kwargs: Any,
    ) -> None: ...
    async def close_room(self, room: str, namespace: str | None = None) -> None: ...
