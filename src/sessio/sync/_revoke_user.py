# Generated from src/sessio/aio/_revoke_user.py by scripts/unasync.py: edit that file instead.
"""`revoke_user` ("sign out everywhere") and `register_session`, for web workers.

Both run where no socket.io server does (a Flask or Django view), against the store the
sockets use. The index they read and write is the one `SessionSockets` keeps with
`user_key`: per user, the sessions a socket opened or the web app registered, each until its
session's lifetime would end.

Neither raises for what it is given or finds: a bad user id, an unknown user, index entries
whose sessions expired, and a store that is down are answered with a `Failure` value (the
entries are dropped from the index on the way). A session the index lists but that names
someone else now (a logout, then another login, in the same session) is left alone.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from sessio.core import Failure, SessionRef, StoreFormat, decode_stored
from sessio.core._control import CONTROL_CHANNEL, Disconnect, encode_control
from sessio.core._rooms import session_room
from sessio.core._users import (
    DEFAULT_USER_KEYS,
    Owner,
    UserKey,
    UserKeySpec,
    as_user_id,
    index_lifetime,
    owner_verdict,
    user_index_key,
    user_room,
)
from sessio.sync._store_calls import store_failed
from sessio.sync.stores._protocol import ControlChannel, Store
from sessio.sync.stores._user_index import UserIndex

__all__ = ["register_session", "revoke_sessions", "revoke_user", "revoked_rooms"]

logger = logging.getLogger("sessio")

#: How often one session is re-read when it changes between the read and the delete.
_ATTEMPTS = 8


def _index_of(store: Store, index: UserIndex | None) -> UserIndex | Failure:
    if index is not None:
        return index
    if isinstance(store, UserIndex):
        return store
    return Failure.no_user_index()


def _user_key(fmt: StoreFormat, user_key: UserKeySpec | UserKey | None) -> UserKey:
    if isinstance(user_key, UserKey):
        return user_key
    if user_key is None:
        if fmt.name not in DEFAULT_USER_KEYS:
            raise ValueError(f"{fmt.name} sessions have no usual user key: pass user_key=")
        user_key = DEFAULT_USER_KEYS[fmt.name]
    return UserKey.of(user_key)


def register_session(
    store: Store,
    fmt: StoreFormat,
    session_id: str,
    user_id: str | int,
    *,
    index: UserIndex | None = None,
    clock: Callable[[], float] = time.time,
) -> Failure | None:
    """Put session `session_id` in `user_id`'s index: call it at login.

    A socket that opens the session indexes it too; registering at login covers sessions
    that no socket opens. The entry lasts the framework's session lifetime from now. `index`
    is where the index lives (default: `store`, if it keeps one). Returns None, or the
    `Failure` (``invalid-user``, ``no-user-index``, ``store-unavailable``).
    """
    if not isinstance(session_id, str) or not session_id:
        raise ValueError("session_id must be the session's id (a non-empty str)")
    found = as_user_id(user_id)
    if isinstance(found, Failure):
        return found
    where = _index_of(store, index)
    if isinstance(where, Failure):
        return where
    lifetime = index_lifetime(fmt, clock())
    try:
        where.update_members(user_index_key(found), {session_id: lifetime}, ())
    except Exception as error:
        return store_failed(error, "register_session")
    return None


def revoke_user(
    store: Store,
    fmt: StoreFormat,
    user_id: str | int,
    *,
    user_key: UserKeySpec | UserKey | None = None,
    index: UserIndex | None = None,
    reason: str = "user-revoked",
    clock: Callable[[], float] = time.time,
) -> int | Failure:
    """Sign `user_id` out everywhere: destroy every session of theirs that sessio knows, and
    disconnect every socket of theirs on every node.

    A session is destroyed only if it still names `user_id` under `user_key` (default: the
    framework's usual key, ``DEFAULT_USER_KEYS``), with a compare-and-set, so a session that
    changed hands is left alone. Sockets are reached through the store's control channel
    (`RedisStore`): every node drops the sockets in the user's room (told before any session
    is destroyed, so they go at once) and in each destroyed session's room (told after it
    is destroyed); their disconnect handlers get `reason`. Without a channel (`MemoryStore`,
    `DjangoStore`) only the sessions go; servers drop their sockets when they revalidate.
    Returns how many sessions were destroyed, or the first `Failure` met: a session or a
    publish that fails does not stop the rest, and a session it could not reach stays in the
    index for the next call.
    """
    destroyed, failed = revoke_sessions(
        store, fmt, user_id, user_key=user_key, index=index, reason=reason, clock=clock
    )
    return len(destroyed) if failed is None else failed


def revoke_sessions(
    store: Store,
    fmt: StoreFormat,
    user_id: object,
    *,
    user_key: UserKeySpec | UserKey | None,
    index: UserIndex | None,
    reason: str,
    clock: Callable[[], float],
) -> tuple[list[str], Failure | None]:
    """`revoke_user`: the ids of the sessions it destroyed, and the first failure met (even
    with one, some sessions may have been destroyed)."""
    key = _user_key(fmt, user_key)
    found = as_user_id(user_id)
    if isinstance(found, Failure):
        return [], found
    where = _index_of(store, index)
    if isinstance(where, Failure):
        return [], where
    channel = store if isinstance(store, ControlChannel) else None
    # Sign-out goes as far as the store lets it: a session it cannot reach (its cluster
    # master down) or a publish that fails does not spare the others. The first failure is
    # the answer; what was not settled stays listed, for the next revoke.
    failed: Failure | None = None
    if channel is not None:
        # The user's room first: every socket signed in as them goes now, not after the
        # two round trips per session that destroying takes (20 for 10 sessions: that
        # was most of the time until the last socket was gone).
        failed = _publish(channel, user_room(found), reason)
    try:
        listed = where.live_members(user_index_key(found))
    except Exception as error:
        return [], failed or store_failed(error, "revoke_user")
    destroyed: list[str] = []
    settled: list[str] = []
    for session_id in listed:
        try:
            owner = _destroy_if_theirs(store, fmt, key, found, session_id, clock)
        except Exception as error:
            failed = failed or store_failed(error, "revoke_user")
            continue
        if owner == "theirs":
            destroyed.append(session_id)
        if owner is not None:
            settled.append(session_id)
    if channel is not None:
        # Then each destroyed session's room, once it is destroyed: a socket that opened
        # it meanwhile (or whose copy predates the login) goes too, and cannot come back.
        for session_id in destroyed:
            missed = _publish(channel, session_room(session_id), reason)
            failed = failed or missed
    if settled:
        # Only what was settled here: a session registered meanwhile stays listed.
        try:
            where.update_members(user_index_key(found), {}, settled)
        except Exception as error:
            failed = failed or store_failed(error, "revoke_user")
    return destroyed, failed


def _publish(channel: ControlChannel, room: str, reason: str) -> Failure | None:
    """Tell every node to drop the sockets in `room`; the failure, if the channel failed."""
    try:
        channel.publish(CONTROL_CHANNEL, encode_control(Disconnect(room, reason)))
    except Exception as error:
        return store_failed(error, "revoke_user")
    return None


def revoked_rooms(user_id: str, destroyed: list[str]) -> list[str]:
    """The rooms whose sockets a revoke of `user_id` drops: the user's, then each destroyed
    session's (a socket whose copy of the session predates the login is in that one only)."""
    return [user_room(user_id), *map(session_room, destroyed)]


def _destroy_if_theirs(
    store: Store,
    fmt: StoreFormat,
    user_key: UserKey,
    user_id: str,
    session_id: str,
    clock: Callable[[], float],
) -> Owner | None:
    """Destroy the session if it names `user_id`; who it turned out to be (None: it kept
    changing under us, and stays listed)."""
    ref = SessionRef(session_id, fmt.store_key(session_id))
    for _ in range(_ATTEMPTS):
        raw = store.get(ref.key)
        stored = None if raw is None else decode_stored(ref, raw, fmt, clock())
        data = None if stored is None or isinstance(stored, Failure) else stored.data
        owner = owner_verdict(user_key, user_id, data)
        if owner != "theirs":
            return owner
        deleted, _ = store.compare_and_set(ref.key, raw, None, None)
        if deleted:
            return owner
    logger.warning("revoke_user: a session kept changing; left for the next revoke")
    return None
