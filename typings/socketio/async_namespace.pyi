from collections.abc import Callable
from typing import Any

from engineio.async_server import _AsyncSessionContextManager

from .async_client import AsyncClient
from .async_server import AsyncServer
from .base_namespace import BaseClientNamespace, BaseServerNamespace

class AsyncNamespace(BaseServerNamespace):
    # Set by AsyncServer.register_namespace, before any handler can run.
    server: AsyncServer
    async def trigger_event(self, event: str, *args: Any) -> Any: ...
    async def emit(
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
    async def send(
        self,
        data: Any,
        to: str | list[str] | None = None,
        room: str | list[str] | None = None,
        skip_sid: str | list[str] | None = None,
        namespace: str | None = None,
        callback: Callable[..., Any] | None = None,
        ignore_queue: bool = False,
    ) -> None: ...
    async def call(
        self,
        event: str,
        data: Any = None,
        to: str | None = None,
        sid: str | None = None,
        namespace: str | None = None,
        timeout: float | None = None,
        ignore_queue: bool = False,
    ) -> Any: ...
    async def enter_room(self, sid: str, room: str, namespace: str | None = None) -> None: ...
    async def leave_room(self, sid: str, room: str, namespace: str | None = None) -> None: ...
    async def close_room(self, room: str, namespace: str | None = None) -> None: ...
    async def get_session(self, sid: str, namespace: str | None = None) -> dict[str, Any]: ...
    async def save_session(
        self, sid: str, session: dict[str, Any], namespace: str | None = None
    ) -> None: ...
    def session(self, sid: str, namespace: str | None = None) -> _AsyncSessionContextManager: ...
    async def disconnect(self, sid: str, namespace: str | None = None) -> None: ...

class AsyncClientNamespace(BaseClientNamespace):
    # Set by AsyncClient.register_namespace, before any handler can run.
    client: AsyncClient
    async def trigger_event(self, event: str, *args: Any) -> Any: ...
    async def emit(
        self,
        event: str,
        data: Any = None,
        namespace: str | None = None,
        callback: Callable[..., Any] | None = None,
    ) -> None: ...
    async def send(
        self,
        data: Any,
        namespace: str | None = None,
        callback: Callable[..., Any] | None = None,
    ) -> None: ...
    async def call(
        self,
        event: str,
        data: Any = None,
        namespace: str | None = None,
        timeout: float | None = None,
    ) -> Any: ...
    async def disconnect(self) -> None: ...
