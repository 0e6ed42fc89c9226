"""The attrs converters the formats' fields share: secrets as bytes, durations as seconds.

Each applies `sessio.core._keys`' rules, so a format built directly (``FlaskFormat(...)``)
refuses what its factory refuses, with the same messages.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sessio.core._keys import key_list, one_key
from sessio.core.signers._primitives import to_bytes

__all__ = ["optional_seconds", "optional_secret_bytes", "seconds", "secrets_bytes"]


def secrets_bytes(value: Sequence[str | bytes]) -> tuple[bytes, ...]:
    """``secrets``: a non-empty list of keys (current first, then fallbacks), as bytes."""
    return tuple(to_bytes(s) for s in key_list(value, "secrets", at_least_one=True))


def optional_secret_bytes(value: str | bytes | None) -> bytes | None:
    """``secret_key``, as bytes, where the format works without one too (None)."""
    return None if value is None else to_bytes(one_key(value, "secret_key"))


def seconds(value: float | timedelta) -> int:
    """A lifetime in whole seconds, as Flask computes it from ``PERMANENT_SESSION_LIFETIME``:
    ``int(lifetime.total_seconds())``; a number of seconds is taken as well."""
    return int(value.total_seconds() if isinstance(value, timedelta) else value)


def optional_seconds(value: float | timedelta | None) -> int | None:
    """`seconds`, with None (no limit) kept."""
    return None if value is None else seconds(value)
