"""One node's users: which socket is whose, what the store must hear, and how long it lasts.

Presence is kept as heartbeats with expiry, never as a counter: each socket of a user is a
member of the user's set in the store (`user_presence_key`) with a deadline its node pushes
out every heartbeat. A node that dies without a word stops pushing, and its sockets drop out
of every count once their deadline passes (`presence_ttl`: `HEARTBEAT_MISSES` heartbeats); a
counter would stay wrong for ever. Between heartbeats a node tells the store of sockets that
come and go as soon as it can (`PresenceLedger`), so a count is exact while nodes are alive.

The index of a user's sessions (`user_index_key`) is written when a socket opens a session that
names a user, and again only once the entry is half-way to its expiry (`IndexMemo`), so a
reconnecting tab costs the store nothing.

Everything here is a table or a plan: the shells hold them under their lock and do the I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from attrs import define, field, frozen

from sessio.core._users import USER_ROOM_PREFIX, user_presence_key, user_room

__all__ = [
    "HEARTBEAT_MISSES",
    "IndexMemo",
    "PresenceLedger",
    "SetUpdate",
    "UserTable",
    "presence_ttl",
]

#: A socket counts as online until its node has missed this many heartbeats.
HEARTBEAT_MISSES = 3

#: A socket: (namespace, sid), as in `sessio.core._registry`.
Socket = tuple[str, str]


def presence_ttl(heartbeat_every: float) -> float:
    """How long a heartbeat keeps a socket counted: `HEARTBEAT_MISSES` heartbeats."""
    if not heartbeat_every > 0:
        raise ValueError(f"heartbeat_every must be more than 0 seconds, not {heartbeat_every!r}")
    return heartbeat_every * HEARTBEAT_MISSES


def _frozen_map(value: Mapping[str, float | None]) -> Mapping[str, float | None]:
    return dict(value)


def _frozen_set(value: Iterable[str]) -> frozenset[str]:
    return frozenset(value)


@frozen
class SetUpdate:
    """One write to a set with deadlines: each of `add` for its TTL (None: no expiry), and
    `remove` taken out. A store does it as one step (`UserIndex.update_members`)."""

    key: str
    add: Mapping[str, float | None] = field(factory=dict, converter=_frozen_map)
    remove: frozenset[str] = field(factory=frozenset, converter=_frozen_set)


@define
class UserTable:
    """Which user each of this node's sockets is signed in as, and each user's sockets.

    Not thread-safe: the shell holds its lock. Every operation costs the same however many
    sockets the node holds.
    """

    _user: dict[Socket, str] = field(factory=dict, init=False)
    _sockets: dict[str, set[Socket]] = field(factory=dict, init=False)
    # Each user's room (hashed once while the user has sockets here), and back.
    _room: dict[str, str] = field(factory=dict, init=False)
    _by_room: dict[str, str] = field(factory=dict, init=False)

    def assign(self, key: Socket, user_id: str | None) -> str | None:
        """Socket `key` is now `user_id`'s (None: no one's); returns whose it was."""
        before = self._user.get(key)
        if before == user_id:
            return before
        self._drop(key, before)
        if user_id is not None:
            self._user[key] = user_id
            sockets = self._sockets.get(user_id)
            if sockets is None:
                sockets = self._sockets[user_id] = set()
                room = self._room[user_id] = user_room(user_id)
                self._by_room[room] = user_id
            sockets.add(key)
        return before

    def release(self, key: Socket) -> str | None:
        """Forget socket `key` (it left); whose it was."""
        return self.assign(key, None)

    def _drop(self, key: Socket, user_id: str | None) -> None:
        if user_id is None:
            return
        del self._user[key]
        sockets = self._sockets[user_id]
        sockets.discard(key)
        if not sockets:
            del self._sockets[user_id]
            del self._by_room[self._room.pop(user_id)]

    def room(self, user_id: str) -> str:
        """`user_room(user_id)`, without hashing again while the user has sockets here."""
        found = self._room.get(user_id)
        return user_room(user_id) if found is None else found

    def user(self, key: Socket) -> str | None:
        """Whose socket `key` is (None: no one's, or not here)."""
        return self._user.get(key)

    def sockets_in(self, room: str) -> list[Socket]:
        """This node's sockets in user room `room`, in a stable order ([] for any other room)."""
        if not room.startswith(USER_ROOM_PREFIX):
            return []
        user_id = self._by_room.get(room)
        return [] if user_id is None else sorted(self._sockets.get(user_id, ()))

    def sockets_of(self, user_id: str) -> list[Socket]:
        """This node's sockets of `user_id`, in a stable order."""
        return sorted(self._sockets.get(user_id, ()))

    def held(self) -> dict[str, list[Socket]]:
        """Every user with sockets here, with them."""
        return {user_id: sorted(keys) for user_id, keys in self._sockets.items()}

    def counts(self) -> dict[str, int]:
        """Rows per table (all 0 once every socket has been released)."""
        return {"users": len(self._sockets), "user_sockets": len(self._user)}


@define
class PresenceLedger:
    """The presence writes this node owes the store, merged until they are taken.

    A socket that joins and leaves before a flush costs nothing: the store never heard of it
    (a connection that lasts less than a flush's delay, a refused or bounced one, a benchmark's).
    Whatever a failed write lost, the next heartbeat puts right (it re-adds every live socket,
    and the departed ones expire).

    The owner calls `joined` for a socket only when it is not already counted for that user,
    and `left` only when it is, as `UserTable.assign` reports them.
    """

    ttl: float
    _pending: dict[str, dict[str, bool]] = field(factory=dict, init=False)
    # (user id, tag) of sockets that joined since the last take with nothing owed before:
    # the store has not heard of them, so leaving again needs no write.
    _fresh: set[tuple[str, str]] = field(factory=set, init=False)

    def joined(self, user_id: str, tag: str) -> bool:
        """Socket `tag` of `user_id` is online; True if nothing was owed before (a flush is
        due), False if a flush is due already."""
        was_empty = not self._pending
        changes = self._pending.setdefault(user_id, {})
        if tag not in changes:
            # Nothing owed for it: its last word reached the store, and (joining now) that
            # was a removal, or it never had one.
            self._fresh.add((user_id, tag))
        changes[tag] = True
        return was_empty

    def left(self, user_id: str, tag: str) -> bool:
        """Socket `tag` of `user_id` is gone; True if nothing was owed before and something is
        now (a flush is due)."""
        was_empty = not self._pending
        if (user_id, tag) in self._fresh:
            self._fresh.discard((user_id, tag))
            changes = self._pending[user_id]
            del changes[tag]
            if not changes:
                del self._pending[user_id]
            return False
        self._pending.setdefault(user_id, {})[tag] = False
        return was_empty

    def __bool__(self) -> bool:
        return bool(self._pending)

    def take(self) -> list[SetUpdate]:
        """The writes owed now, one per user; the ledger is empty after."""
        pending, self._pending = self._pending, {}
        self._fresh = set()
        return [self._update(user_id, changes) for user_id, changes in pending.items()]

    def heartbeat(self, held: Mapping[str, Iterable[str]]) -> list[SetUpdate]:
        """The writes of a heartbeat: every socket in `held` (user id -> socket tags) refreshed,
        and whatever else was owed; the ledger is empty after."""
        pending, self._pending = self._pending, {}
        self._fresh = set()
        updates = []
        for user_id in sorted(set(held) | set(pending)):
            changes = pending.get(user_id, {})
            changes.update(dict.fromkeys(held.get(user_id, ()), True))
            updates.append(self._update(user_id, changes))
        return updates

    def _update(self, user_id: str, changes: Mapping[str, bool]) -> SetUpdate:
        return SetUpdate(
            user_presence_key(user_id),
            {tag: self.ttl for tag, present in changes.items() if present},
            frozenset(tag for tag, present in changes.items() if not present),
        )


@define
class IndexMemo:
    """Which session this node last put in which user's index, when, and for how long.

    A session is due again when it is not here, names another user now, or its entry is
    half-way to its expiry. Holds at most `capacity` sessions, forgetting the oldest first: a
    forgotten one is only written again.
    """

    capacity: int = 10_000
    # session id -> (user id, written at, lifetime)
    _entries: dict[str, tuple[str, float, int | None]] = field(factory=dict, init=False)

    def due(self, session_id: str, user_id: str, now: float) -> bool:
        """Whether `session_id` must be (re)written to `user_id`'s index at `now`."""
        entry = self._entries.get(session_id)
        if entry is None or entry[0] != user_id:
            return True
        _, written, lifetime = entry
        return lifetime is not None and now - written >= lifetime / 2

    def wrote(self, session_id: str, user_id: str, now: float, lifetime: int | None) -> None:
        """`session_id` went into `user_id`'s index at `now` for `lifetime` seconds."""
        self._entries.pop(session_id, None)
        while len(self._entries) >= self.capacity:
            del self._entries[next(iter(self._entries))]
        self._entries[session_id] = (user_id, now, lifetime)

    def forget(self, session_id: str) -> None:
        """Write `session_id` again next time it is seen."""
        self._entries.pop(session_id, None)

    def __len__(self) -> int:
        return len(self._entries)
