# Stub-only helper types shared by the engineio and socketio stubs; there is no
# such module at run time, so import it only from other .pyi files.
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Protocol, TypeVar

Handler = Callable[..., Any]
# Bound to Callable so a decorator hands back the exact type it was given.
HandlerT = TypeVar("HandlerT", bound=Callable[..., Any])

LoggerArg = bool | logging.Logger
Session = dict[str, Any]
Environ = dict[str, Any]
# A callable is asked ``(origin)`` or ``(origin, environ)`` and answers allowed or not.
CorsOrigins = str | list[str] | Callable[..., bool] | None
Transports = str | list[str] | None
# What a socketio client's connect() accepts for url and headers: a value, or a
# function called on every connection attempt (reconnections included).
ConnectURL = str | Callable[[], str]
ConnectHeaders = dict[str, str] | Callable[[], dict[str, str]]

# The same shapes Starlette and asgiref use, so these apps mount anywhere.
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[Any]]

class BackgroundTask(Protocol):
    """What ``start_background_task`` returns in a sync mode: a thread or greenlet."""

    def join(self) -> Any: ...

class Event(Protocol):
    """``threading.Event`` or its eventlet/gevent equivalent."""

    def set(self) -> None: ...
    def clear(self) -> None: ...
    def is_set(self) -> bool: ...
    def wait(self, timeout: float | None = ...) -> bool: ...
