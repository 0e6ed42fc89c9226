import logging
from typing import Any

from .async_pubsub_manager import AsyncPubSubManager

class AsyncRedisManager(AsyncPubSubManager):
    redis_url: str
    redis_options: dict[str, Any]
    connected: bool
    redis: Any
    pubsub: Any
    def __init__(
        self,
        url: str = "redis://localhost:6379/0",
        channel: str = "socketio",
        write_only: bool = False,
        logger: logging.Logger | None = None,
        json: Any = None,
        redis_options: dict[str, Any] | None = None,
    ) -> None: ...
