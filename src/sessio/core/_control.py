"""Messages on the control channel that links every sessio server of a deployment.

A web worker that logs a user out (`sessio.sync._revoke`) or a node that calls
``disconnect_session`` publishes a `Disconnect`; every node disconnects its own sockets in
that session's room. A login that changed the session id (`sessio.sync.rotate`) publishes a
`Rotate`; every node moves its sockets of the old session to the new one. Only hashed room
names travel, never a session id: a `Rotate` carries the new id sealed under the old one
(`seal_rotation`), so only a node that holds the old session can read it.

The wire format is compact JSON with a version, ``"v": 1`` (a message without ``v`` is from
sessio before versions, and read as 1); docs/control-channel.md specifies it, for apps in
other languages that publish. A message of another version, or that sessio cannot read, is
skipped.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from attrs import frozen

__all__ = [
    "CONTROL_CHANNEL",
    "CONTROL_VERSION",
    "MAX_CONTROL_MESSAGE",
    "SUBSCRIBED",
    "ControlMessage",
    "Disconnect",
    "Rotate",
    "decode_control",
    "encode_control",
    "open_rotation",
    "seal_rotation",
]

#: The Redis pub/sub channel the shells subscribe to.
CONTROL_CHANNEL = "sessio:control"
#: What a control channel's subscription yields each time it becomes live (again), as opposed
#: to a message: whatever was published before that moment may not have reached this node.
SUBSCRIBED = b""
#: A message sessio writes is about 120 bytes (a rotation up to ~600); anything far longer is
#: not one of ours.
MAX_CONTROL_MESSAGE = 4096
#: The version of the wire format this code writes and reads.
CONTROL_VERSION = 1
#: The longest new session id a `Rotate` carries, in bytes (UTF-8).
MAX_ROTATED_ID = 256

_STREAM = b"sessio/rotate/stream/"
_TAG = b"sessio/rotate/tag/"
_TAG_BYTES = 16


@frozen
class Disconnect:
    """Disconnect every socket in `room` (a session's room), telling handlers `reason`."""

    room: str
    reason: str


@frozen(repr=False)
class Rotate:
    """Move every socket in `room` (the old session's room) to the session sealed in it.

    `sealed` is the new session id XORed with a key stream that only the old id gives, and
    `tag` a MAC of the new id under the old one: `open_rotation` with the old id reads it.
    """

    room: str
    sealed: bytes
    tag: bytes

    def __repr__(self) -> str:
        return f"Rotate(room={self.room!r}, sealed=<{len(self.sealed)} bytes>)"


#: What `decode_control` hands out.
ControlMessage = Disconnect | Rotate


def _stream(old_id: str, length: int) -> bytes:
    key = old_id.encode("utf-8", "surrogatepass")
    blocks = (length + 31) // 32
    return b"".join(
        hmac.new(key, _STREAM + bytes([i]), hashlib.sha256).digest() for i in range(blocks)
    )[:length]


def _tag(old_id: str, new_id: bytes) -> bytes:
    key = old_id.encode("utf-8", "surrogatepass")
    return hmac.new(key, _TAG + new_id, hashlib.sha256).digest()[:_TAG_BYTES]


def seal_rotation(room: str, old_id: str, new_id: str) -> Rotate:
    """A `Rotate` from session `old_id` (whose room is `room`) to `new_id`.

    The old id is the key: a session id is a secret with the entropy of a key, each old id is
    rotated away once, and only the nodes holding its sockets know it. Raises ValueError for a
    new id longer than `MAX_ROTATED_ID` bytes.
    """
    plain = new_id.encode("utf-8", "surrogatepass")
    if not plain or len(plain) > MAX_ROTATED_ID:
        raise ValueError(f"a session id must be 1 to {MAX_ROTATED_ID} bytes long")
    sealed = bytes(a ^ b for a, b in zip(plain, _stream(old_id, len(plain)), strict=True))
    return Rotate(room, sealed, _tag(old_id, plain))


def open_rotation(message: Rotate, old_id: str) -> str | None:
    """The new session id `message` carries, opened with `old_id`; None if it does not open."""
    plain = bytes(
        a ^ b for a, b in zip(message.sealed, _stream(old_id, len(message.sealed)), strict=True)
    )
    if not hmac.compare_digest(_tag(old_id, plain), message.tag):
        return None
    try:
        return plain.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: Any, limit: int) -> bytes | None:
    if not isinstance(text, str) or len(text) > limit * 2:
        return None
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError:  # binascii.Error is a ValueError
        return None


def encode_control(message: ControlMessage) -> bytes:
    """Bytes to publish on the control channel."""
    document: dict[str, Any]
    if isinstance(message, Disconnect):
        document = {"op": "disconnect", "room": message.room, "reason": message.reason}
    else:
        document = {
            "op": "rotate",
            "room": message.room,
            "sealed": _b64(message.sealed),
            "tag": _b64(message.tag),
        }
    return json.dumps({"v": CONTROL_VERSION, **document}, separators=(",", ":")).encode()


def decode_control(raw: bytes | str) -> ControlMessage | None:
    """The message in `raw`, or None for anything else (a node ignores what it cannot read).

    Never raises: whoever can publish on the channel can send anything, and one bad message
    must not cost a node its subscription. A version other than `CONTROL_VERSION` is None.
    """
    if len(raw) > MAX_CONTROL_MESSAGE:
        return None
    try:
        document: Any = json.loads(raw)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return None
    if not isinstance(document, dict) or document.get("v", CONTROL_VERSION) != CONTROL_VERSION:
        return None
    if isinstance(document.get("v"), bool):
        return None  # JSON true == 1 in Python: not a version
    room = document.get("room")
    if not isinstance(room, str) or not room.startswith("sessio:"):
        return None
    op = document.get("op")
    if op == "disconnect":
        reason = document.get("reason")
        return Disconnect(room, reason[:64]) if isinstance(reason, str) else None
    if op == "rotate":
        sealed = _unb64(document.get("sealed"), MAX_ROTATED_ID)
        tag = _unb64(document.get("tag"), _TAG_BYTES)
        if not sealed or len(sealed) > MAX_ROTATED_ID or tag is None or len(tag) != _TAG_BYTES:
            return None
        return Rotate(room, sealed, tag)
    return None
