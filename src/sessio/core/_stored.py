"""What a store holds: a session's data and its framework's meta, and the bytes they encode to."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import field, frozen

__all__ = ["Encoded", "StoredSession", "frozen_dict"]


def frozen_dict(value: Mapping[str, Any]) -> Mapping[str, Any]:
    """A private copy: a value handed out by the core must not change under its holder."""
    return dict(value)


@frozen
class StoredSession:
    """A session as a store holds it: the user's `data`, and the framework's own `meta`.

    `meta` is what the framework keeps beside the user's keys and a socket must carry through
    untouched (express's ``cookie`` object, aiohttp-session's ``created``).
    """

    data: Mapping[str, Any] = field(converter=frozen_dict)
    meta: Mapping[str, Any] = field(factory=dict, converter=frozen_dict)


@frozen
class Encoded:
    """Store bytes for a session and the time to live (seconds) the framework would give them.

    `ttl` None means no expiry; a `ttl` of 0 or less means the session is already over and
    the framework would delete it rather than write it.
    """

    value: bytes
    ttl: int | None
