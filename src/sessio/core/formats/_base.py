"""What a session format is: one framework's cookie and store layout, as pure functions.

There are two kinds, and every format is exactly one of them:

* a `CookieFormat` keeps the whole session in the browser's cookie (Flask's default,
  Starlette, Django's ``signed_cookies``, aiohttp's cookie storages). Its only question is
  what a cookie value says (`CookieFormat.read_cookie`: a `ClientSession`). A socket cannot
  set cookies, so such a session is read-only from a socket, and the type says so: a cookie
  format has no store methods, and the write plans (`sessio.core.plan_save`...) do not take
  one.
* a `StoreFormat` keeps the session in a server-side store, named by the cookie (Express,
  Flask-Session, Django's ``db``/``file``/``cache`` and its own engines, aiohttp's Redis). It
  answers every question the shells have: which session a cookie names (a `SessionRef`),
  where it lives (`StoreFormat.store_key`), how its bytes decode and encode, how long it
  lives, how a new one looks and how activity extends it.

`Format` is either. A format never performs I/O and never reads the clock: ``now`` (Unix
seconds) is always an argument.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import Any, ClassVar, TypeAlias

from sessio.core._failures import Failure
from sessio.core._stored import Encoded, StoredSession
from sessio.core._verdicts import ClientSession, SessionRef

__all__ = ["CookieFormat", "Format", "StoreFormat"]


class CookieFormat(abc.ABC):
    """A format whose session is the cookie itself: read-only from a socket.

    Subclasses are frozen attrs classes.
    """

    #: Short name used in messages and by ``sessio inspect`` (``"flask"``, ``"starlette"``...).
    name: str
    #: The cookie that carries the session (``session`` for Flask and Starlette).
    key: str
    #: Whether `read_cookie` itself refuses a session nested more than ``MAX_NESTING`` deep,
    #: with `resolve`'s failure, so that `resolve` need not walk the session again (a format
    #: that has the decoded text can often bound the depth without walking at all).
    checks_nesting: ClassVar[bool] = False

    @property
    def writable(self) -> bool:
        """False: a socket cannot set the cookie that holds the session."""
        return False

    @abc.abstractmethod
    def read_cookie(self, value: str, now: float) -> ClientSession | Failure:
        """Verify one cookie value (already unquoted) and open the session it carries."""


class StoreFormat(abc.ABC):
    """A format whose session lives in a server-side store, named by the cookie.

    Subclasses are frozen attrs classes.
    """

    #: Short name used in messages and by ``sessio inspect`` (``"express"``...).
    name: str
    #: The cookie that names the session (session.socket.io's fourth argument,
    #: ``connect.sid``).
    key: str
    #: `CookieFormat.checks_nesting`'s counterpart, so that `resolve` can ask any format:
    #: False, as `read_cookie` answers no session data (`decode_stored` has `nesting_bound`).
    checks_nesting: ClassVar[bool] = False

    @property
    def writable(self) -> bool:
        """True: a socket can write the session back to its store."""
        return True

    @property
    def touches_on_save(self) -> bool:
        """Whether the framework applies its rolling expiry on every save."""
        return False

    @abc.abstractmethod
    def read_cookie(self, value: str, now: float) -> SessionRef | Failure:
        """Verify one cookie value (already unquoted) and say which session it names."""

    def store_key(self, session_id: str) -> str:
        """The store key of session `session_id`."""
        return session_id

    def nesting_bound(self, raw: bytes) -> int | None:
        """At most how deep what `decode` makes of `raw` can nest (None: no cheap bound).

        A format whose bytes spell every container with a character of its own (JSON text)
        answers how many such characters there are, and `decode_stored` then skips walking
        the session for depth when that is within the limit.
        """
        return None

    @abc.abstractmethod
    def decode(self, raw: bytes, now: float) -> StoredSession | Failure:
        """Store bytes to a session; a ``corrupt-session`` or ``expired`` failure otherwise."""

    @abc.abstractmethod
    def encode(self, stored: StoredSession, now: float) -> Encoded | Failure:
        """A session to store bytes and the TTL the framework would set on them."""

    def fresh(self, data: Mapping[str, Any], now: float) -> StoredSession:
        """A new session holding `data`, with the meta the framework gives a new session."""
        return StoredSession(data)

    def touch(self, stored: StoredSession, now: float) -> StoredSession:
        """The session as the framework keeps it after activity at `now` (rolling expiry)."""
        return stored

    def new_session_id(self, entropy: bytes) -> str:
        """A session id made from `entropy` (random bytes the shell supplies)."""
        return entropy.hex()

    @abc.abstractmethod
    def cookie_value(self, session_id: str) -> str:
        """The cookie value (as sent in a ``Cookie`` header) that names session `session_id`."""


#: Either kind of format: what `resolve`, `explain` and the shells' constructors take.
Format: TypeAlias = CookieFormat | StoreFormat
