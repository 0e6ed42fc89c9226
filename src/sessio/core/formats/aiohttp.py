"""aiohttp-session: the ``AIOHTTP_SESSION`` cookie with its three stock storages.

Facts, from aiohttp-session 2.12's own code (``__init__.py``, ``cookie_storage.py``,
``redis_storage.py``):

* the session document is ``json.dumps({"created": created, "session": {...}})`` (default
  separators), or ``json.dumps({})`` for an empty session; ``created`` is the Unix second of
  the last key set or deleted (``Session.__setitem__`` resets it).
* with ``max_age``, a session is empty once ``int(now) - created > max_age``, or at once when
  ``created`` is missing or 0 (``age = now - created if created else now``).
* SimpleCookieStorage: the cookie is that JSON; EncryptedCookieStorage: the cookie is a Fernet
  token of it, decrypted with ``ttl=max_age`` (Fernet: invalid when
  ``timestamp + ttl < int(now)`` or more than 60 s in the future); the secret is a Fernet key
  string, or 32 raw bytes that it base64url-encodes itself. Both are an `AiohttpCookieFormat`,
  read-only here. Cookies are set through `http.cookies`, so they arrive quoted: the cookie
  parser unquotes them.
* RedisStorage (an `AiohttpStoreFormat`): the cookie is the key (``uuid4().hex``), the Redis
  key is ``cookie_name + "_" + key``, the value the JSON above, set with ``ex=max_age`` (None:
  no expiry).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from typing import Any, ClassVar, Literal, TypeAlias, overload

import attrs
from attrs import field, frozen

from sessio.core._changes import MAX_NESTING, TOO_DEEP, nested_too_deep
from sessio.core._failures import Failure
from sessio.core._keys import one_or_more_keys
from sessio.core._verdicts import ClientSession
from sessio.core.formats._aiohttp import DocumentError, open_document
from sessio.core.formats._base import CookieFormat
from sessio.core.formats.aiohttp_store import AiohttpStoreFormat

__all__ = [
    "AiohttpCookieFormat",
    "AiohttpCookieStorage",
    "AiohttpFormat",
    "AiohttpStorage",
    "AiohttpStoreFormat",
    "aiohttp",
]

AiohttpStorage = Literal["simple", "encrypted", "redis"]
AiohttpCookieStorage = Literal["simple", "encrypted"]

_STORAGES: tuple[AiohttpStorage, ...] = ("simple", "encrypted", "redis")
_COOKIE_STORAGES: tuple[AiohttpCookieStorage, ...] = ("simple", "encrypted")
_JSON = json.JSONDecoder()
# cryptography's _MAX_CLOCK_SKEW: a token from further in the future is refused.
_MAX_CLOCK_SKEW = 60


def _fernet_key(value: str | bytes | bytearray) -> bytes:
    """The 32 raw bytes behind a Fernet key given either way aiohttp-session accepts it."""
    if isinstance(value, bytes | bytearray) and len(value) == 32:
        # EncryptedCookieStorage base64url-encodes a bytes secret_key itself.
        return bytes(value)
    try:
        raw = base64.urlsafe_b64decode(value)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise ValueError(
            "fernet_key must be 32 raw bytes or a Fernet key (32 bytes, url-safe base64), "
            "as EncryptedCookieStorage takes it"
        )
    return raw


def _storage_keys(instance: AiohttpCookieFormat, _: object, keys: tuple[bytes, ...]) -> None:
    # A key with any other storage would be kept and never used: SimpleCookieStorage takes
    # any hand-written JSON cookie, so the key would only make the config look protected.
    if instance.storage == "encrypted" and not keys:
        raise ValueError("storage='encrypted' needs fernet_key (EncryptedCookieStorage's key)")
    if instance.storage != "encrypted" and keys:
        raise _unused_fernet_key(instance.storage)


def _unused_fernet_key(storage: str) -> ValueError:
    return ValueError(
        f"fernet_key is EncryptedCookieStorage's key, and storage={storage!r} "
        "would never use it (a simple cookie is plain JSON that anyone can write): pass "
        "storage='encrypted', or drop fernet_key"
    )


@frozen
class AiohttpCookieFormat(CookieFormat):
    """aiohttp-session's SimpleCookieStorage or EncryptedCookieStorage: the session is the cookie.

    Read-only from a socket. Build with `aiohttp` (``"simple"`` or ``"encrypted"``).
    """

    storage: AiohttpCookieStorage = field(validator=attrs.validators.in_(_COOKIE_STORAGES))
    fernet_keys: tuple[bytes, ...] = field(default=(), repr=False, validator=_storage_keys)
    key: str = "AIOHTTP_SESSION"
    max_age: int | None = None
    name: str = field(default="aiohttp", init=False)
    checks_nesting: ClassVar[bool] = True
    # One `Fernet` per key, made at the first decryption (cryptography is imported only
    # then): building one per cookie cost more than the decryption itself.
    _fernets: dict[str, tuple[Any, ...]] = field(init=False, factory=dict, eq=False, repr=False)

    def read_cookie(self, value: str, now: float) -> ClientSession | Failure:
        """Decrypt (encrypted) and open the JSON document in the cookie.

        Refuses a session nested more than `MAX_NESTING` deep itself, as `resolve` would
        (`checks_nesting`): the JSON text bounds the depth, so most sessions are not walked.
        """
        secret_index: int | None = None
        text = value
        if self.storage == "encrypted":
            opened = self._decrypt(value, now)
            if isinstance(opened, Failure):
                return opened
            text, secret_index = opened
        try:
            # json.loads's own decoder, called direct (the text is always a str here).
            document = open_document(_JSON.decode(text), self.max_age, now)
        except DocumentError as error:
            return Failure.malformed(self.key, str(error))
        except (ValueError, RecursionError):
            return Failure.malformed(self.key, "it is not JSON")
        if isinstance(document, str):
            return Failure.expired(document)
        data, created = document
        # Every object and array in the data opens with a bracket of its own in the text.
        if text.count("{") + text.count("[") > MAX_NESTING and nested_too_deep(data):
            return Failure.malformed(self.key, TOO_DEEP)
        return ClientSession(data, secret_index, None if created is None else float(created))

    def _decrypt(self, token: str, now: float) -> tuple[str, int] | Failure:
        """``Fernet.decrypt(token)`` with each key in turn, then the time: text and key index."""
        fernets = self._fernets.get("keys")
        if fernets is None:
            try:
                from cryptography.fernet import Fernet
            except ImportError:
                return Failure.malformed(
                    self.key,
                    "decrypting it needs the 'cryptography' package: pip install "
                    "cryptography (sessio's 'aiohttp' extra brings it)",
                )
            # setdefault: two threads here at once keep one tuple between them.
            made = tuple(Fernet(base64.urlsafe_b64encode(k)) for k in self.fernet_keys)
            fernets = self._fernets.setdefault("keys", made)
        if token.isascii():
            # base64.urlsafe_b64decode's own steps, without its two calls around them.
            try:
                raw = binascii.a2b_base64(token.encode("ascii").translate(_URLSAFE))
            except binascii.Error:
                raw = b""
        else:
            try:
                raw = base64.urlsafe_b64decode(token.encode("utf-8"))
            except (binascii.Error, ValueError):
                raw = b""
        if len(raw) < 9 or raw[0] != 0x80:
            return Failure.malformed(self.key, "it is not a Fernet token")
        if not token.isascii() or len(raw) < _SHORTEST or (len(raw) - _SHORTEST) % 16:
            # No key can open it: Fernet refuses text that is not ASCII, and an IV or a
            # ciphertext that is not whole blocks (or none, so no padding), under every key.
            return Failure.bad_signature(self.key, len(self.fernet_keys))
        # Fernet itself (cryptography's): the signature, AES-CBC and the padding, key by key.
        # Without a ttl: the time is checked below, after the signature, so that a stale
        # token under a wrong key is reported as the wrong key (cryptography checks the time
        # first).
        for index, fernet in enumerate(fernets):
            try:
                plaintext = fernet.decrypt(token)
            except Exception:  # InvalidToken, or whatever a key cannot make of the token
                continue
            if self.max_age is not None:
                issued = int.from_bytes(raw[1:9], "big")
                if issued + self.max_age < int(now):
                    return Failure.expired(f"the Fernet token is older than {self.max_age} s")
                if int(now) + _MAX_CLOCK_SKEW < issued:
                    return Failure.malformed(self.key, "its Fernet timestamp is in the future")
            try:
                return plaintext.decode("utf-8"), index
            except UnicodeDecodeError:
                return Failure.malformed(self.key, "the decrypted session is not UTF-8")
        return Failure.bad_signature(self.key, len(self.fernet_keys))


# base64.urlsafe_b64decode's alphabet mapping: "-" and "_" to "+" and "/".
_URLSAFE = bytes.maketrans(b"-_", b"+/")


# The shortest Fernet token that holds a plaintext: version, time, IV, one block, HMAC.
_SHORTEST = 1 + 8 + 16 + 16 + 32


#: Either aiohttp-session format: what `aiohttp` returns for a storage not known statically.
AiohttpFormat: TypeAlias = AiohttpCookieFormat | AiohttpStoreFormat


@overload
def aiohttp(
    storage: Literal["redis"],
    fernet_key: None = None,
    key: str = "AIOHTTP_SESSION",
    max_age: int | None = None,
    prefix: str | None = None,
) -> AiohttpStoreFormat: ...
@overload
def aiohttp(
    storage: AiohttpCookieStorage,
    fernet_key: str | bytes | Sequence[str | bytes] | None = None,
    key: str = "AIOHTTP_SESSION",
    max_age: int | None = None,
    prefix: str | None = None,
) -> AiohttpCookieFormat: ...
@overload
def aiohttp(
    storage: AiohttpStorage,
    fernet_key: str | bytes | Sequence[str | bytes] | None = None,
    key: str = "AIOHTTP_SESSION",
    max_age: int | None = None,
    prefix: str | None = None,
) -> AiohttpFormat: ...


def aiohttp(
    storage: AiohttpStorage,
    fernet_key: str | bytes | Sequence[str | bytes] | None = None,
    key: str = "AIOHTTP_SESSION",
    max_age: int | None = None,
    prefix: str | None = None,
) -> AiohttpFormat:
    """aiohttp-session's format.

    `storage` names the storage class, and must be named (aiohttp-session has no default
    storage either): ``"simple"`` (SimpleCookieStorage: a plain JSON cookie that anyone can
    write, so trust it only where that is fine), ``"encrypted"`` (EncryptedCookieStorage) or
    ``"redis"`` (RedisStorage). `fernet_key` is EncryptedCookieStorage's ``secret_key`` (32 raw
    bytes or a Fernet key string), or a list of them for rotation (the first is the current
    one; any decrypts); it is needed with ``"encrypted"`` and refused with the others. `key`
    is ``cookie_name``, `max_age` the storage's ``max_age``; `prefix` defaults to
    ``cookie_name + "_"`` as RedisStorage keys it (the cookie storages have no use for it).
    ``"redis"`` gives an `AiohttpStoreFormat`, the others an `AiohttpCookieFormat`.
    """
    if storage not in _STORAGES:
        raise ValueError(f"storage must be one of {', '.join(_STORAGES)}, not {storage!r}")
    keys: tuple[bytes, ...] = ()
    if fernet_key is not None:
        keys = tuple(_fernet_key(k) for k in one_or_more_keys(fernet_key, "fernet_key"))
    if storage == "redis":
        if keys:
            raise _unused_fernet_key(storage)
        return AiohttpStoreFormat(key, max_age, key + "_" if prefix is None else prefix)
    return AiohttpCookieFormat(storage, keys, key, max_age)
