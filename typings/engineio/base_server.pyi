import logging
from collections.abc import Callable
from typing import Any, ClassVar, overload

from ._types import CorsOrigins, Handler, HandlerT, LoggerArg, Transports

class BaseServer:
    compression_methods: ClassVar[list[str]]
    event_names: ClassVar[list[str]]
    valid_transports: ClassVar[list[str]]

    class reason:  # noqa: N801  (the name python-engineio uses)
        SERVER_DISCONNECT: ClassVar[str]
        CLIENT_DISCONNECT: ClassVar[str]
        PING_TIMEOUT: ClassVar[str]
        TRANSPORT_CLOSE: ClassVar[str]
        TRANSPORT_ERROR: ClassVar[str]

    ping_timeout: float
    ping_interval: float
    ping_interval_grace_period: float
    max_http_buffer_size: int
    allow_upgrades: bool
    http_compression: bool
    compression_threshold: int
    cookie: str | dict[str, Any] | None
    cors_allowed_origins: CorsOrigins
    cors_credentials: bool
    async_handlers: bool
    sockets: dict[str, Any]
    handlers: dict[str, Handler]
    logger: logging.Logger
    async_mode: str
    transports: list[str]
    def __init__(
        self,
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
        logger: LoggerArg = False,
        json: Any = None,
        async_handlers: bool = True,
        monitor_clients: bool | None = None,
        transports: Transports = None,
    ) -> None: ...
    def is_asyncio_based(self) -> bool: ...
    def async_modes(self) -> list[str]: ...
    @overload
    def on(self, event: str, handler: None = None) -> Callable[[HandlerT], HandlerT]: ...
    @overload
    def on(self, event: str, handler: Handler) -> None: ...
    def transport(self, sid: str) -> str: ...
    def generate_id(self) -> str: ...
