"""``django.core.signing``, as the session backends use it: pure, and only what they need.

``dumps(obj, salt=S, compress=True)``: compact JSON, zlib-compressed when that saves more than
one byte (base64url with a ``.`` prefix then), ``TimestampSigner``: ``value:base62(int(time))``
then ``:base64url(HMAC-SHA256(key, value))`` with ``key = SHA256((S + "signer") + secret)``.

One deliberate difference: Django inflates a compressed payload without a limit, sessio at most
to `MAX_DECOMPRESSED` bytes (as for Flask's cookie); past that the value is malformed.
"""

from __future__ import annotations

import hashlib
import string
import zlib
from collections.abc import Sequence

from attrs import frozen

from sessio.core.signers._primitives import (
    MAX_DECOMPRESSED,
    Rejected,
    b64decode_url,
    b64encode_url_nopad,
    constant_time_equal,
    hmac_digest,
    inflate,
)

__all__ = ["Unsigned", "b62_decode", "b62_encode", "derived_key", "dumps", "unsign"]

_BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def b62_encode(number: int) -> str:
    """``django.core.signing.b62_encode``."""
    if number == 0:
        return "0"
    sign = "-" if number < 0 else ""
    number = abs(number)
    digits: list[str] = []
    while number > 0:
        number, remainder = divmod(number, 62)
        digits.append(_BASE62[remainder])
    return sign + "".join(reversed(digits))


def b62_decode(text: str) -> int | None:
    """``django.core.signing.b62_decode``; None where Django's would raise."""
    sign, digits = (-1, text[1:]) if text.startswith("-") else (1, text)
    if not digits or not all(c in _BASE62 for c in digits):
        return None
    number = 0
    for digit in digits:
        number = number * 62 + _BASE62.index(digit)
    return sign * number


def derived_key(salt: str, secret: bytes) -> bytes:
    """The HMAC key ``salted_hmac`` uses for `salt` and `secret`."""
    # salted_hmac: the HMAC key is the hash of key_salt + secret, never the secret itself.
    return hashlib.sha256((salt + "signer").encode("utf-8") + secret).digest()


def _signature(key: bytes, value: str) -> str:
    return b64encode_url_nopad(hmac_digest(key, value.encode("utf-8"), "sha256"))


@frozen
class Unsigned:
    """A verified ``signing.dumps`` value: the serialized payload, its signer and its time."""

    payload: bytes
    secret_index: int
    timestamp: int


def unsign(
    signed: str, keys: Sequence[bytes], max_age: float | None, now: float
) -> Unsigned | Rejected:
    """``TimestampSigner.unsign`` + base64 + zlib under any of `keys`: the payload, or why not."""
    value, sep, sig = signed.rpartition(":")
    if not sep:
        return Rejected("malformed", "no ':' separates a signature")
    index: int | None = None
    for i, key in enumerate(keys):
        # Every key is tried, so the time taken does not say which one matched.
        if constant_time_equal(sig, _signature(key, value)) and index is None:
            index = i
    if index is None:
        return Rejected("bad-signature", "no configured secret verifies it")
    base64d, sep, stamp = value.rpartition(":")
    timestamp = b62_decode(stamp) if sep else None
    if timestamp is None:
        return Rejected("malformed", "the signed value has no base62 timestamp")
    if max_age is not None and now - timestamp > max_age:
        return Rejected("expired", f"signed {now - timestamp:.0f} s ago (max_age {max_age} s)")
    compressed = base64d.startswith(".")
    data = b64decode_url(base64d[1:] if compressed else base64d)
    if data is None:
        return Rejected("malformed", "the signed payload is not base64url")
    if compressed:
        # Django inflates without a limit; a signed payload of a few KB can hold many MB.
        data = inflate(data)
        if data is None:
            return Rejected(
                "malformed",
                f"the signed payload does not decompress (or inflates past "
                f"{MAX_DECOMPRESSED} bytes)",
            )
    return Unsigned(data, index, timestamp)


def dumps(payload: bytes, key: bytes, now: float) -> str:
    """The serialized `payload` compressed (when worth it), timestamped at `now` and signed."""
    compressed = zlib.compress(payload)
    # Django keeps the compressed form only when it saves more than one byte.
    if len(compressed) < len(payload) - 1:
        base64d = "." + b64encode_url_nopad(compressed)
    else:
        base64d = b64encode_url_nopad(payload)
    value = f"{base64d}:{b62_encode(int(now))}"
    return f"{value}:{_signature(key, value)}"
