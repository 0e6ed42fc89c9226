"""`MemoryStore`, sync and async: the same contract as `RedisStore`, with a controlled clock."""

from __future__ import annotations

import asyncio
import threading

import pytest

from sessio.aio.stores.memory import MemoryStore as AsyncMemoryStore
from sessio.sync.stores.memory import MemoryStore

WORKERS = 8
INCREMENTS = 50


class Clock:
    """Unix seconds that move only when a test says so."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_get_set_delete_ttl() -> None:
    clock = Clock()
    store = MemoryStore(clock)
    assert store.get("k") is None
    assert store.ttl("k") is None

    store.set("k", b"\x00binary\xff", 60)
    assert store.get("k") == b"\x00binary\xff"
    assert store.ttl("k") == 60
    clock.now += 59.5
    assert store.ttl("k") == 0.5
    clock.now += 0.5
    assert store.get("k") is None
    assert store.ttl("k") is None

    store.set("k", b"", None)
    assert store.get("k") == b""
    assert store.ttl("k") is None
    store.set("k", b"gone", 0)
    assert store.get("k") is None
    store.set("k", b"back", None)
    store.delete("k")
    assert store.get("k") is None
    store.delete("k")


def test_compare_and_set() -> None:
    clock = Clock()
    store = MemoryStore(clock)
    assert store.compare_and_set("k", None, b"one", 60) == (True, b"one")
    assert store.compare_and_set("k", None, b"two", 60) == (False, b"one")
    assert store.compare_and_set("k", b"other", b"two", 60) == (False, b"one")
    assert store.get("k") == b"one"
    assert store.ttl("k") == 60
    assert store.compare_and_set("k", b"one", b"two", None) == (True, b"two")
    assert store.ttl("k") is None
    assert store.compare_and_set("k", b"two", b"", None) == (True, b"")
    assert store.compare_and_set("k", None, b"x", None) == (False, b"")
    assert store.compare_and_set("k", b"", None, None) == (True, None)
    assert store.get("k") is None
    assert store.compare_and_set("k", b"", b"x", None) == (False, None)
    # an expired value counts as absent
    store.set("k", b"old", 10)
    clock.now += 10
    assert store.compare_and_set("k", b"old", b"new", 10) == (False, None)
    assert store.compare_and_set("k", None, b"new", 10) == (True, b"new")
    # a TTL of 0 or less deletes
    assert store.compare_and_set("k", b"new", b"w", 0)[0]
    assert store.get("k") is None


@pytest.mark.anyio
async def test_async_operations() -> None:
    clock = Clock()
    store = AsyncMemoryStore(clock)
    await store.set("k", b"v", 30)
    assert await store.get("k") == b"v"
    assert await store.ttl("k") == 30
    assert await store.compare_and_set("k", b"v", b"w", None) == (True, b"w")
    assert await store.compare_and_set("k", b"v", b"x", None) == (False, b"w")
    assert await store.ttl("k") is None
    await store.delete("k")
    assert await store.get("k") is None


def test_compare_and_set_is_atomic_across_threads() -> None:
    store = MemoryStore()
    errors: list[BaseException] = []

    def increment() -> None:
        try:
            for _ in range(INCREMENTS):
                current = store.get("counter")
                while True:
                    following = str(int(current or b"0") + 1).encode()
                    done, current = store.compare_and_set("counter", current, following, 60)
                    if done:
                        break
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=increment) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert store.get("counter") == str(WORKERS * INCREMENTS).encode()


@pytest.mark.anyio
async def test_compare_and_set_is_atomic_across_tasks() -> None:
    store = AsyncMemoryStore()

    async def increment() -> None:
        for _ in range(INCREMENTS):
            current = await store.get("counter")
            while True:
                await asyncio.sleep(0)  # let the other tasks write in between
                following = str(int(current or b"0") + 1).encode()
                done, current = await store.compare_and_set("counter", current, following, 60)
                if done:
                    break

    await asyncio.gather(*(increment() for _ in range(WORKERS)))
    assert await store.get("counter") == str(WORKERS * INCREMENTS).encode()
