"""What a session format is: one framework's cookie and store layout, as pure functions.

A `Format` answers every question the shells have about a framework's sessions: the cookie's
name, what a cookie value means (`read_cookie`), where a server-side session lives
(`store_key`), how its bytes decode and encode, how long it lives, how a new one looks and how
activity extends it. It never performs I/O and never reads the clock: ``now`` (Unix seconds)
is always an argument.

Formats whose session lives in the browser cookie (Flask's default, Starlette, signed Django
cookies, aiohttp's cookie storages) are read-only from a socket: their `writable` is False and
their store methods answer with a ``read-only`` `Failure`.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import Any

from sessio.core._failures import Failure
from sessio.core._stored import Encoded, StoredSession
from sessio.core._verdicts import ClientSession, SessionRef

__all__ = ["Format"]


class Format(abc.ABC):
    """One framework's session layout. Subclasses are frozen attrs classes."""

    #: Short name used in messages and by ``sessio inspect`` (``"express"``, ``"flask"``...).
    name: str
    #: The cookie that carries the session (the seed's fourth argument, ``connect.sid``).
    key: str

    @property
    def writable(self) -> bool:
        """Whether a socket can write this session back (it lives in a server-side store)."""
        return True

    @property
    def touches_on_save(self) -> bool:
        """Whether the framework applies its rolling expiry on every save."""
        return False

    @abc.abstractmethod
    def read_cookie(self, value: str, now: float) -> SessionRef | ClientSession | Failure:
        """Verify one cookie value (already unquoted) and say what it refers to."""

    def store_key(self, session_id: str) -> str:
        """The store key of session `session_id`."""
        return session_id

    def decode(self, raw: bytes, now: float) -> StoredSession | Failure:
        """Store bytes to a session; a ``corrupt-session`` or ``expired`` failure otherwise."""
        return Failure.read_only(self.name)

    def encode(self, stored: StoredSession, now: float) -> Encoded | Failure:
        """A session to store bytes and the TTL the framework would set on them."""
        return Failure.read_only(self.name)

    def fresh(self, data: Mapping[str, Any], now: float) -> StoredSession:
        """A new session holding `data`, with the meta the framework gives a new session."""
        return StoredSession(data)

    def touch(self, stored: StoredSession, now: float) -> StoredSession:
        """The session as the framework keeps it after activity at `now` (rolling expiry)."""
        return stored

    def new_session_id(self, entropy: bytes) -> str:
        """A session id made from `entropy` (random bytes the shell supplies)."""
        return entropy.hex()

    def cookie_value(self, session_id: str) -> str | Failure:
        """The cookie value (as sent in a ``Cookie`` header) that names session `session_id`."""
        return Failure.read_only(self.name)
