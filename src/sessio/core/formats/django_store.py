"""Django's ``db``, ``file`` and ``cache`` session backends: the cookie is the session key.

Built by `sessio.core.formats.django.django` (``backend="db"``, ``"file"`` or ``"cache"``).

Facts, from Django 5.2's own code (``django/contrib/sessions/backends/``; how
``signing.dumps`` signs is atop `sessio.core.formats.django`):

* the cookie is the session key (Django mints 32 characters of ``[a-z0-9]`` and ignores keys
  shorter than 8). ``db`` keeps ``session_data`` = ``dumps(session, salt=
  "django.contrib.sessions." + SessionStore.__qualname__, compress=True)`` in
  ``django_session`` beside ``expire_date``; ``file`` keeps the same text in
  ``SESSION_FILE_PATH/<SESSION_COOKIE_NAME><key>``, expired once ``_session_expiry`` or
  mtime + ``SESSION_COOKIE_AGE`` is past; ``cache`` hands the dict itself to the cache, which
  pickles it (``RedisCache``: ``pickle.dumps(obj, HIGHEST_PROTOCOL)`` under
  ``KEY_PREFIX:VERSION:django.contrib.sessions.cache<key>``).
* expiry age (``get_expiry_age``): ``_session_expiry`` in the session; falsy means
  ``SESSION_COOKIE_AGE``, a number is that many seconds, an ISO datetime string is the whole
  seconds until it.
"""

from __future__ import annotations

import math
import pickle
from collections.abc import Mapping
from typing import Any, Literal

import attrs
from attrs import field, frozen

from sessio.core._failures import Failure
from sessio.core._stored import Encoded, StoredSession
from sessio.core._verdicts import SessionRef
from sessio.core.formats._base import StoreFormat
from sessio.core.formats._convert import secrets_bytes
from sessio.core.formats._django import (
    DjangoSerializer,
    check_session_key,
    derive_keys,
    deserialize,
    new_session_key,
    parse_expiry,
    session_expiry,
    sign_session,
    unpickle,
    whole_seconds,
)
from sessio.core.signers._primitives import Rejected
from sessio.core.signers.django import unsign

__all__ = ["DjangoStoreBackend", "DjangoStoreFormat"]

DjangoStoreBackend = Literal["db", "file", "cache"]

_STORE_BACKENDS: tuple[DjangoStoreBackend, ...] = ("db", "file", "cache")
SESSION_STORE_SALT = "django.contrib.sessions.SessionStore"
CACHE_KEY_PREFIX = "django.contrib.sessions.cache"


@frozen
class DjangoStoreFormat(StoreFormat):
    """Django's ``db``, ``file`` or ``cache`` backend: the cookie is the session key.

    Build with `django` (``backend="db"``, ``"file"`` or ``"cache"``).
    """

    secrets: tuple[bytes, ...] = field(converter=secrets_bytes, repr=False)
    key: str = "sessionid"
    backend: DjangoStoreBackend = field(
        default="db", validator=attrs.validators.in_(_STORE_BACKENDS)
    )
    max_age: float | None = 1209600
    salt: str = SESSION_STORE_SALT
    serializer: DjangoSerializer = "json"
    allow_pickle: bool = False
    cache_prefix: str = ""
    cache_version: int = 1
    name: str = field(default="django", init=False)
    _keys: tuple[bytes, ...] = field(init=False, repr=False, eq=False)

    @_keys.default
    def _derive_keys(self) -> tuple[bytes, ...]:
        return derive_keys(self.salt, self.secrets)

    def sign(self, data: Mapping[str, Any], now: float) -> str | Failure:
        """``signing.dumps(data, salt=self.salt, compress=True)`` signed at `now`."""
        return sign_session(self._keys, self.serializer, data, now)

    def read_cookie(self, value: str, now: float) -> SessionRef | Failure:
        """The session key, checked as Django mints them: 8+ characters of ``[a-z0-9]``."""
        refused = check_session_key(value, self.key)
        if refused is not None:
            return refused
        return SessionRef(value, self.store_key(value))

    def store_key(self, session_id: str) -> str:
        """The row's primary key (db), the file name (file) or the Redis cache key (cache)."""
        if self.backend == "file":
            return self.key + session_id
        if self.backend == "cache":
            # BaseCache.make_key's default key function: KEY_PREFIX:VERSION:key.
            return f"{self.cache_prefix}:{self.cache_version}:{CACHE_KEY_PREFIX}{session_id}"
        return session_id

    def decode(self, raw: bytes, now: float) -> StoredSession | Failure:
        """``session_data`` (db, file) or the cache's pickle, to the session."""
        if self.backend == "cache":
            return self._decode_cache(raw)
        if raw.startswith(b"\x80"):
            return Failure.corrupt(
                "it is a pickle, not signed session_data: Django's cache backend writes "
                "pickles, so check the backend (backend='cache')"
            )
        try:
            text = raw.decode("ascii")
        except UnicodeDecodeError:
            return Failure.corrupt("session_data is not ASCII")
        # SessionBase.decode passes no max_age: expiry lives in expire_date, mtime or a TTL.
        unsigned = unsign(text, self._keys, None, now)
        if isinstance(unsigned, Rejected):
            if unsigned.kind == "bad-signature":
                return Failure(
                    "bad-signature",
                    f"the stored session_data has a signature that none of the "
                    f"{len(self._keys)} configured secret(s) verifies. Check SECRET_KEY and "
                    "SECRET_KEY_FALLBACKS (and salt, for a SessionStore subclass).",
                )
            return Failure.corrupt(unsigned.why)
        if self.serializer == "pickle" and not self.allow_pickle:
            return Failure.unsafe_pickle(self.name)
        document = deserialize(unsigned.payload, self.serializer)
        if isinstance(document, str):
            return Failure.corrupt(document)
        return self._unexpired(document, unsigned.timestamp, now)

    def _decode_cache(self, raw: bytes) -> StoredSession | Failure:
        if not raw.startswith(b"\x80"):
            return Failure.corrupt(
                "it is not a pickle, as Django's RedisCache stores sessions: check the "
                "backend (backend='db' or 'file' for signed session_data)"
            )
        if not self.allow_pickle:
            return Failure.unsafe_pickle(self.name)
        document = unpickle(raw)
        if isinstance(document, str):
            return Failure.corrupt(document)
        return StoredSession(document)

    def _unexpired(
        self, document: dict[str, Any], timestamp: int, now: float
    ) -> StoredSession | Failure:
        expiry = document.get("_session_expiry")
        if isinstance(expiry, str):
            moment = parse_expiry(expiry)
            if moment is None:
                return Failure.corrupt("_session_expiry is not an ISO datetime")
            # The file backend expires at get_expiry_age() <= 0 (whole seconds); the db and
            # cache backends at the datetime itself (expire_date, the cache timeout).
            over = (
                whole_seconds(moment, now) <= 0
                if self.backend == "file"
                else (moment.timestamp() <= now)
            )
            if over:
                return Failure.expired(f"_session_expiry was {expiry}")
        elif not expiry and self.backend == "file" and self.max_age is not None:
            # The file backend's clock is the file's mtime, which is when Django signed it.
            left = math.floor(timestamp + self.max_age - now)
            if left <= 0:
                return Failure.expired(f"written {now - timestamp:.0f} s ago")
        return StoredSession(document)

    def encode(self, stored: StoredSession, now: float) -> Encoded | Failure:
        """``SessionBase.encode`` (db, file) or the cache's pickle, with the expiry age as TTL."""
        ttl = self.expiry_age(stored.data, now)
        if isinstance(ttl, Failure):
            return ttl
        if self.backend == "cache":
            # Writing a pickle is safe; only reading one is code execution.
            try:
                value = pickle.dumps(dict(stored.data), pickle.HIGHEST_PROTOCOL)
            except (TypeError, AttributeError, RecursionError, pickle.PicklingError) as error:
                return Failure.unserializable("a pickle", type(error).__name__)
            return Encoded(value, ttl)
        signed = self.sign(stored.data, now)
        if isinstance(signed, Failure):
            return signed
        return Encoded(signed.encode("ascii"), ttl)

    def expiry_age(self, data: Mapping[str, Any], now: float) -> int | Failure | None:
        """``SessionBase.get_expiry_age`` at `now`: seconds the session has left."""
        age = session_expiry(data, now, self.name)
        if age is None and self.max_age is not None:
            return math.floor(self.max_age)
        return age

    def new_session_id(self, entropy: bytes) -> str:
        """32 characters of ``[a-z0-9]``, like ``get_random_string(32, VALID_KEY_CHARS)``.

        Give at least 21 bytes of entropy: 36**32 is about 2**165.
        """
        return new_session_key(entropy)

    def cookie_value(self, session_id: str) -> str:
        """The session key itself: Django sets ``sessionid=<key>``."""
        return session_id
