import queue
import threading
from collections.abc import Callable
from typing import Any

from ._types import LoggerArg, Transports
from .base_client import BaseClient

class Client(BaseClient):
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
    def connect(
        self,
        url: str,
        headers: dict[str, str] | None = None,
        transports: Transports = None,
        engineio_path: str = "engine.io",
    ) -> None: ...
    def wait(self) -> None: ...
    def send(self, data: Any) -> None: ...
    def disconnect(self, abort: bool = False, reason: str | None = None) -> None: ...
    def start_background_task(
        self, target: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> threading.Thread: ...
    def sleep(self, seconds: float = 0) -> None: ...
    def create_queue(self, *args: Any, **kwargs: Any) -> queue.Queue[Any]: ...
    def get_queue_empty_exception(self) -> type[queue.Empty]: ...
    def create_event(self, *args: Any, **kwargs: Any) -> threading.Event: ...
