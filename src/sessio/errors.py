"""Exceptions, for the places where a Python caller expects one rather than a value."""

from __future__ import annotations

from sessio.core._failures import Failure

__all__ = ["ConflictError", "SessionError"]


class SessionError(Exception):
    """A session operation failed; `failure` says why (its `code` is stable)."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(str(failure))
        self.failure = failure

    @property
    def code(self) -> str:
        """The failure's stable code (``store-unavailable``, ``read-only``, ...)."""
        return self.failure.code


class ConflictError(SessionError):
    """A ``save(strict=True)`` found keys changed both here and in the store since load."""


def error_for(failure: Failure) -> SessionError:
    """The exception that carries `failure`."""
    return ConflictError(failure) if failure.code == "conflict" else SessionError(failure)
