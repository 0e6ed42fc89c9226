"""Django sessions (``django.contrib.sessions``): the ``sessionid`` cookie and its backends.

`django` builds the format for a ``SESSION_ENGINE``: a `DjangoCookieFormat` (here) for
``signed_cookies``, a `DjangoStoreFormat` (`sessio.core.formats.django_store`) for ``db``,
``file`` and ``cache``.

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
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, TypeAlias, overload

from attrs import field, frozen

from sessio.core._failures import Failure
from sessio.core._keys import key_list, one_key
from sessio.core._verdicts import ClientSession
from sessio.core.formats._base import CookieFormat
from sessio.core.formats._convert import secrets_bytes
from sessio.core.formats._django import DjangoSerializer, derive_keys, deserialize, sign_session
from sessio.core.formats.django_store import (
    SESSION_STORE_SALT,
    DjangoStoreBackend,
    DjangoStoreFormat,
)
from sessio.core.signers._primitives import Rejected
from sessio.core.signers.django import unsign

__all__ = [
    "DjangoBackend",
    "DjangoCookieFormat",
    "DjangoFormat",
    "DjangoSerializer",
    "DjangoStoreBackend",
    "DjangoStoreFormat",
    "django",
]

DjangoBackend = Literal["signed_cookies", "db", "file", "cache"]

_BACKENDS: tuple[DjangoBackend, ...] = ("signed_cookies", "db", "file", "cache")
_SERIALIZERS: tuple[DjangoSerializer, ...] = ("json", "pickle")
SIGNED_COOKIES_SALT = "django.contrib.sessions.backends.signed_cookies"


@frozen
class DjangoCookieFormat(CookieFormat):
    """Django's ``signed_cookies`` backend: the session is the signed ``sessionid`` cookie.

    Read-only from a socket. Build with `django` (the default ``backend``).
    """

    secrets: tuple[bytes, ...] = field(converter=secrets_bytes, repr=False)
    key: str = "sessionid"
    max_age: float | None = 1209600
    salt: str = SIGNED_COOKIES_SALT
    serializer: DjangoSerializer = "json"
    allow_pickle: bool = False
    backend: Literal["signed_cookies"] = field(default="signed_cookies", init=False)
    name: str = field(default="django", init=False)
    _keys: tuple[bytes, ...] = field(init=False, repr=False, eq=False)

    @_keys.default
    def _derive_keys(self) -> tuple[bytes, ...]:
        return derive_keys(self.salt, self.secrets)

    def sign(self, data: Mapping[str, Any], now: float) -> str | Failure:
        """``signing.dumps(data, salt=self.salt, compress=True)`` signed at `now`."""
        return sign_session(self._keys, self.serializer, data, now)

    def read_cookie(self, value: str, now: float) -> ClientSession | Failure:
        """Verify the cookie's signature and age at `now`, then open the session in it."""
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                # Django's force_bytes raises here, and signed_cookies' load() turns any
                # error into a new, empty session.
                return Failure.malformed(self.key, "it is not encodable text")
        unsigned = unsign(value, self._keys, self.max_age, now)
        if isinstance(unsigned, Rejected):
            if unsigned.kind == "bad-signature":
                return Failure.bad_signature(self.key, len(self._keys))
            if unsigned.kind == "expired":
                return Failure.expired(unsigned.why)
            return Failure.malformed(self.key, unsigned.why)
        if self.serializer == "pickle" and not self.allow_pickle:
            return Failure.unsafe_pickle(self.name)
        document = deserialize(unsigned.payload, self.serializer)
        if isinstance(document, str):
            return Failure.malformed(self.key, document)
        return ClientSession(document, unsigned.secret_index, float(unsigned.timestamp))


#: Either Django format: what `django` returns for a ``backend`` it does not know statically.
DjangoFormat: TypeAlias = DjangoCookieFormat | DjangoStoreFormat


@overload
def django(
    secret_key: str | bytes,
    fallbacks: Sequence[str | bytes] = (),
    key: str = "sessionid",
    backend: Literal["signed_cookies"] = "signed_cookies",
    max_age: float | None = 1209600,
    salt: str | None = None,
    serializer: DjangoSerializer = "json",
    allow_pickle: bool = False,
    *,
    cache_prefix: str = "",
    cache_version: int = 1,
) -> DjangoCookieFormat: ...
@overload
def django(
    secret_key: str | bytes,
    fallbacks: Sequence[str | bytes] = (),
    key: str = "sessionid",
    *,
    backend: DjangoStoreBackend,
    max_age: float | None = 1209600,
    salt: str | None = None,
    serializer: DjangoSerializer = "json",
    allow_pickle: bool = False,
    cache_prefix: str = "",
    cache_version: int = 1,
) -> DjangoStoreFormat: ...
@overload
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
) -> DjangoFormat: ...


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
    """Django's session format: a `DjangoCookieFormat` for ``signed_cookies``, else a
    `DjangoStoreFormat`.

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
    secrets = (one_key(secret_key, "secret_key"), *key_list(fallbacks, "fallbacks"))
    if backend == "signed_cookies":
        salt = SIGNED_COOKIES_SALT if salt is None else salt
        return DjangoCookieFormat(secrets, key, max_age, salt, serializer, allow_pickle)
    return DjangoStoreFormat(
        secrets,
        key,
        backend,
        max_age,
        SESSION_STORE_SALT if salt is None else salt,
        serializer,
        allow_pickle,
        cache_prefix,
        cache_version,
    )
