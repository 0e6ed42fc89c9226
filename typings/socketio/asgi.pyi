from collections.abc import Callable
from typing import Any

import engineio
from engineio._types import ASGIApp as _ASGICallable

from .async_server import AsyncServer

class ASGIApp(engineio.ASGIApp):
    engineio_server: AsyncServer
    def __init__(
        self,
        socketio_server: AsyncServer,
        other_asgi_app: _ASGICallable | None = None,
        static_files: dict[str, Any] | None = None,
        socketio_path: str | None = "socket.io",
        on_startup: Callable[[], Any] | None = None,
        on_shutdown: Callable[[], Any] | None = None,
    ) -> None: ...
