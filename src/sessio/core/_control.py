"""Messages on the control channel that links every sessio server of a deployment.

A web worker that logs a user out (`sessio.sync._revoke`) or a node that calls
``disconnect_session`` publishes a `Disconnect`; every node disconnects its own sockets in
that session's room. Only the hashed room name travels, never a session id.
"""

from __future__ import annotations

import json
from typing import Any

from attrs import frozen

__all__ = [
    "CONTROL_CHANNEL",
    "MAX_CONTROL_MESSAGE",
    "SUBSCRIBED",
    "Disconnect",
    "decode_control",
    "encode_control",
]

#: The Redis pub/sub channel the shells subscribe to.
CONTROL_CHANNEL = "sessio:control"
#: What a control channel's subscription yields each time it becomes live (again), as opposed
#: to a message: whatever was published before that moment may not have reached this node.
SUBSCRIBED = b""
#: A message sessio writes is about 120 bytes; anything far longer is not one of ours.
MAX_CONTROL_MESSAGE = 4096


@frozen
class Disconnect:
    """Disconnect every socket in `room` (a session's room), telling handlers `reason`."""

    room: str
    reason: str


def encode_control(message: Disconnect) -> bytes:
    """Bytes to publish on the control channel."""
    return json.dumps({"op": "disconnect", "room": message.room, "reason": message.reason}).encode()


def decode_control(raw: bytes | str) -> Disconnect | None:
    """The message in `raw`, or None for anything else (a node ignores what it cannot read).

    Never raises: whoever can publish on the channel can send anything, and one bad message
    must not cost a node its subscription.
    """
    if len(raw) > MAX_CONTROL_MESSAGE:
        return None
    try:
        document: Any = json.loads(raw)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return None
    if not isinstance(document, dict) or document.get("op") != "disconnect":
        return None
    room, reason = document.get("room"), document.get("reason")
    if not isinstance(room, str) or not room.startswith("sessio:") or not isinstance(reason, str):
        return None
    return Disconnect(room, reason[:64])
