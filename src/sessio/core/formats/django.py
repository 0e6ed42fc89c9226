"""Django sessions (``django.contrib.sessions``): the ``sessionid`` cookie and its backends.

Facts, from Django 5.2's own code (``django/core/signing.py``, ``django/utils/crypto.py``,
``django/contrib/sessions/backends/``):

* ``signing.dumps(obj, salt=S, compress=True)``: compact JSON (``separators=(",", ":")``,
  ASCII), zlib-compressed when that saves more than one byte, base64url without padding with a
  ``.`` prefix when compressed; then ``TimestampSigner``: ``value:base62(int(time))``, then
  ``:base64url(HMAC-SHA256(key, value))`` with ``key = SHA256((S + "signer") + secret)``
  (``salted_hmac``). Verification tries ``SECRET_KEY`` then each of ``SECRET_KEY_FALLBACKS``;
  signing uses ``SECRET_KEY``. With ``max_age`` the value is expired when
  ``now - timestamp > max_age`` (checked after the signature).
* ``signed_cookies``: the cookie is ``dumps(session, salt="django.contrib.sessions.backends.
  signed_cookies", compress=True)``, checked against ``SESSION_COOKIE_AGE``. Read-only here.
* ``db``, ``file``, ``cache``: the cookie is the session key (Django mints 32 characters of
  ``[a-z0-9]`` and ignores keys shorter than 8). ``db`` keeps ``session_data`` =
  ``dumps(session, salt="django.contrib.sessions." + SessionStore.__qualname__, compress=True)``
  in ``django_session`` beside ``expire_date``; ``file`` keeps the same text in
  ``SESSION_FILE_PATH/<SESSION_COOKIE_NAME><key>``, expired once ``_session_expiry`` or
  mtime + ``SESSION_COOKIE_AGE`` is past; ``cache`` hands the dict itself to the cache, which
  pickles it (``RedisCache``: ``pickle.dumps(obj, HIGHEST_PROTOCOL)`` under
  ``KEY_PREFIX:VERSION:django.contrib.sessions.cache<key>``).
* expiry age (``get_expiry_age``): ``_session_expiry`` in the session; falsy means
  ``SESSION_COOKIE_AGE``, a number is that many seconds, an ISO datetime string is the whole
  seconds until it.
"""

from __future__ import annotations

import json
import math
import pickle
import string
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from attrs import field, frozen

from sessio.core._failures import Failure
from sessio.core._keys import key_list, one_key
from sessio.core._stored import Encoded, StoredSession
from sessio.core._verdicts import ClientSession, SessionRef
from sessio.core.formats._base import Format
from sessio.core.signers.django import Rejected, Unsigned, derived_key, dumps, unsign
from sessio.core.signers.itsdangerous import (
    to_bytes,
)

__all__ = ["DjangoBackend", "DjangoFormat", "DjangoSerializer", "django"]

DjangoBackend = Literal["signed_cookies", "db", "file", "cache"]
DjangoSerializer = Literal["json", "pickle"]

_BACKENDS: tuple[DjangoBackend, ...] = ("signed_cookies", "db", "file", "cache")
_SERIALIZERS: tuple[DjangoSerializer, ...] = ("json", "pickle")
SIGNED_COOKIES_SALT = "django.contrib.sessions.backends.signed_cookies"
SESSION_STORE_SALT = "django.contrib.sessions.SessionStore"
CACHE_KEY_PREFIX = "django.contrib.sessions.cache"
_BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
# Django's VALID_KEY_CHARS: the only characters it puts in a session key.
_KEY_CHARS = frozenset(string.ascii_lowercase + string.digits)
_KEY_LENGTH = 32


def _secrets(value: Sequence[str | bytes]) -> tuple[bytes, ...]:
    return tuple(to_bytes(s) for s in key_list(value, "secrets", at_least_one=True))


def _parse_expiry(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    # Django compares with timezone.now(), aware under USE_TZ (the default since 4.0); a naive
    # value is taken as UTC rather than the server's unknown local time.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _whole_seconds(moment: datetime, now: float) -> int:
    # timedelta's days * 86400 + seconds: whole seconds, rounded down.
    return math.floor(moment.timestamp() - now)


@frozen
class DjangoFormat(Format):
    """Django's session cookie and one backend's store layout. Build with `django`."""

    secrets: tuple[bytes, ...] = field(converter=_secrets, repr=False)
    key: str = "sessionid"
    backend: DjangoBackend = "signed_cookies"
    max_age: float | None = 1209600
    salt: str = SIGNED_COOKIES_SALT
    serializer: DjangoSerializer = "json"
    allow_pickle: bool = False
    cache_prefix: str = ""
    cache_version: int = 1
    name: str = field(default="django", init=False)
    _keys: tuple[bytes, ...] = field(init=False, repr=False, eq=False)

    @_keys.default
    def _derive_keys(self) -> tuple[bytes, ...]:
        return tuple(derived_key(self.salt, secret) for secret in self.secrets)

    @property
    def writable(self) -> bool:
        """False for ``signed_cookies`` (the session is the cookie); True otherwise."""
        return self.backend != "signed_cookies"

    def _unsign(self, signed: str, max_age: float | None, now: float) -> Unsigned | Rejected:
        return unsign(signed, self._keys, max_age, now)

    def sign(self, data: Mapping[str, Any], now: float) -> str | Failure:
        """``signing.dumps(data, salt=self.salt, compress=True)`` signed at `now`."""
        payload = self._serialize(data)
        if isinstance(payload, Failure):
            return payload
        return dumps(payload, self._keys[0], now)

    def _serialize(self, data: Mapping[str, Any]) -> bytes | Failure:
        try:
            if self.serializer == "pickle":
                return pickle.dumps(dict(data), pickle.HIGHEST_PROTOCOL)
            # Django's JSONSerializer: compact, ASCII (ensure_ascii), NaN allowed, latin-1 bytes.
            return json.dumps(dict(data), separators=(",", ":")).encode("latin-1")
        except (TypeError, ValueError, AttributeError, RecursionError, pickle.PicklingError) as e:
            return Failure.unserializable(f"Django {self.serializer}", type(e).__name__)

    def _deserialize(self, payload: bytes) -> dict[str, Any] | str:
        """The session dict, or why the payload is not one."""
        if self.serializer == "pickle":
            return self._unpickle(payload)
        try:
            document = json.loads(payload.decode("latin-1"))
        except (ValueError, RecursionError) as error:
            return f"the payload is not JSON ({type(error).__name__})"
        if not isinstance(document, dict):
            return "the payload is not a JSON object"
        return document

    def _unpickle(self, payload: bytes) -> dict[str, Any] | str:
        # The caller has checked allow_pickle: only then is this code execution accepted.
        try:
            document = pickle.loads(payload)
        except Exception as error:  # a broken pickle can raise almost anything
            return f"the pickle does not load ({type(error).__name__})"
        if not isinstance(document, dict):
            return "the pickle is not a dict"
        return document

    # -- the Format interface ---------------------------------------------------------------

    def read_cookie(self, value: str, now: float) -> SessionRef | ClientSession | Failure:
        """``signed_cookies``: verify and open the cookie; otherwise take it as the session key."""
        if self.backend != "signed_cookies":
            if len(value) < 8:
                return Failure.malformed(self.key, "a session key is at least 8 characters")
            if not _KEY_CHARS.issuperset(value):
                return Failure.malformed(self.key, "a session key is made of a-z and 0-9 only")
            return SessionRef(value, self.store_key(value))
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                # Django's force_bytes raises here, and signed_cookies' load() turns any
                # error into a new, empty session.
                return Failure.malformed(self.key, "it is not encodable text")
        unsigned = self._unsign(value, self.max_age, now)
        if isinstance(unsigned, Rejected):
            if unsigned.kind == "bad-signature":
                return Failure.bad_signature(self.key, len(self._keys))
            if unsigned.kind == "expired":
                return Failure.expired(unsigned.why)
            return Failure.malformed(self.key, unsigned.why)
        if self.serializer == "pickle" and not self.allow_pickle:
            return Failure.unsafe_pickle(self.name)
        document = self._deserialize(unsigned.payload)
        if isinstance(document, str):
            return Failure.malformed(self.key, document)
        return ClientSession(document, unsigned.secret_index, float(unsigned.timestamp))

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
        if not self.writable:
            return Failure.read_only(self.name)
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
        unsigned = self._unsign(text, None, now)
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
        document = self._deserialize(unsigned.payload)
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
        document = self._unpickle(raw)
        if isinstance(document, str):
            return Failure.corrupt(document)
        return StoredSession(document)

    def _unexpired(
        self, document: dict[str, Any], timestamp: int, now: float
    ) -> StoredSession | Failure:
        expiry = document.get("_session_expiry")
        if isinstance(expiry, str):
            moment = _parse_expiry(expiry)
            if moment is None:
                return Failure.corrupt("_session_expiry is not an ISO datetime")
            # The file backend expires at get_expiry_age() <= 0 (whole seconds); the db and
            # cache backends at the datetime itself (expire_date, the cache timeout).
            over = (
                _whole_seconds(moment, now) <= 0
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
        if not self.writable:
            return Failure.read_only(self.name)
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
        expiry = data.get("_session_expiry")
        if not expiry:
            return None if self.max_age is None else math.floor(self.max_age)
        if isinstance(expiry, int | float) and math.isfinite(expiry):
            return math.floor(expiry)
        if isinstance(expiry, str):
            moment = _parse_expiry(expiry)
            if moment is not None:
                return _whole_seconds(moment, now)
        return Failure.unserializable(self.name, "_session_expiry is not seconds or a datetime")

    def new_session_id(self, entropy: bytes) -> str:
        """32 characters of ``[a-z0-9]``, like ``get_random_string(32, VALID_KEY_CHARS)``.

        Give at least 21 bytes of entropy: 36**32 is about 2**165.
        """
        number = int.from_bytes(entropy, "big") % 36**_KEY_LENGTH
        digits = []
        for _ in range(_KEY_LENGTH):
            number, remainder = divmod(number, 36)
            digits.append((string.digits + string.ascii_lowercase)[remainder])
        return "".join(digits)

    def cookie_value(self, session_id: str) -> str | Failure:
        """The session key itself: Django sets ``sessionid=<key>``."""
        if not self.writable:
            return Failure.read_only(self.name)
        return session_id


def django(
    secret_key: str | bytes,
    fallbacks: Sequence[str | bytes] = (),
    key: str = "sessionid",
    backend: DjangoBackend = "signed_cookies",
    max_age: float | None = 1209600,
    salt: str | None = None,
    serializer: DjangoSerializer = "json",
    allow_pickle: bool = False,
    *,
    cache_prefix: str = "",
    cache_version: int = 1,
) -> DjangoFormat:
    """Django's session format.

    `secret_key` and `fallbacks` are ``SECRET_KEY`` and ``SECRET_KEY_FALLBACKS`` (secret index
    0 is `secret_key`, index i is ``fallbacks[i - 1]``); `key` is ``SESSION_COOKIE_NAME``;
    `backend` the last part of ``SESSION_ENGINE`` (``signed_cookies``, ``db``, ``file`` or
    ``cache``); `max_age` is ``SESSION_COOKIE_AGE``; `salt` defaults to the backend's
    (override it for a ``SessionStore`` subclass: ``"django.contrib.sessions." +
    YourStore.__qualname__``); `serializer` is ``"json"`` (Django's default, the only one left
    in Django 5) or ``"pickle"`` (Django < 5's ``PickleSerializer``). `allow_pickle` lets sessio
    unpickle what it reads (the cache backend, the pickle serializer): only set it when nothing
    but your own code can write the store. `cache_prefix` and `cache_version` are the cache's
    ``KEY_PREFIX`` and ``VERSION`` (the cache backend's keys are ``prefix:version:key``).
    """
    if backend not in _BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(_BACKENDS)}, not {backend!r}")
    if serializer not in _SERIALIZERS:
        raise ValueError(f"serializer must be 'json' or 'pickle', not {serializer!r}")
    current = one_key(secret_key, "secret_key")
    previous = key_list(fallbacks, "fallbacks")
    if salt is None:
        salt = SIGNED_COOKIES_SALT if backend == "signed_cookies" else SESSION_STORE_SALT
    return DjangoFormat(
        (current, *previous),
        key,
        backend,
        max_age,
        salt,
        serializer,
        allow_pickle,
        cache_prefix,
        cache_version,
    )
