import logging
from collections.abc import Callable
from typing import Any, ClassVar, Literal, overload

from engineio._types import CorsOrigins, Environ, Handler, HandlerT, LoggerArg, Transports
from engineio.base_server import BaseServer as _EngineIOBaseServer

class BaseServer:
    reserved_events: ClassVar[list[str]]
    reason: ClassVar[type[_EngineIOBaseServer.reason]]
    packet_class: type[Any]
    # environ[eio_sid]: the WSGI (or ASGI-built) environ of the connection's first request.
    environ: dict[str, Environ]
    # handlers[namespace][event]; "*" is the catch-all for either key.
    handlers: dict[str, dict[str, Handler]]
    logger: logging.Logger
    manager_initialized: bool
    async_handlers: bool
    always_connect: bool
    namespaces: list[str] | Literal["*"]
    async_mode: str
    def __init__(
        self,
        client_manager: Any = None,
        logger: LoggerArg = False,
        serializer: str | type[Any] = "default",
        json: Any = None,
        async_handlers: bool = True,
        always_connect: bool = False,
        namespaces: list[str] | Literal["*"] | None = None,
        *,
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
    def is_asyncio_based(self) -> bool: ...
    @overload
    def on(
        self, event: str, handler: None = None, namespace: str | None = None
    ) -> Callable[[HandlerT], HandlerT]: ...
    @overload
    def on(self, event: str, handler: Handler, namespace: str | None = None) -> None: ...
    @overload
    def event(self, handler: HandlerT, /) -> HandlerT: ...
    @overload
    def event(self, *, namespace: str | None = None) -> Callable[[HandlerT], HandlerT]: ...
    def rooms(self, sid: str, namespace: str | None = None) -> list[str]: ...
    def transport(self, sid: str, namespace: str | None = None) -> str: ...
    def get_environ(self, sid: str, namespace: str | None = None) -> Environ | None: ...
