from types import TracebackType
from typing import Any, Self

from engineio._types import ConnectHeaders, ConnectURL

from .client import Client

class SimpleClient:
    client_args: tuple[Any, ...]
    client_kwargs: dict[str, Any]
    client: Client | None
    namespace: str
    connected: bool
    # Arguments are those of socketio.Client.
    def __init__(self, *args: Any, **kwargs: Any) -> None: ...
    def connect(
        self,
        url: ConnectURL,
        headers: ConnectHeaders = ...,
        auth: Any = None,
        transports: str | list[str] | None = None,
        namespace: str = "/",
        socketio_path: str = "socket.io",
        wait_timeout: float = 5,
    ) -> None: ...
    @property
    def sid(self) -> str | None: ...
    @property
    def transport(self) -> str: ...
    def emit(self, event: str, data: Any = None) -> None: ...
    def call(self, event: str, data: Any = None, timeout: float | None = 60) -> Any: ...
    # [event, *args]
    def receive(self, timeout: float | None = None) -> list[Any]: ...
    def disconnect(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None: ...
