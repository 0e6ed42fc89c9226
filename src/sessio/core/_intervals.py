"""When socket activity should touch or re-check a session: at most once per interval.

`Registry.claim` (``_registry``) keeps when each session was last touched and re-checked.
"""

from __future__ import annotations

import math

from attrs import frozen

__all__ = ["Interval"]


def _positive_or_none(seconds: float | None, name: str) -> None:
    if seconds is None:
        return
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise TypeError(f"{name} must be a number of seconds or None, not {seconds!r}")
    if not math.isfinite(seconds) or seconds <= 0:
        # 0 would mean a store round trip on every event of every socket.
        raise ValueError(f"{name} must be more than 0 seconds (or None for never), not {seconds}")


@frozen
class Interval:
    """Something to do at most once every `seconds` (None: never); `seconds` is > 0."""

    seconds: float | None

    def __attrs_post_init__(self) -> None:
        _positive_or_none(self.seconds, "seconds")

    @classmethod
    def named(cls, name: str, seconds: float | None) -> Interval:
        """An interval from the constructor argument `name`, refused with that name if bad."""
        _positive_or_none(seconds, name)
        return cls(seconds)

    def due(self, last: float | None, now: float) -> bool:
        """Whether it is time again, given when it was `last` done (None: never yet)."""
        if self.seconds is None:
            return False
        return last is None or now - last >= self.seconds
