from collections.abc import Callable, Iterable
from typing import Any, Literal

import engineio
from _typeshed.wsgi import StartResponse, WSGIEnvironment
from engineio._types import BackgroundTask, CorsOrigins, LoggerArg, Transports
from engineio.server import _SessionContextManager

from .base_server import BaseServer
from .manager import Manager
from .namespace import Namespace

class Server(BaseServer):
    manager: Manager
    eio: engineio.Server
    namespace_handlers: dict[str, Namespace]
    def __init__(
        self,
        client_manager: Manager | None = None,
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
    def register_namespace(self, namespace_handler: Namespace) -> None: ...
    def emit(
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
    def send(
        self,
        data: Any,
        to: str | list[str] | None = None,
        room: str | list[str] | None = None,
        skip_sid: str | list[str] | None = None,
        namespace: str | None = None,
        callback: Callable[..., Any] | None = None,
        ignore_queue: bool = False,
    ) -> None: ...
    def call(
        self,
        event: str,
        data: Any = None,
        to: str | None = None,
        sid: str | None = None,
        namespace: str | None = None,
        timeout: float | None = 60,
        ignore_queue: bool = False,
    ) -> Any: ...
    def enter_room(self, sid: str, room: str, namespace: str | None = None) -> None: ...
    def leave_room(self, sid: str, room: str, namespace: str | None = None) -> None: ...
    def close_room(self, room: str, namespace: str | None = None) -> None: ...
    def get_session(self, sid: str, namespace: str | None = None) -> dict[str, Any]: ...
    def save_session(
        self, sid: str, session: dict[str, Any], namespace: str | None = None
    ) -> None: ...
    def session(self, sid: str, namespace: str | None = None) -> _SessionContextManager: ...
    def disconnect(
        self, sid: str, namespace: str | None = None, ignore_queue: bool = False
    ) -> None: ...
    def shutdown(self) -> None: ...
    def handle_request(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]: ...
    def start_background_task(
        self, target: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> BackgroundTask: ...
    def sleep(self, seconds: float = 0) -> None: ...
