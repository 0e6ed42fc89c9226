"""Django sessions read and written through the app's own ``SessionStore``: the format.

`DjangoStore` (``sessio.aio`` / ``sessio.sync``) hands every operation to the engine named by
``SESSION_ENGINE`` (``db``, ``cached_db``, ``cache``, ``file`` or a custom subclass), so sessio
never touches ``session_data``, pickles or cache keys itself. What crosses the `Store` protocol
is the session dict as the engine loaded it, in one canonical form: compact JSON with sorted
keys, ASCII-escaped, as Django's ``JSONSerializer`` writes it but for the key order. The same
dict always gives the same bytes, which is what the shells' compare-and-set needs.

This module is that format: the cookie is the session key itself, the store key is the same
key, the bytes are the canonical JSON, and the TTL is Django's ``get_expiry_age``:
``_session_expiry`` when the session has one (seconds, or an ISO datetime), else `max_age`
(``SESSION_COOKIE_AGE``). Expiry is the engine's business: `DjangoStore` only ever returns
live sessions, so `decode` does not second-guess it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from attrs import field, frozen

from sessio.core._failures import Failure
from sessio.core._stored import Encoded, StoredSession
from sessio.core._verdicts import SessionRef
from sessio.core.formats._base import StoreFormat
from sessio.core.formats._django import check_session_key, new_session_key, session_expiry

__all__ = ["DjangoNativeFormat", "canonical", "django_native", "parse_canonical"]


def canonical(data: Mapping[str, Any]) -> bytes:
    """The session dict as the bytes `DjangoStore` hands out: sorted, compact, ASCII JSON.

    Raises TypeError or ValueError when the dict holds something JSON cannot carry.
    """
    return json.dumps(dict(data), sort_keys=True, separators=(",", ":")).encode("ascii")


def parse_canonical(raw: bytes) -> dict[str, Any] | str:
    """The session dict in `raw`, or why `raw` is not one."""
    try:
        document = json.loads(raw.decode("ascii"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        return f"it is not canonical session JSON ({type(error).__name__})"
    if not isinstance(document, dict):
        return "it is not a JSON object"
    return document


@frozen
class DjangoNativeFormat(StoreFormat):
    """Django's ``sessionid`` cookie, with the session kept by the app's own engine.

    Pair it with `DjangoStore`; build it with `django_native` (or ``DjangoStore.format()``,
    which reads ``SESSION_COOKIE_NAME`` and ``SESSION_COOKIE_AGE`` from the settings).
    """

    key: str = "sessionid"
    max_age: int = 1209600
    name: str = field(default="django", init=False)

    def read_cookie(self, value: str, now: float) -> SessionRef | Failure:
        """The session key, checked as Django mints them: 8+ characters of ``[a-z0-9]``."""
        refused = check_session_key(value, self.key)
        if refused is not None:
            return refused
        return SessionRef(value, value)

    def decode(self, raw: bytes, now: float) -> StoredSession | Failure:
        """`DjangoStore`'s canonical JSON to the session."""
        document = parse_canonical(raw)
        if isinstance(document, str):
            return Failure.corrupt(document)
        return StoredSession(document)

    def encode(self, stored: StoredSession, now: float) -> Encoded | Failure:
        """The canonical JSON, with Django's expiry age at `now` as the TTL."""
        ttl = self.expiry_age(stored.data, now)
        if isinstance(ttl, Failure):
            return ttl
        try:
            value = canonical(stored.data)
        except (TypeError, ValueError, RecursionError) as error:
            return Failure.unserializable("Django session JSON", type(error).__name__)
        return Encoded(value, ttl)

    def expiry_age(self, data: Mapping[str, Any], now: float) -> int | Failure:
        """``SessionBase.get_expiry_age`` at `now`: whole seconds the session has left."""
        age = session_expiry(data, now, self.name)
        return self.max_age if age is None else age

    def new_session_id(self, entropy: bytes) -> str:
        """32 characters of ``[a-z0-9]``, like Django's ``_get_new_session_key``.

        Give at least 21 bytes of entropy: 36**32 is about 2**165.
        """
        return new_session_key(entropy)

    def cookie_value(self, session_id: str) -> str:
        """The session key itself: Django sets ``sessionid=<key>``."""
        return session_id


def django_native(key: str = "sessionid", max_age: int = 1209600) -> DjangoNativeFormat:
    """Django sessions kept by the app's own ``SessionStore``, through `DjangoStore`.

    For the ``db``, ``cached_db``, ``cache`` and ``file`` engines and custom ones alike: no
    secret is needed, since the engine signs and verifies its own data. `key` is
    ``SESSION_COOKIE_NAME`` and `max_age` is ``SESSION_COOKIE_AGE`` (the TTL of a session
    without its own ``_session_expiry``). ``DjangoStore.format()`` builds it from the settings.
    """
    if not key:
        raise ValueError("key (Django's SESSION_COOKIE_NAME) must not be empty")
    if max_age <= 0:
        raise ValueError(f"max_age (Django's SESSION_COOKIE_AGE) must be positive, not {max_age}")
    return DjangoNativeFormat(key, max_age)
