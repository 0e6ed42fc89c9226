"""The user index on a real three-master Redis Cluster: one key per script call, and a batch
(`update_many`) split by the cluster pipeline over the masters that hold its keys."""

from __future__ import annotations

import uuid

import pytest
from cluster_support import async_cluster_client, sync_cluster_client

from redis_cluster import LocalCluster
from sessio.aio.stores.redis import RedisStore as AsyncRedisStore
from sessio.core._presence import SetUpdate
from sessio.core._users import user_index_key, user_presence_key
from sessio.sync.stores.redis import RedisStore

USERS = [f"user-{index}" for index in range(12)]  # keys on every master


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_sync_user_sets_across_masters(redis_cluster_session: LocalCluster) -> None:
    tag = uuid.uuid4().hex
    with sync_cluster_client(redis_cluster_session) as client:
        store = RedisStore(client, key_prefix=f"{tag}:")
        client.script_flush()  # every master forgets the script: the batch loads it again
        store.update_many([SetUpdate(user_presence_key(u), {"s1": 60, "s2": 60}) for u in USERS])
        for user in USERS:
            store.update_members(user_index_key(user), {"session": 3600}, ())
        assert [store.count_members(user_presence_key(u)) for u in USERS] == [2] * len(USERS)
        assert all(store.live_members(user_index_key(u)) == ["session"] for u in USERS)
        store.update_many([SetUpdate(user_presence_key(u), remove={"s1"}) for u in USERS])
        assert [store.count_members(user_presence_key(u)) for u in USERS] == [1] * len(USERS)


@pytest.mark.anyio
async def test_async_user_sets_across_masters(redis_cluster_session: LocalCluster) -> None:
    tag = uuid.uuid4().hex
    client = async_cluster_client(redis_cluster_session)
    try:
        store = AsyncRedisStore(client, key_prefix=f"{tag}:")
        await store.update_many([SetUpdate(user_presence_key(u), {"s": 60}) for u in USERS])
        counts = [await store.count_members(user_presence_key(u)) for u in USERS]
        assert counts == [1] * len(USERS)
    finally:
        await client.aclose()
