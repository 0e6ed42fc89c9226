import logging
from collections.abc import Callable
from typing import Any, ClassVar, overload

from ._types import Handler, HandlerT, LoggerArg

class BaseClient:
    event_names: ClassVar[list[str]]

    class reason:  # noqa: N801  (the name python-engineio uses)
        CLIENT_DISCONNECT: ClassVar[str]
        SERVER_DISCONNECT: ClassVar[str]
        TRANSPORT_ERROR: ClassVar[str]

    handlers: dict[str, Handler]
    base_url: str | None
    transports: list[str] | None
    current_transport: str | None
    sid: str | None
    upgrades: list[str] | None
    ping_interval: float | None
    ping_timeout: float | None
    http: Any
    ws: Any
    state: str
    ssl_verify: bool
    websocket_extra_options: dict[str, Any]
    timestamp_requests: bool
    request_timeout: float
    logger: logging.Logger
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
    def is_asyncio_based(self) -> bool: ...
    @overload
    def on(self, event: str, handler: None = None) -> Callable[[HandlerT], HandlerT]: ...
    @overload
    def on(self, event: str, handler: Handler) -> None: ...
    def transport(self) -> str | None: ...
