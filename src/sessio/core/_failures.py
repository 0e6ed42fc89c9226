"""Failures as data: every way a handshake, a load or a save can go wrong.

A `Failure` has a stable `code` (safe to send to a client, to log, to branch on) and a
`message` for the developer that says what to check. Messages never contain a secret, a
cookie value or a session id: a cookie is a bearer credential, and so is the id in it (for an
unsigned format the id *is* the cookie). Where a message must name a session it shows
`redact_key`: the store key's prefix and a short hash of the id, enough to match log lines
with each other and with ``sessio inspect``, not to recover the id.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Literal

from attrs import frozen

FailureCode = Literal[
    "no-cookie",
    "malformed-cookie",
    "unsigned-cookie",
    "bad-signature",
    "expired",
    "session-not-found",
    "corrupt-session",
    "unsafe-format",
    "missing-dependency",
    "store-unavailable",
    "read-only",
    "unserializable",
    "conflict",
    "not-connected",
    "bad-ticket",
    "ticket-expired",
    "invalid-user",
    "no-user-index",
]

__all__ = ["Failure", "FailureCode", "id_tag", "redact_key"]

# Cookie names in a message are cut to this many characters: names come from the request, and
# a hostile or mangled header must not turn a message into a copy of itself.
_NAME_SHOWN = 40


def id_tag(session_id: str) -> str:
    """``#`` and 8 hex digits of the SHA-256 of `session_id`: a session's name in messages.

    32 bits match log lines with each other and cannot give back an id with the entropy of a
    session id. They are the first digits of the session's room name (`session_room`), too.
    """
    digest = hashlib.sha256(session_id.encode("utf-8", "surrogatepass")).hexdigest()
    return f"#{digest[:8]}"


def redact_key(key: str, prefix: str | None = None) -> str:
    """Store key `key` fit for a message or a log: ``'sess:…#3fa2c1d0'``, never the id in it.

    `prefix` is the format's key prefix (``fmt.store_key("")``), which is configuration and
    shown; the rest of the key is the session id and shown only as its `id_tag`. Without a
    prefix (or one the key does not start with) the whole key is taken as the id.
    """
    if prefix is not None and key.startswith(prefix):
        return f"{prefix}…{id_tag(key[len(prefix) :])}"
    return f"…{id_tag(key)}"


def _name(name: str) -> str:
    """A cookie name from the request, for a message: quoted, escaped and cut short."""
    return repr(name if len(name) <= _NAME_SHOWN else name[:_NAME_SHOWN] + "…")


@frozen
class Failure:
    """Why there is no session: a stable `code` and a human `message`.

    Failures are values, never raised by the core. The shells pass them to connect handlers
    as ``err`` and wrap them in `sessio.SessionError` where a caller expects an exception.
    """

    code: FailureCode
    message: str

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    # Constructors for the common cases keep the wording in one place.

    @classmethod
    def no_cookie(cls, name: str, seen: Iterable[str] = ()) -> Failure:
        """No cookie called `name` in the handshake (`seen`: the names that were there)."""
        names = sorted(set(seen))
        found = (
            f"the request carried cookies named {', '.join(_name(n) for n in names[:10])}"
            if names
            else "the request carried no cookies at all"
        )
        return cls(
            "no-cookie",
            f"no cookie named {name!r}: {found}. Check that the client sends credentials "
            "(withCredentials / credentials: 'include'), that the socket.io server is on the "
            "web app's site (its host, or a subdomain the cookie's Domain covers: browsers "
            "send no cookie to another site, whatever its SameSite), and that the cookie name "
            "matches the framework's.",
        )

    @classmethod
    def malformed(cls, name: str, why: str) -> Failure:
        """The cookie is there but cannot be read at all."""
        return cls("malformed-cookie", f"cookie {name!r} is malformed: {why}.")

    @classmethod
    def header_too_long(cls, name: str, length: int, limit: int) -> Failure:
        """A ``Cookie`` header longer than sessio reads: refused without looking into it."""
        return cls(
            "malformed-cookie",
            f"the Cookie header is {length} characters long; sessio reads at most {limit} and "
            f"did not look for cookie {name!r} in it. No web app gets a header that long past "
            "its own web server, so the request is hostile, or the browser holds so many "
            "cookies for this site that it should clear them.",
        )

    @classmethod
    def unsigned(cls, name: str) -> Failure:
        """A plain value where a signed one is required."""
        return cls(
            "unsigned-cookie",
            f"cookie {name!r} is not signed, but secrets are configured: an unsigned value is "
            "never accepted as a session id. Check the cookie name and that the web app signs it.",
        )

    @classmethod
    def bad_signature(cls, name: str, tried: int) -> Failure:
        """No configured secret verifies the cookie."""
        return cls(
            "bad-signature",
            f"cookie {name!r} has a signature that none of the {tried} configured secret(s) "
            "verifies. Check that sessio has the web app's secret (and its rotation list).",
        )

    @classmethod
    def expired(cls, why: str) -> Failure:
        """The session (cookie or stored) is past its lifetime."""
        return cls("expired", f"the session has expired: {why}.")

    @classmethod
    def not_found(cls, key: str, prefix: str | None = None) -> Failure:
        """The cookie is valid but the store holds no session under `key`.

        The message names the key as `redact_key` shows it: pass the format's `prefix`
        (``fmt.store_key("")``) so that it shows, and the tag is the id's.
        """
        shown = redact_key(key, prefix)
        how = "a hash of the key" if shown.startswith("…") else "its prefix and a hash of the id"
        return cls(
            "session-not-found",
            f"no session is stored under {shown!r} (shown as {how}): it expired, was destroyed "
            "(logout), or sessio reads a different store, database or key prefix than the web "
            "app.",
        )

    @classmethod
    def corrupt(cls, why: str) -> Failure:
        """The store holds bytes that the format cannot decode."""
        return cls("corrupt-session", f"the stored session cannot be decoded: {why}.")

    @classmethod
    def unsafe_pickle(cls, fmt: str) -> Failure:
        """The store holds a pickle, and unpickling was not allowed."""
        return cls(
            "unsafe-format",
            f"the {fmt} session is stored as a pickle, and sessio does not unpickle unless told "
            "to: unpickling store bytes runs code chosen by whoever can write the store. If "
            f"only your own application can write it, opt in with {fmt}(..., allow_pickle=True);"
            " otherwise switch the web app to a JSON serializer or store.",
        )

    @classmethod
    def missing_dependency(cls, package: str, extra: str, needed_for: str) -> Failure:
        """An optional package that this format needs is not installed."""
        return cls(
            "missing-dependency",
            f"{needed_for} needs the {package!r} package, which is not installed: "
            f"pip install {package} (sessio's {extra!r} extra brings it).",
        )

    @classmethod
    def store_unavailable(cls, error: BaseException) -> Failure:
        """The store raised; only the exception's type is kept, never its text."""
        return cls(
            "store-unavailable",
            f"the session store failed ({type(error).__name__}); the session could not be "
            "read or written. Check that the store is up and reachable.",
        )

    @classmethod
    def unserializable(cls, fmt: str, why: str) -> Failure:
        """The session holds a value the format cannot store."""
        return cls("unserializable", f"the session cannot be written as {fmt}: {why}.")

    @classmethod
    def conflict(cls, keys: Iterable[str]) -> Failure:
        """A strict save found keys changed both here and in the store since load."""
        names = ", ".join(repr(k) for k in sorted(keys)[:10])
        return cls(
            "conflict",
            f"the stored session changed since this socket loaded it, on the keys this save "
            f"also changes ({names}); reload() and decide, or save() without strict.",
        )

    @classmethod
    def bad_ticket(cls, why: str) -> Failure:
        """The handshake's socket ticket is not one sessio issued, or no longer redeemable.

        Forged, malformed, already used and unknown tickets all get this one code (and the
        client only the code): which of them it was would tell an attacker who tries tickets
        whether one was ever valid, and a client's remedy is the same, a fresh ticket.
        """
        return cls(
            "bad-ticket",
            f"the socket ticket cannot be redeemed: {why}. A ticket is good for one connect: "
            "fetch a fresh one from the web app before each (re)connect (socket.io's `auth` "
            "can be a callback).",
        )

    @classmethod
    def ticket_expired(cls, late: float) -> Failure:
        """The ticket was issued, and is unused, but its lifetime ended `late` seconds ago."""
        return cls(
            "ticket-expired",
            f"the socket ticket expired {late:.1f} s before the connect: fetch it right "
            "before connecting, raise `ttl=` if the client needs longer, and check that the "
            "web app's and the socket server's clocks agree.",
        )

    @classmethod
    def read_only(cls, fmt: str) -> Failure:
        """A write to a session that lives in the browser's cookie."""
        return cls(
            "read-only",
            f"this {fmt} session lives in the browser's cookie, and a socket cannot set "
            "cookies: it is read-only here. Change it over HTTP, or keep socket-side state in "
            "a server-side session store (e.g. Flask-Session, a Redis-backed store).",
        )

    @classmethod
    def invalid_user(cls, why: str) -> Failure:
        """A user id (given, or found in a session under `user_key`) that sessio cannot use."""
        return cls(
            "invalid-user",
            f"not a user id: {why}. A user id is a non-empty str of at most 256 characters or "
            "an int; check user_key (or what the login stores under it).",
        )

    @classmethod
    def no_user_index(cls) -> Failure:
        """Users' sessions or sockets were asked for, and there is no user index to ask."""
        return cls(
            "no-user-index",
            "there is no user index here: set user_key=, and use a store that keeps one "
            "(RedisStore, MemoryStore) or pass user_index= one.",
        )
