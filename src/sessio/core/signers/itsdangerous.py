"""HMAC and base64 building blocks shared by the formats.

Only what the frameworks' own signers do (cookie-signature, itsdangerous, django.core.signing),
so that sessio verifies exactly what they produce. Comparisons are constant-time.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import zlib
from collections.abc import Callable, Sequence
from typing import Literal

from attrs import frozen

__all__ = [
    "MAX_DECOMPRESSED",
    "KeyDerivation",
    "Rejected",
    "Timestamped",
    "b64decode_std",
    "b64decode_url",
    "b64encode_std_nopad",
    "b64encode_url_nopad",
    "constant_time_equal",
    "hmac_digest",
    "hmac_sha256_with",
    "inflate",
    "itsdangerous_b64decode",
    "itsdangerous_key",
    "itsdangerous_sign",
    "itsdangerous_unsign",
    "itsdangerous_unsign_timed",
    "to_bytes",
]


def to_bytes(value: str | bytes) -> bytes:
    """Secrets and messages may be given as text (UTF-8) or bytes."""
    return value if isinstance(value, bytes) else value.encode("utf-8")


def hmac_digest(key: bytes, message: bytes, algorithm: str = "sha256") -> bytes:
    """HMAC of `message` under `key`."""
    return hmac.new(key, message, getattr(hashlib, algorithm)).digest()


_IPAD = bytes(x ^ 0x36 for x in range(256))
_OPAD = bytes(x ^ 0x5C for x in range(256))


def hmac_sha256_with(key: bytes) -> Callable[[bytes], bytes]:
    """HMAC-SHA256 under `key` (RFC 2104), with the padded key hashed once, up front.

    For a key used on every handshake: each call then copies two hash states instead of
    keying a new HMAC, about half the work of `hmac.digest` for a cookie-sized message.
    """
    if len(key) > _SHA256_BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_SHA256_BLOCK, b"\0")
    inner_start = hashlib.sha256(key.translate(_IPAD))
    outer_start = hashlib.sha256(key.translate(_OPAD))

    def mac(message: bytes) -> bytes:
        inner = inner_start.copy()
        inner.update(message)
        outer = outer_start.copy()
        outer.update(inner.digest())
        return outer.digest()

    return mac


_SHA256_BLOCK = 64


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


def b64decode_std(text: str | bytes) -> bytes | None:
    """Decode standard base64 (padding required, as Starlette writes it); None otherwise."""
    raw = to_bytes(text) if isinstance(text, bytes) or text.isascii() else None
    if raw is None:
        return None
    try:
        return base64.b64decode(raw, validate=True)
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


# -- itsdangerous (Flask, Flask-Session, Starlette) -------------------------------------------
#
# Mirrors itsdangerous 2.x's Signer and TimestampSigner with their default SHA-1 digest. Every
# step works on the bytes of the signed value, as itsdangerous does after ``want_bytes``.

KeyDerivation = Literal["hmac", "django-concat"]


def itsdangerous_key(secret: bytes, salt: bytes, derivation: KeyDerivation) -> bytes:
    """``Signer.derive_key``: ``hmac`` is HMAC-SHA1(secret, salt) (Flask, Flask-Session);
    ``django-concat`` is SHA1(salt + b"signer" + secret) (the default, Starlette's)."""
    if derivation == "hmac":
        return hmac_digest(secret, salt, "sha1")
    return hashlib.sha1(salt + b"signer" + secret).digest()


def itsdangerous_b64decode(data: bytes) -> bytes | None:
    """``itsdangerous.encoding.base64_decode``: URL-safe, padding optional, and (like
    ``base64.urlsafe_b64decode``) characters outside the alphabet skipped; None where it raises.
    """
    data += b"=" * (-len(data) % 4)
    try:
        return base64.urlsafe_b64decode(data)
    except (TypeError, ValueError):
        return None


def itsdangerous_sign(value: bytes, key: bytes) -> bytes:
    """``Signer.sign``: value + ``.`` + base64url(HMAC-SHA1(derived key, value)), no padding."""
    return value + b"." + b64encode_url_nopad(hmac_digest(key, value, "sha1")).encode("ascii")


def itsdangerous_unsign(signed: bytes, keys: Sequence[bytes]) -> tuple[bytes, int] | None:
    """``Signer.unsign`` over derived `keys`: the value before the last ``.`` and the index of
    the key that signed it; None when there is no ``.`` or no key verifies it."""
    value, sep, sig = signed.rpartition(b".")
    if not sep:
        return None
    digest = itsdangerous_b64decode(sig)
    if digest is None:
        return None
    found: int | None = None
    for index, key in enumerate(keys):
        # Every key is tried, so the time taken does not say which one matched.
        if hmac.compare_digest(digest, hmac_digest(key, value, "sha1")) and found is None:
            found = index
    return None if found is None else (value, found)


@frozen
class Timestamped:
    """What ``TimestampSigner.unsign`` accepted: the value, its key's index, its timestamp."""

    value: bytes
    index: int
    timestamp: int


@frozen
class Rejected:
    """Why itsdangerous would raise ``BadSignature`` (or ``SignatureExpired``), and details."""

    kind: Literal["malformed", "bad-signature", "expired"]
    why: str


def itsdangerous_unsign_timed(
    signed: bytes, keys: Sequence[bytes], max_age: float | None, now: float
) -> Timestamped | Rejected:
    """``TimestampSigner.unsign(signed, max_age)`` at `now`, over derived `keys`.

    As in itsdangerous, the signature is checked before the timestamp is read, ages use whole
    seconds (``int(time.time())``), and a timestamp from the future is expired too (age < 0).
    """
    if b"." not in signed:
        return Rejected("malformed", "it has no '.' before a signature")
    unsigned = itsdangerous_unsign(signed, keys)
    if unsigned is None:
        return Rejected("bad-signature", "no configured secret verifies it")
    value, index = unsigned
    payload, sep, stamp = value.rpartition(b".")
    decoded = itsdangerous_b64decode(stamp) if sep else None
    # bytes_to_int left-pads to the 8 bytes of a ">Q"; anything longer does not unpack.
    if decoded is None or len(decoded) > 8:
        return Rejected("malformed", "the signed value has no timestamp")
    timestamp = int.from_bytes(decoded, "big")
    if max_age is not None:
        age = int(now) - timestamp
        if age > max_age:
            return Rejected("expired", f"signed {age} s ago, more than max_age {max_age} s")
        if age < 0:
            return Rejected(
                "expired",
                f"signed {-age} s in the future: itsdangerous rejects that too; check the clocks",
            )
    return Timestamped(payload, index, timestamp)
