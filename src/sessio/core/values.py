"""The plain values the core hands out: verdicts on a cookie, stored sessions, write plans."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import field, frozen

__all__ = ["ClientSession", "Encoded", "Minted", "SessionRef", "StoredSession", "Write"]


def _frozen_dict(value: Mapping[str, Any]) -> Mapping[str, Any]:
    # A private copy: a value handed out by the core must not change under its holder.
    return dict(value)


@frozen
class SessionRef:
    """Verdict: the cookie names a server-side session; load it from `key` in the store.

    `secret_index` is the position of the secret that verified the cookie (None when the
    format signs nothing), for `sessio inspect` and for noticing rotated-out secrets.
    """

    sid: str
    key: str
    secret_index: int | None = None


@frozen
class ClientSession:
    """Verdict: the whole session lives in the (verified) cookie; it is read-only here."""

    data: Mapping[str, Any] = field(converter=_frozen_dict)
    secret_index: int | None = None
    issued_at: float | None = None


@frozen
class StoredSession:
    """A session as a store holds it: the user's `data`, and the framework's own `meta`.

    `meta` is what the framework keeps beside the user's keys and a socket must carry through
    untouched (express's ``cookie`` object, aiohttp-session's ``created``).
    """

    data: Mapping[str, Any] = field(converter=_frozen_dict)
    meta: Mapping[str, Any] = field(factory=dict, converter=_frozen_dict)


@frozen
class Encoded:
    """Store bytes for a session and the time to live (seconds) the framework would give them.

    `ttl` None means no expiry; a `ttl` of 0 or less means the session is already over and
    the framework would delete it rather than write it.
    """

    value: bytes
    ttl: int | None


@frozen
class Write:
    """A plan for the store: put `value` under `key` with `ttl`, or delete `key` (value None).

    `stored` is the session the store will hold once the write is done.
    """

    key: str
    value: bytes | None
    ttl: int | None
    stored: StoredSession


@frozen
class Minted:
    """A newly created stored session: its id and the ``name=value`` a browser would send."""

    sid: str
    cookie: str
