import logging
from typing import Any

from .pubsub_manager import PubSubManager

class KombuManager(PubSubManager):
    url: str
    def __init__(
        self,
        url: str = "amqp://guest:guest@localhost:5672//",
        channel: str = "socketio",
        write_only: bool = False,
        logger: logging.Logger | None = None,
        json: Any = None,
        connection_options: dict[str, Any] | None = None,
        exchange_options: dict[str, Any] | None = None,
        queue_options: dict[str, Any] | None = None,
        producer_options: dict[str, Any] | None = None,
    ) -> None: ...
