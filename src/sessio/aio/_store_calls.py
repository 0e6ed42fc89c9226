"""Calling the session store: one place where a store's exception is logged and classified.

`call_store` runs a store operation and turns whatever it raises into `sessio.SessionError`
(``store-unavailable``); `store_failed` is its log-and-classify step, for callers that go on
past a failure. Neither lets a store's message reach a log line above DEBUG: it may carry a
session key, which is a credential.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sessio.core import Failure
from sessio.errors import SessionError

__all__ = ["call_store", "store_failed"]

logger = logging.getLogger("sessio")

T = TypeVar("T")


def store_failed(error: Exception, doing: str) -> Failure:
    """Log that the store raised `error` while `doing` something; the failure to report.

    The warning names the exception's type only: a store's message (and a traceback's) may
    carry a session key, which is a credential. The traceback goes at DEBUG.
    """
    kind = type(error)
    name = kind.__qualname__
    if kind.__module__ != "builtins":
        name = f"{kind.__module__}.{name}"
    logger.warning(
        "session store failed on %s (%s)",
        doing,
        name,
        extra={"code": "store-unavailable", "operation": doing},
    )
    logger.debug("session store failure on %s", doing, exc_info=error)
    return Failure.store_unavailable(error)


async def call_store(
    operation: Callable[..., Awaitable[T]], *args: Any, doing: str | None = None
) -> T:
    """`operation(*args)` on the store; a failure is logged (`store_failed`) and raised as
    `sessio.SessionError` with ``store-unavailable``. `doing` names the step for the log
    (the operation's name by default)."""
    try:
        return await operation(*args)
    except Exception as error:
        name: str = getattr(operation, "__name__", "a call")
        failure = store_failed(error, name if doing is None else doing)
        raise SessionError(failure) from error
