"""Plans for writing a session: what to put in the store, under which key, for how long.

Only a `StoreFormat` is written: a `CookieFormat`'s session is the browser's cookie, which a
socket cannot set, and these functions do not take one.

`SaveLoop` (``_save_loop``) runs a compare-and-set loop around `plan_save`: the first attempt
assumes the store still holds what the socket loaded; when the store answers with something
else, the loop decodes it and asks again with that as `current`. The merge happens here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import field, frozen

from sessio.core._changes import Changes, apply, conflicts
from sessio.core._failures import Failure, id_tag, redact_key
from sessio.core._stored import StoredSession
from sessio.core.formats._base import StoreFormat

__all__ = ["Creation", "Minted", "Write", "plan_create", "plan_save", "plan_write"]


@frozen
class Write:
    """A plan for the store: put `value` under `key` with `ttl`, or delete `key` (value None).

    `stored` is the session the store will hold once the write is done. The repr shows the
    key only as `redact_key` does.
    """

    key: str = field(repr=lambda key: repr(redact_key(key)))
    value: bytes | None
    ttl: int | None
    stored: StoredSession


@frozen
class Minted:
    """A newly created stored session: its id and the ``name=value`` a browser would send.

    Both are credentials: the repr shows the id as its `id_tag` and the cookie's name only.
    """

    session_id: str = field(repr=lambda session_id: repr("…" + id_tag(session_id)))
    cookie: str = field(repr=lambda cookie: repr(cookie.partition("=")[0] + "=…"))


def plan_write(
    fmt: StoreFormat, session_id: str, stored: StoredSession, now: float
) -> Write | Failure:
    """Encode `stored` for session `session_id`: a write, or a delete when its TTL has run out."""
    encoded = fmt.encode(stored, now)
    if isinstance(encoded, Failure):
        return encoded
    key = fmt.store_key(session_id)
    if encoded.ttl is not None and encoded.ttl <= 0:
        return Write(key, None, None, stored)
    return Write(key, encoded.value, encoded.ttl, stored)


def plan_save(
    fmt: StoreFormat,
    session_id: str,
    loaded: Mapping[str, Any],
    current: StoredSession,
    changes: Changes,
    now: float,
    *,
    strict: bool = False,
    touch: bool = False,
) -> Write | Failure | None:
    """Merge `changes` (made against `loaded`) onto `current`, the store's session now.

    None means there is nothing to write. With `strict`, a key that this socket changed and
    that also changed in the store since `loaded` is a ``conflict`` failure; otherwise this
    socket's value wins. With `touch`, the framework's rolling expiry is applied as well.
    """
    if not changes and not touch:
        return None
    if strict:
        clashing = conflicts(loaded, current.data, changes)
        if clashing:
            return Failure.conflict(clashing)
    merged = StoredSession(apply(current.data, changes), current.meta)
    if touch or fmt.touches_on_save:
        merged = fmt.touch(merged, now)
    return plan_write(fmt, session_id, merged, now)


@frozen
class Creation:
    """A plan for a new session: the write to perform and what to hand the caller after."""

    write: Write
    minted: Minted


def plan_create(
    fmt: StoreFormat, entropy: bytes, data: Mapping[str, Any], now: float
) -> Creation | Failure:
    """A new session holding `data`, with an id made from `entropy` (random bytes)."""
    session_id = fmt.new_session_id(entropy)
    cookie = fmt.cookie_value(session_id)
    write = plan_write(fmt, session_id, fmt.fresh(data, now), now)
    if isinstance(write, Failure):
        return write
    return Creation(write, Minted(session_id, f"{fmt.key}={cookie}"))
