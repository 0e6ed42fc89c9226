import logging
from collections.abc import Callable
from typing import Any, ClassVar

from .manager import Manager

class PubSubManager(Manager):
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
    def emit(
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
    def disconnect(self, sid: str, namespace: str | None = None, **kwargs: Any) -> None: ...
    def close_room(self, room: str, namespace: str | None = None) -> None: ...
