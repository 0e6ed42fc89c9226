"""What the sync shell waits with: the hand-written twin of `sessio.aio._primitives`.

Same names and shapes as the async module, so that ``scripts/unasync.py`` can write the rest
of the sync shell by renaming. Under eventlet or gevent, ``threading`` and ``time.sleep`` are
the monkey-patched green versions.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar, cast

__all__ = ["Lock", "Pending", "ThreadLock", "Wakeup", "maybe_await", "sleep", "to_thread"]

T = TypeVar("T")

#: Guards one session's save, reload, touch and destroy against each other (re-entrant).
Lock = threading.RLock

#: Guards tables that handler threads share.
ThreadLock = threading.Lock


def sleep(seconds: float) -> None:
    """Pause this thread (or greenlet)."""
    time.sleep(seconds)


def to_thread(function: Callable[..., T], *args: Any) -> T:
    """Run blocking `function`: here, in this thread."""
    return function(*args)


def maybe_await(result: Any) -> Any:
    """`result` itself: sync handlers return plain values."""
    return result


class Wakeup:
    """`wait` up to some seconds, or until `set`: a timer that `close()` can cut short."""

    def __init__(self, event: Any) -> None:
        self._event = event

    def set(self) -> None:
        """End every current and future `wait` at once."""
        self._event.set()

    def wait(self, seconds: float) -> bool:
        """Wait `seconds`, or less if `set` is called; True when it was set."""
        return bool(self._event.wait(seconds))


class Pending(Generic[T]):
    """`function(*args)` started now, beside the caller, in the server's own way (a thread, or
    a greenlet under eventlet or gevent); `result` waits for it.

    Nothing needs to wait: a result nobody asks for is dropped with this object.
    """

    def __init__(self, sio: Any, function: Callable[..., T], *args: Any) -> None:
        self._done = sio.eio.create_event()
        self._value: T | None = None
        self._error: BaseException | None = None
        sio.start_background_task(self._run, function, args)

    def _run(self, function: Callable[..., T], args: tuple[Any, ...]) -> None:
        try:
            self._value = function(*args)
        except BaseException as error:  # handed to whoever waits, as a task would
            self._error = error
        finally:
            self._done.set()

    def result(self) -> T:
        """What `function` returned (or raised), once it has."""
        self._done.wait()
        if self._error is not None:
            raise self._error
        return cast(T, self._value)
