"""Which sessions a node let go of lately: so that a read in flight meanwhile knows it is stale.

A socket's session is read before the socket is held (at the engine.io handshake, or at the
socket.io connect). A logout that reaches the node in between (a revoke on the control
channel, `disconnect_session`, a failed re-check, a rotation) finds no socket to disconnect,
and the read may have seen the store before the logout changed it. So every such event is
noted here with a number, a read takes the current number (`stamp`) before it starts, and
the socket is held only if nothing for its session was noted since (`since`); otherwise the
session is read again, after the logout, and the store says what is true.

Only the last `capacity` notes are kept: a read older than all of them is taken as stale (one
extra read, never a wrong session).
"""

from __future__ import annotations

from collections import deque

from attrs import Factory, define, field

__all__ = ["ANY_ROOM", "RecentDisconnects"]

#: The room noted when the node cannot say which session it let go of: a user's room, or a
#: control channel that was away (whatever it missed may have been for anyone).
ANY_ROOM: str | None = None


@define
class RecentDisconnects:
    """The session rooms this node disconnected (or was told about), numbered in order."""

    capacity: int = 256
    _count: int = 0
    _notes: deque[tuple[int, str | None]] = field(
        default=Factory(lambda self: deque(maxlen=self.capacity), takes_self=True)
    )

    def stamp(self) -> int:
        """The number of the latest note: what a read starting now compares against."""
        return self._count

    def note(self, room: str | None) -> None:
        """Session room `room` was let go of (`ANY_ROOM`: any session may have been)."""
        self._count += 1
        self._notes.append((self._count, room))

    def since(self, stamp: int, room: str) -> bool:
        """Whether `room` (or any room) was noted after `stamp`: a read from then is stale."""
        if stamp >= self._count:
            return False  # the usual case: nothing happened during the read
        if self._count - stamp > len(self._notes):
            return True  # notes from then are forgotten: assume the worst
        for number, noted in reversed(self._notes):
            if number <= stamp:
                break
            if noted is ANY_ROOM or noted == room:
                return True
        return False
