"""Users: which user a session names, and the names sessio gives a user's room and keys.

A web app's login leaves the user in the session under a key of its framework's choosing
(Django: ``_auth_user_id``; Flask-Login: ``_user_id``; Express + passport: ``passport.user``).
`UserKey` finds it there, from a dotted path or a function of the session; `as_user_id` turns
what it finds into a user id sessio can use, or says why not. Nothing here raises on what a
session holds: a session is input from the store (or from a cookie), and a dict, a 10 KB
string or a function that raises is a `Failure`, never an exception.

A user id is a non-empty ``str`` of at most `MAX_USER_ID` characters, or an ``int`` (not a
``bool``), which is the same user as its decimal ``str``: Django keeps ``"42"``, an app's
code often holds ``42``. Room and store-key names carry a SHA-256 of the id, not the id: ids
are often e-mail addresses, and names travel through pub/sub, logs and ``KEYS`` listings.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeAlias

from attrs import frozen

from sessio.core._failures import Failure
from sessio.core.formats._base import StoreFormat

__all__ = [
    "DEFAULT_USER_KEYS",
    "MAX_USER_ID",
    "USER_ROOM_PREFIX",
    "Owner",
    "UserKey",
    "UserKeySpec",
    "as_user_id",
    "index_lifetime",
    "owner_verdict",
    "socket_tag",
    "user_index_key",
    "user_presence_key",
    "user_room",
]

#: The longest user id sessio takes, in characters (ids are hashed, so this bounds work only).
MAX_USER_ID = 256
#: The ``int`` user ids sessio takes have at most this many bits (a 512-bit id is 155 digits).
_MAX_INT_BITS = 512
#: Every user room starts with this; session rooms are ``sessio:`` and 32 hex digits.
USER_ROOM_PREFIX = "sessio:user:"
#: The lifetime sessio gives an index entry when the format cannot say (31 days).
_FALLBACK_LIFETIME = 31 * 86400

#: Where each framework's login keeps the user, by format name: `revoke_user`'s default.
#: Facts: Django 5.2 ``contrib/auth/__init__.py`` (``SESSION_KEY = "_auth_user_id"``);
#: Flask-Login 0.6 ``login_user`` (``session["_user_id"]``); passport 0.7
#: ``SessionManager.logIn`` (``req.session.passport.user``); aiohttp-security 0.5
#: ``SessionIdentityPolicy(session_key="AIOHTTP_SECURITY")``.
DEFAULT_USER_KEYS: Mapping[str, str] = {
    "django": "_auth_user_id",
    "flask_session": "_user_id",
    "flask": "_user_id",
    "express": "passport.user",
    "aiohttp": "AIOHTTP_SECURITY",
}

#: What `user_key=` takes: a dotted path into the session, or a function of the session.
UserKeySpec: TypeAlias = str | Callable[[Mapping[str, Any]], object]


def _digest(user_id: str) -> str:
    # Salted with a label, so a user's name is never a session room's name.
    return hashlib.sha256(b"sessio-user\0" + user_id.encode("utf-8")).hexdigest()[:32]


def as_user_id(value: object) -> str | Failure:
    """`value` as a user id (``42`` and ``"42"`` both give ``"42"``), or why it is not one."""
    if isinstance(value, bool):
        return Failure.invalid_user("a bool is not a user id")
    if isinstance(value, int):
        if value.bit_length() > _MAX_INT_BITS:
            return Failure.invalid_user(f"an int of more than {_MAX_INT_BITS} bits")
        return str(value)
    if not isinstance(value, str):
        return Failure.invalid_user(f"a {type(value).__name__} is not a user id")
    if not value:
        return Failure.invalid_user("the user id is empty")
    if len(value) > MAX_USER_ID:
        return Failure.invalid_user(f"{len(value)} characters, more than {MAX_USER_ID}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return Failure.invalid_user("it is not encodable text (a lone surrogate)")
    return value


@frozen
class UserKey:
    """Where a session keeps its user: a dotted `path`, or a `function` of the session.

    Build with `UserKey.of`. `user_of` answers None when the session names no user (the key
    is missing, or holds None: an anonymous session), the user id when it names one, and a
    ``invalid-user`` `Failure` when it holds something that is no user id.
    """

    path: tuple[str, ...] | None
    function: Callable[[Mapping[str, Any]], object] | None

    @classmethod
    def of(cls, spec: UserKeySpec) -> UserKey:
        """The key `spec` names: ``"passport.user"`` or ``lambda session: ...``.

        A path must be non-empty text whose dot-separated parts are non-empty.
        """
        if isinstance(spec, str):
            parts = tuple(spec.split("."))
            if not spec or not all(parts):
                raise ValueError(f"user_key must be a dotted path like 'passport.user': {spec!r}")
            return cls(parts, None)
        if callable(spec):
            return cls(None, spec)
        raise TypeError(f"user_key must be a dotted path or a function, not {type(spec).__name__}")

    @property
    def name(self) -> str:
        """How messages name this key."""
        if self.path is not None:
            return ".".join(self.path)
        return getattr(self.function, "__qualname__", "a function")

    def user_of(self, data: Mapping[str, Any]) -> str | Failure | None:
        """The user `data` names, None for none, a `Failure` for a value that is no user id."""
        value: object
        if self.function is not None:
            try:
                value = self.function(data)
            except Exception as error:  # the application's function; a session is input
                return Failure.invalid_user(f"user_key {self.name} raised {type(error).__name__}")
        else:
            value = data
            for part in self.path or ():
                if not isinstance(value, Mapping) or part not in value:
                    return None
                value = value[part]
        return None if value is None else as_user_id(value)


def user_room(user_id: str) -> str:
    """The room every socket of user `user_id` joins, on every node."""
    return USER_ROOM_PREFIX + _digest(user_id)


def user_index_key(user_id: str) -> str:
    """The store key of the set of session ids sessio knows for `user_id`."""
    return f"{USER_ROOM_PREFIX}{_digest(user_id)}:sessions"


def user_presence_key(user_id: str) -> str:
    """The store key of the set of `user_id`'s sockets, each with its heartbeat's expiry."""
    return f"{USER_ROOM_PREFIX}{_digest(user_id)}:sockets"


def socket_tag(namespace: str, sid: str) -> str:
    """A socket's name in a presence set: a hash, since a sid may let one post as the socket."""
    digest = hashlib.sha256(f"{namespace}\0{sid}".encode("utf-8", "surrogatepass")).hexdigest()
    return digest[:24]


def index_lifetime(fmt: StoreFormat, now: float) -> int | None:
    """How long an index entry for a session of `fmt` lives from `now` (None: as long as the
    index does): the lifetime the framework gives a session at a save, an upper bound on
    what a session has left, so an entry outlives its session rather than the reverse."""
    encoded = fmt.encode(fmt.fresh({}, now), now)
    if isinstance(encoded, Failure):
        return _FALLBACK_LIFETIME
    if encoded.ttl is None:
        return None
    return max(1, encoded.ttl)


#: What `revoke_user` does with one session the index names.
Owner = Literal["theirs", "other", "gone"]


def owner_verdict(user_key: UserKey, user_id: str, stored: Mapping[str, Any] | None) -> Owner:
    """Whether a session the index lists for `user_id` is still theirs to destroy.

    ``"gone"`` when the store no longer holds it (or it cannot be read: no one can open it);
    ``"other"`` when it names someone else, or no one (a logout, then another login, in the
    same session): it is not touched; ``"theirs"`` when it names `user_id`.
    """
    if stored is None:
        return "gone"
    return "theirs" if user_key.user_of(stored) == user_id else "other"
