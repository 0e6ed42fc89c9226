from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any

from _typeshed.wsgi import StartResponse, WSGIEnvironment

from ._types import BackgroundTask, CorsOrigins, Event, LoggerArg, Session, Transports
from .base_server import BaseServer
from .socket import Socket

class _SessionContextManager:
    def __enter__(self) -> Session: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None: ...

class Server(BaseServer):
    sockets: dict[str, Socket]
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
    def send(self, sid: str, data: Any) -> None: ...
    def send_packet(self, sid: str, pkt: Any) -> None: ...
    def get_session(self, sid: str) -> Session: ...
    def save_session(self, sid: str, session: Session) -> None: ...
    def session(self, sid: str) -> _SessionContextManager: ...
    def disconnect(self, sid: str | None = None) -> None: ...
    def handle_request(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]: ...
    def shutdown(self) -> None: ...
    def start_background_task(
        self, target: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> BackgroundTask: ...
    def sleep(self, seconds: float = 0) -> None: ...
    def create_queue(self, *args: Any, **kwargs: Any) -> Any: ...
    def get_queue_empty_exception(self) -> type[Exception]: ...
    def create_event(self, *args: Any, **kwargs: Any) -> Event: ...
