from typing import Any

import engineio
from _typeshed.wsgi import WSGIApplication

from .server import Server

class WSGIApp(engineio.WSGIApp):
    engineio_app: Server
    def __init__(
        self,
        socketio_app: Server,
        wsgi_app: WSGIApplication | None = None,
        static_files: dict[str, Any] | None = None,
        socketio_path: str = "socket.io",
    ) -> None: ...

class Middleware(WSGIApp):
    def __init__(
        self,
        socketio_app: Server,
        wsgi_app: WSGIApplication | None = None,
        socketio_path: str = "socket.io",
    ) -> None: ...
