"""`WriteGuardedDict`: a dict that asks before every write, for sessions that refuse some.

A session that lives in the browser's cookie cannot be written from a socket. Refusing only
at ``save()`` puts the error far from its cause (a connect handler that sets a key and saves
crashes at the save, and the client only sees "Unexpected connection error"); refusing at
the assignment names the line. Both shells' sessions derive from this (it has no ``await``,
so it is not generated).
"""

from __future__ import annotations

from typing import Any

__all__ = ["WriteGuardedDict"]


class WriteGuardedDict(dict[str, Any]):
    """A dict whose every write first calls `_writable`, which raises to refuse it.

    Nested values are the caller's: ``d["cart"].append(x)`` changes a value, not the dict.
    """

    # No __dict__: the sessions that derive from this declare slots of their own.
    __slots__ = ()

    def _writable(self) -> None:
        """Raise to refuse a write; the subclass says when."""

    def __setitem__(self, key: str, value: Any) -> None:
        self._writable()
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self._writable()
        super().__delitem__(key)

    def __ior__(self, other: Any) -> WriteGuardedDict:  # type: ignore[override,misc]
        self._writable()
        super().update(other)
        return self

    def clear(self) -> None:
        """Remove every key."""
        self._writable()
        super().clear()

    def pop(self, key: str, *default: Any) -> Any:
        """Remove `key` and return its value (or `default`)."""
        self._writable()
        return super().pop(key, *default)

    def popitem(self) -> tuple[str, Any]:
        """Remove and return the last pair."""
        self._writable()
        return super().popitem()

    def setdefault(self, key: str, default: Any = None) -> Any:
        """``self[key]``, set to `default` first when missing (only that is a write)."""
        if key not in self:
            self._writable()
        return super().setdefault(key, default)

    def update(self, *args: Any, **kwargs: Any) -> None:
        """Set many keys."""
        self._writable()
        super().update(*args, **kwargs)
