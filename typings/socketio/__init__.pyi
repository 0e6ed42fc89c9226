from . import exceptions as exceptions
from .asgi import ASGIApp as ASGIApp
from .async_client import AsyncClient as AsyncClient
from .async_manager import AsyncManager as AsyncManager
from .async_namespace import AsyncClientNamespace as AsyncClientNamespace
from .async_namespace import AsyncNamespace as AsyncNamespace
from .async_redis_manager import AsyncRedisManager as AsyncRedisManager
from .async_server import AsyncServer as AsyncServer
from .async_simple_client import AsyncSimpleClient as AsyncSimpleClient
from .client import Client as Client
from .kombu_manager import KombuManager as KombuManager
from .manager import Manager as Manager
from .middleware import Middleware as Middleware
from .middleware import WSGIApp as WSGIApp
from .namespace import ClientNamespace as ClientNamespace
from .namespace import Namespace as Namespace
from .pubsub_manager import PubSubManager as PubSubManager
from .redis_manager import RedisManager as RedisManager
from .server import Server as Server
from .simple_client import SimpleClient as SimpleClient

__all__ = [
    "ASGIApp",
    "AsyncClient",
    "AsyncClientNamespace",
    "AsyncManager",
    "AsyncNamespace",
    "AsyncRedisManager",
    "AsyncServer",
    "AsyncSimpleClient",
    "Client",
    "ClientNamespace",
    "KombuManager",
    "Manager",
    "Middleware",
    "Namespace",
    "PubSubManager",
    "RedisManager",
    "Server",
    "SimpleClient",
    "WSGIApp",
]
