"""One node's sockets and their sessions: the tables a shell keeps while sockets are open.

`Registry` is the one owner of the per-socket and per-session state: which session each
socket holds, why a socket is being disconnected, which sockets hold each session (and its
room), and when the node last touched and re-checked each session. Every operation costs the
same however many sockets the node holds: nothing scans the tables per event or per
disconnect. It is not thread-safe: the shell calls it under its lock (`session`, one dict
read, excepted).
"""

from __future__ import annotations

from typing import Generic, Literal, TypeVar

from attrs import define, field

from sessio.core._intervals import Interval
from sessio.core._rooms import session_room

__all__ = ["Kind", "Registry", "Socket"]

#: A socket: (namespace, sid).
Socket = tuple[str, str]
#: What is done at most once per interval per session: a ``touch`` or a ``check``.
Kind = Literal["touch", "check"]

S = TypeVar("S")
D = TypeVar("D")


@define(weakref_slot=False)
class _Row:
    """One session's row: its room, the sockets here that hold it, its last touch and check.

    One slotted object per session (not a row in each of five dicts): a node holds one per
    session for as long as a socket of it is open.
    """

    session_id: str
    room: str
    # A tuple: a session has a socket or a few here (its tabs), and a set costs 216 bytes.
    members: tuple[Socket, ...]
    touched: float
    checked: float


@define
class Registry(Generic[S]):
    """Sockets (with the session object each holds, `S`) and their sessions' rows.

    A socket is `hold`-ed with its session (or None) and the session's id (None for a session
    that lives in the cookie), and `release`-d once. Per session id, the row lives while at
    least one socket holds it: the last `release` takes it.
    """

    # socket -> (its session, its session's row; None for a session without an id)
    _sessions: dict[Socket, tuple[S | None, _Row | None]] = field(factory=dict, init=False)
    # Why a socket is being disconnected, for its disconnect handler.
    _reasons: dict[Socket, str] = field(factory=dict, init=False)
    # room -> the row of the session whose room it is (a session id is found by its room).
    _rows: dict[str, _Row] = field(factory=dict, init=False)

    # -- sockets ---------------------------------------------------------------------------

    def hold(self, key: Socket, session: S | None, session_id: str | None, now: float) -> None:
        """Socket `key` holds `session`; a first socket of `session_id` starts its intervals."""
        if session_id is None:
            self._sessions[key] = (session, None)
            return
        room = session_room(session_id)
        row = self._rows.get(room)
        if row is None:
            row = self._rows[room] = _Row(session_id, room, (key,), now, now)
        elif key not in row.members:
            row.members = (*row.members, key)
        self._sessions[key] = (session, row)

    def release(self, key: Socket) -> S | None:
        """Forget socket `key` (once it left); the last socket of a session takes its row.

        Returns the session it held (None if none, or if it was not held).
        """
        session, row = self._sessions.pop(key, (None, None))
        if row is None:
            return session
        row.members = tuple(member for member in row.members if member != key)
        if not row.members and self._rows.get(row.room) is row:
            del self._rows[row.room]
        return session

    def session(self, key: Socket) -> S | None:
        """The session socket `key` holds (None if none, or if it is not held)."""
        return self._sessions.get(key, (None, None))[0]

    def lookup(self, key: Socket) -> tuple[bool, S | None]:
        """Whether socket `key` is held, and its session: one read, for an event that may run
        after its socket left (then ``(False, None)``, where an anonymous one is ``(True,
        None)``)."""
        held = self._sessions.get(key)
        return (False, None) if held is None else (True, held[0])

    # -- why a socket goes -----------------------------------------------------------------

    def mark_leaving(self, key: Socket, reason: str) -> None:
        """Socket `key` is being disconnected because of `reason`."""
        self._reasons[key] = reason

    def take_reason(self, key: Socket, default: D) -> str | D:
        """Why socket `key` went (`default` if sessio did not disconnect it); forgets it."""
        return self._reasons.pop(key, default)

    def forget_reason(self, key: Socket) -> None:
        """Drop the reason for `key` if no disconnect handler took it."""
        self._reasons.pop(key, None)

    # -- sessions --------------------------------------------------------------------------

    def sockets_in(self, room: str) -> list[Socket]:
        """The sockets holding the session whose room is `room`, in a stable order."""
        row = self._rows.get(room)
        return [] if row is None else sorted(row.members)

    def session_id_in(self, room: str) -> str | None:
        """The id of the session whose room is `room`, if sockets here hold it."""
        row = self._rows.get(room)
        return None if row is None else row.session_id

    def move(self, key: Socket, session: S, session_id: str, now: float) -> bool:
        """Socket `key` now holds `session` (id `session_id`), in place of what it held.

        One step, for a rotation: the old session's row goes with its last socket, the new
        one's starts with its first. False (and nothing changes) once `key` has left.
        """
        if key not in self._sessions:
            return False
        self.release(key)
        self.hold(key, session, session_id, now)
        return True

    def held(self) -> list[tuple[str, S]]:
        """Each session id with sockets here, with the session object of one of them."""
        found: list[tuple[str, S]] = []
        for row in self._rows.values():
            session = self.session(row.members[0])
            if session is not None:
                found.append((row.session_id, session))
        return found

    def claim(self, interval: Interval, kind: Kind, session_id: str, now: float) -> bool:
        """Whether `kind` is due for `session_id` at `now` by `interval`; if so, it is now done.

        Seeing that it is due and marking it done are one step: of two sockets of a session
        that ask at once, one gets True. Never True for a session without sockets here.
        """
        if interval.seconds is None:
            return False
        row = self._rows.get(session_room(session_id))
        return row is not None and self._claim(row, interval, kind, now)

    @staticmethod
    def _claim(row: _Row, interval: Interval, kind: Kind, now: float) -> bool:
        if kind == "touch":
            if not interval.due(row.touched, now):
                return False
            row.touched = now
        else:
            if not interval.due(row.checked, now):
                return False
            row.checked = now
        return True

    def claim_for(
        self, key: Socket, session: S, interval: Interval, kind: Kind, now: float
    ) -> bool:
        """`claim` for the session of socket `key`, only while `key` still holds `session`.

        An event still in flight when its socket left must not touch or re-check anything.
        """
        held, row = self._sessions.get(key, (None, None))
        if held is not session or row is None or interval.seconds is None:
            return False
        return self._claim(row, interval, kind, now)

    def mark_checked(self, session_id: str, now: float) -> None:
        """`session_id` was re-checked at `now`, due or not (if it still has sockets here)."""
        row = self._rows.get(session_room(session_id))
        if row is not None:
            row.checked = now

    def counts(self) -> dict[str, int]:
        """How many rows each table holds (all 0 once every socket has been released).

        A session's members, touch and check times are one row; each is still counted.
        """
        sessions = len(self._rows)
        return {
            "sessions": len(self._sessions),
            "reasons": len(self._reasons),
            "members": sessions,
            "touched": sessions,
            "checked": sessions,
        }
