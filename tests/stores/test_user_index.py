"""`UserIndex`: sets whose members expire one by one, in `MemoryStore` and `RedisStore`.

Memory runs on a clock the test moves; Redis on its own clock (``TIME`` in the scripts), so its
expiry is waited for with a deadline, on members given a fraction of a second.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
import redis
import redis.asyncio

from redis_server import RedisServer
from servers import wait_for
from sessio._memory_sets import MemorySets
from sessio.aio import UserIndex as AsyncUserIndex
from sessio.aio.stores.memory import MemoryStore as AsyncMemoryStore
from sessio.aio.stores.redis import RedisStore as AsyncRedisStore
from sessio.core._presence import SetUpdate
from sessio.sync import MemoryStore, UserIndex
from sessio.sync.stores.redis import RedisStore

SHORT = 0.2  # seconds a member lives in the Redis expiry tests


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def prefix() -> str:
    return f"test-{uuid.uuid4().hex}:"


@pytest.fixture
def client(redis_server_session: RedisServer) -> Iterator[redis.Redis]:
    with redis.Redis.from_url(redis_server_session.url) as connection:
        yield connection


@pytest.fixture
async def aclient(redis_server_session: RedisServer) -> AsyncIterator[redis.asyncio.Redis]:
    connection = redis.asyncio.Redis.from_url(redis_server_session.url)
    yield connection
    await connection.aclose()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_both_stores_keep_a_user_index() -> None:
    assert isinstance(MemoryStore(), UserIndex)
    assert isinstance(AsyncMemoryStore(), AsyncUserIndex)


def test_memory_members_expire_one_by_one() -> None:
    clock = Clock()
    store = MemoryStore(clock)
    store.update_members("k", {"a": 10, "b": 20, "c": None}, ())
    assert store.live_members("k") == ["a", "b", "c"]
    clock.now += 10
    assert store.live_members("k") == ["b", "c"] and store.count_members("k") == 2
    store.update_members("k", {"b": 100}, ["c"])
    clock.now += 50
    assert store.live_members("k") == ["b"]
    clock.now += 50
    assert store.count_members("k") == 0
    # Session values and sets live apart: no `get` reaches a set.
    assert store.get("k") is None


def test_memory_sets_of_users_who_never_come_back_are_swept() -> None:
    clock = Clock()
    sets = MemorySets(clock)
    for index in range(50):
        sets.update(f"user-{index}", {"s": 1}, ())
    clock.now += 2
    for index in range(20):
        sets.update(f"fresh-{index}", {"s": 100}, ())
    assert len(sets) == 20


def test_redis_sets_expire_with_the_servers_clock(client: redis.Redis, prefix: str) -> None:
    store = RedisStore(client, key_prefix=prefix)
    store.update_members("k", {"short": SHORT, "long": 3600}, ())
    assert store.live_members("k") == ["short", "long"]
    assert store.count_members("k") == 2
    ttl = client.pttl(prefix + "k")
    assert 3_500_000 < ttl <= 3_601_000  # the key lasts as long as its last member
    wait_for(lambda: store.live_members("k") == ["long"], message="the short member expired")
    assert store.count_members("k") == 1
    store.update_members("k", {}, ["long"])
    assert client.exists(prefix + "k") == 0  # the last member gone, the key is gone


def test_redis_a_member_without_expiry_keeps_the_set(client: redis.Redis, prefix: str) -> None:
    store = RedisStore(client, key_prefix=prefix)
    store.update_members("k", {"a": 60}, ())
    store.update_members("k", {"forever": None}, ())
    assert client.pttl(prefix + "k") == -1
    assert client.zscore(prefix + "k", "forever") == math.inf
    store.update_members("k", {}, ["forever"])
    # The key's expiry is the last member's, rounded up to the millisecond (never before it).
    assert 0 < client.pttl(prefix + "k") <= 60_001
    assert store.live_members("missing") == [] and store.count_members("missing") == 0


def test_redis_expired_members_are_dropped_on_the_next_write(
    client: redis.Redis, prefix: str
) -> None:
    store = RedisStore(client, key_prefix=prefix)
    store.update_members("k", {"old": SHORT, "keep": 60}, ())
    wait_for(lambda: store.count_members("k") == 1, message="the old member expired")
    assert client.zcard(prefix + "k") == 2  # still there, not counted
    store.update_members("k", {"new": 60}, ())
    members: list[bytes] = client.zrange(prefix + "k", 0, -1)  # type: ignore[assignment]
    assert sorted(members) == [b"keep", b"new"]


def test_redis_a_key_holding_something_else_is_an_error(client: redis.Redis, prefix: str) -> None:
    store = RedisStore(client, key_prefix=prefix)
    client.set(prefix + "k", b"a session value")
    with pytest.raises(redis.ResponseError):
        store.update_members("k", {"a": 1}, ())
    assert client.get(prefix + "k") == b"a session value"


@pytest.mark.anyio
async def test_async_redis_sets(aclient: redis.asyncio.Redis, prefix: str) -> None:
    store = AsyncRedisStore(aclient, key_prefix=prefix)
    assert isinstance(store, AsyncUserIndex)
    await store.update_members("k", {"a": 60, "b": 60, "c": None}, ())
    await store.update_members("k", {}, ["b"])
    assert sorted(await store.live_members("k")) == ["a", "c"]
    assert await store.count_members("k") == 2
    assert await aclient.pttl(prefix + "k") == -1


def test_redis_update_many_is_one_pipeline_and_survives_a_script_flush(
    client: redis.Redis, prefix: str
) -> None:
    store = RedisStore(client, key_prefix=prefix)
    store.update_members("a", {"old": 60}, ())
    client.script_flush()  # as after a restart: the server forgot the script
    store.update_many(
        [SetUpdate("a", {"x": 60}, {"old"}), SetUpdate("b", {"y": None}), SetUpdate("c")]
    )
    assert store.live_members("a") == ["x"]
    assert store.live_members("b") == ["y"] and client.pttl(prefix + "b") == -1
    assert client.exists(prefix + "c") == 0
    store.update_many([])
    client.script_flush()
    store.update_many([SetUpdate("a", {"z": 60}, {"x"})])  # one update: the script alone
    assert store.live_members("a") == ["z"]


def test_memory_update_many() -> None:
    store = MemoryStore(Clock())
    store.update_many([SetUpdate("a", {"x": 5}), SetUpdate("b", {"y": 5}, {"z"})])
    assert store.live_members("a") == ["x"] and store.count_members("b") == 1


@pytest.mark.anyio
async def test_async_redis_update_many(aclient: redis.asyncio.Redis, prefix: str) -> None:
    store = AsyncRedisStore(aclient, key_prefix=prefix)
    await aclient.script_flush()
    await store.update_many([SetUpdate("a", {"x": 60}), SetUpdate("b", {"y": 60})])
    assert await store.live_members("a") == ["x"] and await store.count_members("b") == 1
    await aclient.script_flush()
    await store.update_many([SetUpdate("a", {"z": 60}, {"x"})])
    assert await store.live_members("a") == ["z"]
