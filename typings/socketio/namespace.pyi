from collections.abc import Callable
from typing import Any

from engineio.server import _SessionContextManager

from .base_namespace import BaseClientNamespace, BaseServerNamespace
from .client import Client
from .server import Server

class Namespace(BaseServerNamespace):
    # Set by Server.register_namespace, before any handler can run.
    server: Server
    def trigger_event(self, event: str, *args: Any) -> Any: ...
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
        timeout: float | None = None,
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
    def disconnect(self, sid: str, namespace: str | None = None) -> None: ...

class ClientNamespace(BaseClientNamespace):
    # Set by Client.register_namespace, before any handler can run.
    client: Client
    def trigger_event(self, event: str, *args: Any) -> Any: ...
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
        room: str | None = None,
        namespace: str | None = None,
        callback: Callable[..., Any] | None = None,
    ) -> None: ...
    def call(
        self,
        event: str,
        data: Any = None,
        namespace: str | None = None,
        timeout: float | None = None,
    ) -> Any: ...
    def disconnect(self) -> None: ...
