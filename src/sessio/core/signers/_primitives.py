"""The building blocks the signer ports share: bytes, HMAC, base64, a capped inflate, `Rejected`.

Only what the frameworks' own signers do (cookie-signature, itsdangerous, django.core.signing),
so that sessio verifies exactly what they produce. Comparisons are constant-time.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import importlib
import zlib
from collections.abc import Callable
from typing import Any, Literal

from attrs import frozen

__all__ = [
    "MAX_DECOMPRESSED",
    "Rejected",
    "b64decode_url",
    "b64encode_std_nopad",
    "b64encode_url_nopad",
    "constant_time_equal",
    "hmac_digest",
    "hmac_sha256_states",
    "hmac_sha256_with",
    "inflate",
    "to_bytes",
]


def to_bytes(value: str | bytes) -> bytes:
    """Secrets and messages may be given as text (UTF-8) or bytes."""
    return value if isinstance(value, bytes) else value.encode("utf-8")


def hmac_digest(key: bytes, message: bytes, algorithm: str = "sha256") -> bytes:
    """HMAC of `message` under `key`.

    The signers call this with the same few derived keys on every handshake: the keyed
    hash states are prepared once per key (`_keyed_hmac`), as `hmac_sha256_with` does.
    """
    return _keyed_hmac(key, algorithm)(message)


@functools.lru_cache(maxsize=64)
def _keyed_hmac(key: bytes, algorithm: str) -> Callable[[bytes], bytes]:
    constructor = _STATE_COPYING.get(algorithm)
    if constructor is None:
        return functools.partial(_plain_hmac, key, getattr(hashlib, algorithm))
    inner_start, outer_start = _hmac_states(key, constructor)

    def mac(message: bytes) -> bytes:
        inner = inner_start.copy()
        inner.update(message)
        outer = outer_start.copy()
        outer.update(inner.digest())
        result: bytes = outer.digest()
        return result

    return mac


def _plain_hmac(key: bytes, digestmod: Any, message: bytes) -> bytes:
    return hmac.new(key, message, digestmod).digest()


_SHA256_BLOCK = 64
_IPAD = bytes(x ^ 0x36 for x in range(256))
_OPAD = bytes(x ^ 0x5C for x in range(256))


def _state_copying(name: str, modules: tuple[str, ...]) -> Callable[[bytes], Any]:
    """CPython's own SHA-256 (``_sha2`` from 3.12, ``_sha256`` before), else hashlib's.

    HMAC with a prepared key is two state copies and two one-block digests. CPython's own
    hash object copies a plain struct; OpenSSL's (`hashlib.sha256`) allocates a context for
    each copy and another for each digest, which costs more than the two compressions it
    saves with SHA instructions: measured under callgrind, 9,600 against 13,200 instructions
    per HMAC of a session id (benchmarks/resolve_instructions.py).
    """
    for module in modules:
        try:
            constructor: Callable[[bytes], Any] = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError):
            continue
        return constructor
    fallback: Callable[[bytes], Any] = getattr(hashlib, name)
    return fallback


_SHA256 = _state_copying("sha256", ("_sha2", "_sha256"))
# itsdangerous signs with HMAC-SHA1 (Flask, Flask-Session, Starlette).
_STATE_COPYING = {"sha256": _SHA256, "sha1": _state_copying("sha1", ("_sha1",))}


def _hmac_states(key: bytes, constructor: Callable[[bytes], Any]) -> tuple[Any, Any]:
    # SHA-1 and SHA-256 both hash 64-byte blocks.
    if len(key) > _SHA256_BLOCK:
        key = constructor(key).digest()
    key = key.ljust(_SHA256_BLOCK, b"\0")
    return constructor(key.translate(_IPAD)), constructor(key.translate(_OPAD))


def hmac_sha256_states(key: bytes) -> tuple[Any, Any]:
    """The SHA-256 states of HMAC-SHA256 under `key` (RFC 2104) after its padded key block.

    The HMAC of a message is then: copy the first, feed it the message, copy the second,
    feed it the first's digest, take the second's digest (`hmac_sha256_with` does that).
    """
    return _hmac_states(key, _SHA256)


def hmac_sha256_with(key: bytes) -> Callable[[bytes], bytes]:
    """HMAC-SHA256 under `key` (RFC 2104), with the padded key hashed once, up front.

    For a key used on every handshake: each call then copies two hash states instead of
    keying a new HMAC, about half the work of `hmac.digest` for a cookie-sized message.
    """
    inner_start, outer_start = hmac_sha256_states(key)

    def mac(message: bytes) -> bytes:
        inner = inner_start.copy()
        inner.update(message)
        outer = outer_start.copy()
        outer.update(inner.digest())
        result: bytes = outer.digest()
        return result

    return mac


def constant_time_equal(a: bytes | str, b: bytes | str) -> bool:
    """Compare two values without leaking where they differ."""
    return hmac.compare_digest(to_bytes(a), to_bytes(b))


def b64encode_std_nopad(data: bytes) -> str:
    """Standard alphabet (``+``, ``/``) without ``=`` padding, as cookie-signature writes it."""
    return base64.b64encode(data).decode("ascii").rstrip("=")


def b64encode_url_nopad(data: bytes) -> str:
    """URL-safe alphabet without padding, as itsdangerous and Django write it."""
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def b64decode_url(text: str | bytes) -> bytes | None:
    """Decode URL-safe base64 with or without padding; None when it is not base64."""
    raw = to_bytes(text) if isinstance(text, bytes) or text.isascii() else None
    if raw is None:
        return None
    raw += b"=" * (-len(raw) % 4)
    try:
        return base64.b64decode(raw, altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        return None


#: The most a compressed payload may inflate to. A real cookie is at most a few KB, and
#: zlib's best ratio is about 1:1000; the cap keeps a hostile payload from costing memory.
MAX_DECOMPRESSED = 1 << 20


def inflate(data: bytes) -> bytes | None:
    """``zlib.decompress``, but None past `MAX_DECOMPRESSED` or where zlib would raise.

    Flask's and Django's signers both compress; both go through this cap.
    """
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, MAX_DECOMPRESSED + 1)
    except zlib.error:
        return None
    # Not at the end of the stream: truncated (zlib.decompress raises) or over the cap.
    if len(out) > MAX_DECOMPRESSED or not inflater.eof:
        return None
    return out


@frozen
class Rejected:
    """Why a signer would raise (``BadSignature``, ``SignatureExpired``...), and details.

    The caller words it for where the value came from: a cookie, or the store.
    """

    kind: Literal["malformed", "bad-signature", "expired"]
    why: str
