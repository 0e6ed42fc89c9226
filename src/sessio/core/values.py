"""The plain values the core hands out: verdicts on a cookie, stored sessions, write plans."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import field, frozen

from sessio.core.failures import id_tag, redact_key

__all__ = ["ClientSession", "Encoded", "Minted", "SessionRef", "StoredSession", "Write"]


def _frozen_dict(value: Mapping[str, Any]) -> Mapping[str, Any]:
    # A private copy: a value handed out by the core must not change under its holder.
    return dict(value)


@frozen(repr=False)
class SessionRef:
    """Verdict: the cookie names a server-side session; load it from `key` in the store.

    `secret_index` is the position of the secret that verified the cookie (None when the
    format signs nothing), for `sessio inspect` and for noticing rotated-out secrets. The
    repr shows the id only as its `id_tag`: a ref ends up in logs and tracebacks.
    """

    sid: str
    key: str
    secret_index: int | None = None

    def __repr__(self) -> str:
        # The key is prefix + sid in every format; the prefix is what is left of it.
        prefix = self.key[: -len(self.sid)] if self.sid and self.key.endswith(self.sid) else None
        return (
            f"SessionRef(sid={'…' + id_tag(self.sid)!r}, key={redact_key(self.key, prefix)!r}, "
            f"secret_index={self.secret_index!r})"
        )


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

    sid: str = field(repr=lambda sid: repr("…" + id_tag(sid)))
    cookie: str = field(repr=lambda cookie: repr(cookie.partition("=")[0] + "=…"))
