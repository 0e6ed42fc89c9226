"""`AsyncManagerChannel`: sessio's control channel on the client manager the app already runs.

python-socketio's pub/sub client managers (``AsyncRedisManager``, ``AsyncAioPikaManager``
for RabbitMQ, ``AsyncKafkaManager``; the sync shell's ``RedisManager``, ``KombuManager``,
``KafkaManager``, ``ZmqManager``) already link every node of a deployment. sessio's messages
ride on the same channel, as a message of their own kind,
``{"method": "sessio", "channel": "sessio:control", "message": "<control message JSON>"}``,
which the managers' own listeners ignore. So `revoke`, `rotate` and ``disconnect_session``
reach every node with any store (a `DjangoStore`, say), and a web worker publishes through a
write-only manager (``write_only=True``) with no socket.io server at all.

To receive, the channel puts a tap on the manager's listener, which the manager starts with
the server's first connection: create the channel (and the `AsyncSessionSockets` that uses
it) before serving.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from typing import Any

import socketio

from sessio.aio._inbox import AsyncInbox
from sessio.core._control import CONTROL_CHANNEL, MAX_CONTROL_MESSAGE, SUBSCRIBED

__all__ = ["METHOD", "AsyncManagerChannel"]

logger = logging.getLogger("sessio")

#: The ``method`` of sessio's messages on a client manager's channel.
METHOD = "sessio"
_MARK = '"sessio"'


class AsyncManagerChannel:
    """A `ControlChannel` carried by `manager`, a python-socketio pub/sub client manager.

    Pass it as ``control=`` to `AsyncSessionSockets` (``control=AsyncManagerChannel(
    sio.manager)``), and to `revoke` / `rotate` in a web worker (with a manager of its own,
    ``write_only=True``). Messages to every node: the one that publishes gets its own too,
    as with Redis pub/sub.
    """

    def __init__(self, manager: socketio.AsyncManager) -> None:
        # Typed loosely: the pub/sub internals used here (_publish, _listen) are not stubbed.
        loose: Any = manager
        self.manager = loose
        if not callable(getattr(manager, "_publish", None)):
            raise TypeError(
                "AsyncManagerChannel needs a pub/sub client manager (AsyncRedisManager, "
                "AsyncAioPikaManager, AsyncKafkaManager, ...)"
            )
        self._inbox = AsyncInbox()
        if not self.manager.write_only:
            if getattr(self.manager, "thread", None) is not None:
                logger.warning(
                    "the client manager is already listening: sessio's control messages "
                    "will not reach this node (create the channel before serving)"
                )
            _tap(self.manager, self._deliver)

    async def publish(self, channel: str, message: bytes) -> None:
        """Send `message` to every node, through the manager's channel."""
        data = {"method": METHOD, "channel": channel, "message": message.decode("utf-8")}
        await self.manager._publish(data)

    async def subscribe(self, channel: str) -> AsyncGenerator[bytes | None, None]:
        """The messages on `channel`, and None after each second without one.

        `SUBSCRIBED` comes first: whatever was published before is not seen. The manager
        reconnects on its own; messages published meanwhile are lost, and the owner's
        revalidation (``revalidate_every``) is what catches up.
        """
        yield SUBSCRIBED
        while True:
            yield await self._inbox.get(1.0)

    def _deliver(self, data: dict[str, Any]) -> None:
        message = data.get("message")
        # From the tap on, before anyone subscribes: the connect that starts the listener
        # may come after a message that concerns it.
        if data.get("channel") != CONTROL_CHANNEL or not isinstance(message, str):
            return
        if len(message) > MAX_CONTROL_MESSAGE:
            return
        self._inbox.put(message.encode("utf-8"))


def _sessio_data(message: Any) -> dict[str, Any] | None:
    """`message` from the manager's listener if it is one of sessio's (decoded), else None."""
    if isinstance(message, dict):
        return message if message.get("method") == METHOD else None
    if isinstance(message, bytes):
        if _MARK.encode() not in message:
            return None
    elif not isinstance(message, str) or _MARK not in message:
        return None
    try:
        data = json.loads(message)
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) and data.get("method") == METHOD else None


def _tap(manager: Any, deliver: Callable[[dict[str, Any]], None]) -> None:
    """Route sessio's messages from `manager`'s listener to `deliver`; the rest go on."""
    listen: Callable[[], AsyncIterator[Any]] = manager._listen

    async def tapped() -> AsyncIterator[Any]:
        async for message in listen():
            data = _sessio_data(message)
            if data is None:
                yield message
                continue
            try:
                deliver(data)
            except Exception:
                logger.exception("control channel: a message could not be delivered")

    manager._listen = tapped
