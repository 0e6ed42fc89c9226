from types import TracebackType
from typing import Any, Self

from engineio._types import ConnectHeaders, ConnectURL

from .async_client import AsyncClient

class AsyncSimpleClient:
    client_args: tuple[Any, ...]
    client_kwargs: dict[str, Any]
    client: AsyncClient | None
    namespace: str
    connected: bool
    # Arguments are those of socketio.AsyncClient.
    def __init__(self, *args: Any, **kwargs: Any) -> None: ...
    async def connect(
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
    async def emit(self, event: str, data: Any = None) -> None: ...
    async def call(self, event: str, data: Any = None, timeout: float | None = 60) -> Any: ...
    # [event, *args]
    async def receive(self, timeout: float | None = None) -> list[Any]: ...
    async def disconnect(self) -> None: ...
    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None: ...
