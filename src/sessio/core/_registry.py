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


@define
class Registry(Generic[S]):
    """Sockets (with the session object each holds, `S`) and their sessions' rows.

    A socket is `hold`-ed with its session (or None) and the session's id (None for a session
    that lives in the cookie), and `release`-d once. Per session id, the rows live while at
    least one socket holds it: the last `release` takes them.
    """

    # socket -> (its session, the session's id)
    _sessions: dict[Socket, tuple[S | None, str | None]] = field(factory=dict, init=False)
    # Why a socket is being disconnected, for its disconnect handler.
    _reasons: dict[Socket, str] = field(factory=dict, init=False)
    _members: dict[str, set[Socket]] = field(factory=dict, init=False)
    _by_room: dict[str, str] = field(factory=dict, init=False)
    _touched: dict[str, float] = field(factory=dict, init=False)
    _checked: dict[str, float] = field(factory=dict, init=False)

    # -- sockets ---------------------------------------------------------------------------

    def hold(self, key: Socket, session: S | None, session_id: str | None, now: float) -> None:
        """Socket `key` holds `session`; a first socket of `session_id` starts its intervals."""
        self._sessions[key] = (session, session_id)
        if session_id is None:
            return
        self._members.setdefault(session_id, set()).add(key)
        self._by_room[session_room(session_id)] = session_id
        self._touched.setdefault(session_id, now)
        self._checked.setdefault(session_id, now)

    def release(self, key: Socket) -> S | None:
        """Forget socket `key` (once it left); the last socket of a session takes its rows.

        Returns the session it held (None if none, or if it was not held).
        """
        session, session_id = self._sessions.pop(key, (None, None))
        if session_id is None:
            return session
        members = self._members.get(session_id)
        if members is None:
            return session
        members.discard(key)
        if not members:
            del self._members[session_id]
            self._by_room.pop(session_room(session_id), None)
            self._touched.pop(session_id, None)
            self._checked.pop(session_id, None)
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
        session_id = self._by_room.get(room)
        return [] if session_id is None else sorted(self._members.get(session_id, ()))

    def session_id_in(self, room: str) -> str | None:
        """The id of the session whose room is `room`, if sockets here hold it."""
        return self._by_room.get(room)

    def move(self, key: Socket, session: S, session_id: str, now: float) -> bool:
        """Socket `key` now holds `session` (id `session_id`), in place of what it held.

        One step, for a rotation: the old session's rows go with its last socket, the new
        one's start with its first. False (and nothing changes) once `key` has left.
        """
        if key not in self._sessions:
            return False
        self.release(key)
        self.hold(key, session, session_id, now)
        return True

    def held(self) -> list[tuple[str, S]]:
        """Each session id with sockets here, with the session object of one of them."""
        found: list[tuple[str, S]] = []
        for session_id, keys in self._members.items():
            session = self.session(next(iter(keys)))
            if session is not None:
                found.append((session_id, session))
        return found

    def claim(self, interval: Interval, kind: Kind, session_id: str, now: float) -> bool:
        """Whether `kind` is due for `session_id` at `now` by `interval`; if so, it is now done.

        Seeing that it is due and marking it done are one step: of two sockets of a session
        that ask at once, one gets True. Never True for a session without sockets here.
        """
        if interval.seconds is None or session_id not in self._members:
            return False
        last = self._touched if kind == "touch" else self._checked
        if not interval.due(last.get(session_id), now):
            return False
        last[session_id] = now
        return True

    def claim_for(
        self, key: Socket, session: S, interval: Interval, kind: Kind, now: float
    ) -> bool:
        """`claim` for the session of socket `key`, only while `key` still holds `session`.

        An event still in flight when its socket left must not touch or re-check anything.
        """
        held, session_id = self._sessions.get(key, (None, None))
        if held is not session or session_id is None:
            return False
        return self.claim(interval, kind, session_id, now)

    def mark_checked(self, session_id: str, now: float) -> None:
        """`session_id` was re-checked at `now`, due or not (if it still has sockets here)."""
        if session_id in self._members:
            self._checked[session_id] = now

    def counts(self) -> dict[str, int]:
        """How many rows each table holds (all 0 once every socket has been released)."""
        return {
            "sessions": len(self._sessions),
            "reasons": len(self._reasons),
            "members": len(self._members),
            "touched": len(self._touched),
            "checked": len(self._checked),
        }
