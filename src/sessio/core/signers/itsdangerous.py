"""itsdangerous 2.x's ``Signer`` and ``TimestampSigner`` (Flask, Flask-Session, Starlette).

Mirrors them with their default SHA-1 digest. Every step works on the bytes of the signed
value, as itsdangerous does after ``want_bytes``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from typing import Literal

from attrs import frozen

from sessio.core.signers._primitives import Rejected, b64encode_url_nopad, hmac_digest

__all__ = [
    "KeyDerivation",
    "Timestamped",
    "itsdangerous_b64decode",
    "itsdangerous_key",
    "itsdangerous_sign",
    "itsdangerous_unsign",
    "itsdangerous_unsign_timed",
]

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
