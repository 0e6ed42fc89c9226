import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Literal

import engineio
from engineio._types import CorsOrigins, LoggerArg, Transports
from engineio.async_server import _AsyncSessionContextManager

from .async_manager import AsyncManager
from .async_namespace import AsyncNamespace
from .base_server import BaseServer

class AsyncServer(BaseServer):
    manager: AsyncManager
    eio: engineio.AsyncServer
    namespace_handlers: dict[str, AsyncNamespace]
    def __init__(
        self,
        client_manager: AsyncManager | None = None,
        logger: LoggerArg = False,
        json: Any = None,
        async_handlers: bool = True,
        namespaces: list[str] | Literal["*"] | None = None,
        *,
        serializer: str | type[Any] = "default",
        always_connect: bool = False,
        async_mode: str | None = None,
        ping_interval: float | tuple[float, float] = 25,
        ping_timeout: float = 20,
        max_http_buffer_size: int = 1000000,
        allow_upgrades: bool = True,
        http_compression: bool = True,
        compression_threshold: int = 1024,
        cookie: str | dict[str, Any] | None = None,
        cors_allowed_origins: CorsOrigins = None,
        cors_credentials: bool = True,
        monitor_clients: bool | None = None,
        transports: Transports = None,
        engineio_logger: LoggerArg = False,
    ) -> None: ...
    def attach(self, app: Any, socketio_path: str = "socket.io") -> None: ...
    def register_namespace(self, namespace_handler: AsyncNamespace) -> None: ...
    async def emit(
        self,
        event: str,
        data: Any = None,
        to: str | list[str] | None = None,
        room: str | list[str] | None = None,
        skip_sid: str | list[str] | None = None,
        namespace: str | None = None,
        callback: Callable[..., Any] | None = None,
        ignore_queue: bool = False,
    ) -> None: ...
    async def send(
        self,
        data: Any,
        to: str | list[str] | None = None,
        room: str | list[str] | None = None,
        skip_sid: str | list[str] | None = None,
        namespace: str | None = None,
        callback: Callable[..., Any] | None = None,
        ignore_queue: bool = False,
    ) -> None: ...
    async def call(
        self,
        event: str,
        data: Any = None,
        to: str | None = None,
        sid: str | None = None,
        namespace: str | None = None,
        timeout: float | None = 60,
        ignore_queue: bool = False,
    ) -> Any: ...
    async def enter_room(self, sid: str, room: str, namespace: str | None = None) -> None: ...
    async def leave_room(self, sid: str, room: str, namespace: str | None = None) -> None: ...
    async def close_room(self, room: str, namespace: str | None = None) -> None: ...
    async def get_session(self, sid: str, namespace: str | None = None) -> dict[str, Any]: ...
    async def save_session(
        self, sid: str, session: dict[str, Any], namespace: str | None = None
    ) -> None: ...
    def session(self, sid: str, namespace: str | None = None) -> _AsyncSessionContextManager: ...
    async def disconnect(
        self, sid: str, namespace: str | None = None, ignore_queue: bool = False
    ) -> None: ...
    async def shutdown(self) -> None: ...
    async def handle_request(self, *args: Any, **kwargs: Any) -> Any: ...
    def start_background_task(
        self, target: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any
    ) -> asyncio.Task[Any]: ...
    async def sleep(self, seconds: float = 0) -> None: ...
