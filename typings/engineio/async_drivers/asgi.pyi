from collections.abc import Callable
from typing import Any

from .._types import ASGIApp as _ASGICallable
from .._types import Receive, Scope, Send

class ASGIApp:
    engineio_server: Any
    other_asgi_app: _ASGICallable | None
    engineio_path: str | None
    static_files: dict[str, Any]
    on_startup: Callable[[], Any] | None
    on_shutdown: Callable[[], Any] | None
    def __init__(
        self,
        engineio_server: Any,
        other_asgi_app: _ASGICallable | None = None,
        static_files: dict[str, Any] | None = None,
        engineio_path: str | None = "engine.io",
        on_startup: Callable[[], Any] | None = None,
        on_shutdown: Callable[[], Any] | None = None,
    ) -> None: ...
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None: ...
    async def lifespan(self, scope: Scope, receive: Receive, send: Send) -> None: ...
    async def not_found(self, receive: Receive, send: Send) -> None: ...
