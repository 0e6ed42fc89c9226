"""Names of the socket.io rooms that group the sockets of one session."""

from __future__ import annotations

import functools
import hashlib
import sys

__all__ = ["is_session_room", "session_room"]

_PREFIX = "sessio:"
_HEX = frozenset("0123456789abcdef")


@functools.lru_cache(maxsize=4096)
def session_room(session_id: str) -> str:
    """The room every socket of session `session_id` joins.

    The id is hashed: a session id is a bearer credential, and room names travel through the
    client manager's pub/sub channel and into logs. Recent answers are remembered: a
    connection asks for its room several times (connect, hold, leave).
    """
    digest = hashlib.sha256(session_id.encode("utf-8")).hexdigest()[:32]
    # Interned: the registry's row, python-socketio's room table and its members' entries
    # then share one string per session instead of holding a copy each.
    return sys.intern(_PREFIX + digest)


def is_session_room(room: str) -> bool:
    """Whether `room` is a name `session_room` gives (and not a user's room, say)."""
    digest = room[len(_PREFIX) :]
    return room.startswith(_PREFIX) and len(digest) == 32 and all(c in _HEX for c in digest)
