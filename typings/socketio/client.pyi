import threading
from collections.abc import Callable
from typing import Any

import engineio
from engineio._types import ConnectHeaders, ConnectURL, LoggerArg

from .base_client import BaseClient
from .namespace import ClientNamespace

class Client(BaseClient):
    eio: engineio.Client
    namespace_handlers: dict[str, ClientNamespace]
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
    def register_namespace(self, namespace_handler: ClientNamespace) -> None: ...
    # Gotcha: a headers dict is mutated (its Cookie moves to a jar): pass a fresh one.
    def connect(
        self,
        url: ConnectURL,
        headers: ConnectHeaders = ...,
        auth: Any = None,
        transports: str | list[str] | None = None,
        namespaces: str | list[str] | None = None,
        socketio_path: str = "socket.io",
        wait: bool = True,
        wait_timeout: float = 1,
        retry: bool = False,
    ) -> None: ...
    def wait(self) -> None: ...
    # Calls the application's handler for an event; sessio.testing's clients override it.
    def _trigger_event(self, event: str, namespace: str, *args: Any) -> Any: ...
    # data=None sends no argument at all; a tuple sends several.
    def emit(
        self,
        event: str,
        data: Any = None,
        namespace: str | None = None,
        callback: Callable[..., Any] | None = None,
    ) -> None: ...
    def send(
        self,
        data: Any,
        namespace: str | None = None,
        callback: Callable[..., Any] | None = None,
    ) -> None: ...
    def call(
        self, event: str, data: Any = None, namespace: str | None = None, timeout: float | None = 60
    ) -> Any: ...
    def disconnect(self) -> None: ...
    def shutdown(self) -> None: ...
    def start_background_task(
        self, target: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> threading.Thread: ...
    def sleep(self, seconds: float = 0) -> None: ...
