from collections.abc import Iterable
from typing import Any

from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

class WSGIApp:
    engineio_app: Any
    wsgi_app: WSGIApplication | None
    engineio_path: str
    static_files: dict[str, Any]
    def __init__(
        self,
        engineio_app: Any,
        wsgi_app: WSGIApplication | None = None,
        static_files: dict[str, Any] | None = None,
        engineio_path: str = "engine.io",
    ) -> None: ...
    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]: ...
    def not_found(self, start_response: StartResponse) -> list[bytes]: ...

class Middleware(WSGIApp):
    def __init__(
        self,
        engineio_app: Any,
        wsgi_app: WSGIApplication | None = None,
        engineio_path: str = "engine.io",
    ) -> None: ...
