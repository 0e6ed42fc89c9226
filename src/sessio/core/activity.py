"""When socket activity should touch or re-check a session: at most once per interval."""

from __future__ import annotations

from attrs import frozen

__all__ = ["Interval"]


@frozen
class Interval:
    """Something to do at most once every `seconds` (None: never)."""

    seconds: float | None

    def due(self, last: float | None, now: float) -> bool:
        """Whether it is time again, given when it was `last` done (None: never yet)."""
        if self.seconds is None:
            return False
        return last is None or now - last >= self.seconds
