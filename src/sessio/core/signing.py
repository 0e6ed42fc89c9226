"""HMAC and base64 building blocks shared by the formats.

Only what the frameworks' own signers do (cookie-signature, itsdangerous, django.core.signing),
so that sessio verifies exactly what they produce. Comparisons are constant-time.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

__all__ = [
    "b64decode_std",
    "b64decode_url",
    "b64encode_std_nopad",
    "b64encode_url_nopad",
    "constant_time_equal",
    "hmac_digest",
    "to_bytes",
]


def to_bytes(value: str | bytes) -> bytes:
    """Secrets and messages may be given as text (UTF-8) or bytes."""
    return value if isinstance(value, bytes) else value.encode("utf-8")


def hmac_digest(key: bytes, message: bytes, algorithm: str = "sha256") -> bytes:
    """HMAC of `message` under `key`."""
    return hmac.new(key, message, getattr(hashlib, algorithm)).digest()


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
