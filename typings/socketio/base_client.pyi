import logging
from collections.abc import Callable
from typing import Any, ClassVar, overload

from engineio._types import ConnectHeaders, ConnectURL, Handler, HandlerT, LoggerArg
from engineio.base_client import BaseClient as _EngineIOBaseClient

class BaseClient:
    reserved_events: ClassVar[list[str]]
    reason: ClassVar[type[_EngineIOBaseClient.reason]]
    reconnection: bool
    reconnection_attempts: int
    reconnection_delay: float
    reconnection_delay_max: float
    randomization_factor: float
    handle_sigint: bool
    packet_class: type[Any]
    logger: logging.Logger
    connection_url: ConnectURL | None
    connection_headers: ConnectHeaders | None
    connection_auth: Any
    connection_transports: str | list[str] | None
    connection_namespaces: str | list[str] | None
    socketio_path: str | None
    sid: str | None
    connected: bool
    # namespaces[namespace] = the sid of this client in that namespace.
    namespaces: dict[str, str | None]
    failed_namespaces: list[str]
    handlers: dict[str, dict[str, Handler]]
    callbacks: dict[str, dict[int, Callable[..., Any]]]
    def __init__(
        self,
        reconnection: bool = True,
        reconnection_attempts: int = 0,
        reconnection_delay: float = 1,
        reconnection_delay_max: float = 5,
        randomization_factor: float = 0.5,
        logger: LoggerArg = False,
        serializer: str | type[Any] = "default",
        json: Any = None,
        handle_sigint: bool = True,
        *,
        request_timeout: float = 5,
        http_session: Any = None,
        ssl_verify: bool = True,
        websocket_extra_options: dict[str, Any] | None = None,
        timestamp_requests: bool = True,
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
    def get_sid(self, namespace: str | None = None) -> str | None: ...
    def transport(self) -> str | None: ...
