import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from ._types import LoggerArg, Transports
from .base_client import BaseClient

class AsyncClient(BaseClient):
    def __init__(
        self,
        logger: LoggerArg = False,
        json: Any = None,
        request_timeout: float = 5,
        http_session: Any = None,
        ssl_verify: bool = True,
        handle_sigint: bool = True,
        websocket_extra_options: dict[str, Any] | None = None,
        timestamp_requests: bool = True,
    ) -> None: ...
    async def connect(
        self,
        url: str,
        headers: dict[str, str] | None = None,
        transports: Transports = None,
        engineio_path: str = "engine.io",
    ) -> None: ...
    async def wait(self) -> None: ...
    async def send(self, data: Any) -> None: ...
    async def disconnect(self, abort: bool = False, reason: str | None = None) -> None: ...
    def start_background_task(
        self, target: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any
    ) -> asyncio.Task[Any]: ...
    async def sleep(self, seconds: float = 0) -> None: ...
    def create_queue(self, *args: Any, **kwargs: Any) -> asyncio.Queue[Any]: ...
    def get_queue_empty_exception(self) -> type[asyncio.QueueEmpty]: ...
    def create_event(self) -> asyncio.Event: ...
