"""What the async shell waits with; `sessio.sync._primitives` is its hand-written twin.

The shells share one source: ``scripts/unasync.py`` writes the sync shell from this one by
rules on names (``AsyncLock`` becomes ``Lock``, ``await`` goes). Everything whose sync form is
not such a rewrite lives here and in the twin, with the same names and shapes.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Callable, Coroutine
from typing import Any, Generic, TypeVar

import anyio
import anyio.to_thread

__all__ = [
    "AsyncLock",
    "AsyncPending",
    "AsyncWakeup",
    "ThreadLock",
    "maybe_await",
    "sleep",
    "to_thread",
]

T = TypeVar("T")

#: Guards one session's save, reload, touch and destroy against each other.
AsyncLock = anyio.Lock

#: Guards tables that the sync shell's handler threads share (a plain lock here too: holding
#: it never spans an ``await``).
ThreadLock = threading.Lock


async def sleep(seconds: float) -> None:
    """Pause this task."""
    await anyio.sleep(seconds)


async def to_thread(function: Callable[..., T], *args: Any) -> T:
    """Run blocking `function` in a worker thread (sync: in this thread)."""
    return await anyio.to_thread.run_sync(function, *args)


async def maybe_await(result: Any) -> Any:
    """`result`, awaited if the application's handler returned an awaitable."""
    if inspect.isawaitable(result):
        return await result
    return result


class AsyncWakeup:
    """`wait` up to some seconds, or until `set`: a timer that `close()` can cut short.

    python-socketio's engine creates the event (``create_event``), so it is an
    ``asyncio.Event`` here, and in the twin a green event under eventlet or gevent, a thread
    event under threading.
    """

    def __init__(self, event: asyncio.Event) -> None:
        self._event = event

    def set(self) -> None:
        """End every current and future `wait` at once."""
        self._event.set()

    async def wait(self, seconds: float) -> bool:
        """Wait `seconds`, or less if `set` is called; True when it was set."""
        with anyio.move_on_after(seconds):
            await self._event.wait()
        return self._event.is_set()


# Tasks that nothing else may hold while they run (an early read whose handshake went away):
# asyncio keeps only weak references to tasks.
_running: set[asyncio.Task[Any]] = set()


class AsyncPending(Generic[T]):
    """`function(*args)` started now, beside the caller, in the server's own way (a task here;
    in the twin a thread, or a greenlet under eventlet or gevent); `result` waits for it.

    Nothing needs to wait: a result nobody asks for is dropped with this object.
    """

    def __init__(
        self,
        sio: Any,
        function: Callable[..., Coroutine[Any, Any, T]],
        *args: Any,
    ) -> None:
        task: asyncio.Task[T] = sio.start_background_task(function, *args)
        _running.add(task)
        task.add_done_callback(_running.discard)
        self._task = task

    async def result(self) -> T:
        """What `function` returned (or raised), once it has."""
        return await self._task
