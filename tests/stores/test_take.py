"""`Store.take`, the atomic get-and-delete that makes socket tickets single-use, in every store.

Each store is asked by many takers at once, from threads (sync) and tasks (async), for one key:
exactly one gets the bytes, the others None, and the key is gone. Redis and Redis Cluster run
as private servers. `DjangoStore`'s: tests/interop/test_django_take.py.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import redis
import redis.asyncio

import sessio.aio
import sessio.sync
from redis_cluster import LocalCluster
from redis_server import RedisServer

TAKERS = 8


def race(take: Callable[[], bytes | None]) -> list[bytes | None]:
    """`take` from `TAKERS` threads released together."""
    start = threading.Barrier(TAKERS)

    def taker() -> bytes | None:
        start.wait(5)
        return take()

    with ThreadPoolExecutor(TAKERS) as pool:
        return [future.result(10) for future in [pool.submit(taker) for _ in range(TAKERS)]]


def check_sync(store: sessio.sync.Store, key: str) -> None:
    assert store.take(key) is None  # nothing there: None, and no error
    for round_ in range(3):
        value = f"ticket {round_}".encode()
        store.set(key, value, 60)
        won = race(lambda: store.take(key))
        assert won.count(value) == 1 and won.count(None) == TAKERS - 1, won
        assert store.get(key) is None


async def check_async(store: sessio.aio.Store, key: str) -> None:
    assert await store.take(key) is None
    for round_ in range(3):
        value = f"ticket {round_}".encode()
        await store.set(key, value, 60)
        won = await asyncio.gather(*(store.take(key) for _ in range(TAKERS)))
        assert won.count(value) == 1 and won.count(None) == TAKERS - 1, won
        assert await store.get(key) is None


def key() -> str:
    # A valid Django session key too: lower-case letters and digits.
    return "sessioticket" + uuid.uuid4().hex[:28]


def test_memory() -> None:
    check_sync(sessio.sync.MemoryStore(), key())
    asyncio.run(check_async(sessio.aio.MemoryStore(), key()))


def test_memory_take_of_an_expired_key_is_none() -> None:
    now = [1000.0]
    store = sessio.sync.MemoryStore(lambda: now[0])
    store.set("k", b"v", 10)
    now[0] += 10
    assert store.take("k") is None


def test_redis(redis_server_session: RedisServer) -> None:
    client = redis_server_session.client()
    check_sync(sessio.sync.RedisStore(client, key_prefix="p:"), key())

    async def run() -> None:
        aclient = redis.asyncio.Redis(host="127.0.0.1", port=redis_server_session.port)
        try:
            await check_async(sessio.aio.RedisStore(aclient, key_prefix="p:"), key())
        finally:
            await aclient.aclose()

    asyncio.run(run())


def test_redis_cluster(redis_cluster_session: LocalCluster) -> None:
    client = redis.RedisCluster(startup_nodes=redis_cluster_session.startup_nodes)
    try:
        # Keys in several slots: the script names one key, whatever master holds it.
        for _ in range(3):
            check_sync(sessio.sync.RedisStore(client), key())
    finally:
        client.close()


def test_every_store_has_take() -> None:
    stores: list[Any] = [sessio.sync.MemoryStore, sessio.aio.MemoryStore]
    stores += [sessio.sync.RedisStore, sessio.aio.RedisStore]
    for store in stores:
        assert callable(getattr(store, "take", None)), store
