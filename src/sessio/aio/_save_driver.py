"""`drive`: a save or a touch carried out against the store, step by step as the core asks.

The policy (compare-and-set retries, backoff with jitter, merging, a write past the session's
lifetime) is the core's `sessio.core._save_loop.SaveLoop`: this only does what it asks (read,
compare-and-set, sleep) and tells it what happened.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from typing import Any

from sessio.aio._primitives import sleep
from sessio.aio._store_calls import call_store
from sessio.aio.stores._protocol import Store
from sessio.core._save_loop import CompareAndSet, Done, Read, SaveLoop, Sleep, Unchanged
from sessio.errors import error_for

__all__ = ["drive"]


async def drive(
    loop: SaveLoop,
    store: Store,
    clock: Callable[[], float],
    live: Mapping[str, Any],
    saved: Callable[[Done], None],
) -> bool:
    """Drive `loop` to its end; True when it wrote, False when there was nothing to.

    `live` is the socket's session as its handlers see it now (edits made while the save ran
    stay pending on top of what was written); `saved` takes the `Done` before this returns.
    A store failure raises `sessio.SessionError`, as does the failure the loop ends with.
    """
    action = loop.start(clock())
    while True:
        if isinstance(action, Read):
            raw = await call_store(store.get, action.key)
            action = loop.read(raw, clock())
        elif isinstance(action, CompareAndSet):
            swapped, actual = await call_store(
                store.compare_and_set, action.key, action.expected, action.value, action.ttl
            )
            action = loop.compared(swapped, actual, clock(), jitter=random.random(), live=live)
        elif isinstance(action, Sleep):
            await sleep(action.seconds)
            action = loop.slept()
        elif isinstance(action, Done):
            saved(action)
            return True
        elif isinstance(action, Unchanged):
            return False
        else:
            raise error_for(action)
