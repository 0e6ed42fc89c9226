from . import exceptions as exceptions
from .async_client import AsyncClient as AsyncClient
from .async_drivers.asgi import ASGIApp as ASGIApp
from .async_server import AsyncServer as AsyncServer
from .client import Client as Client
from .middleware import Middleware as Middleware
from .middleware import WSGIApp as WSGIApp
from .server import Server as Server

__all__ = [
    "ASGIApp",
    "AsyncClient",
    "AsyncServer",
    "Client",
    "Middleware",
    "Server",
    "WSGIApp",
]
