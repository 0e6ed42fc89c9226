"""`RedisStore`'s control channel on a real Redis Cluster, sync and async.

On a cluster the channel is plain pub/sub: a PUBLISH on any node reaches subscribers on every
node over the cluster bus, so a store publishes and subscribes on whichever node works (the
last one that did first). Shown here: a publisher and a subscriber on different nodes hear
each other, for every pair of nodes; and an asyncio cluster client without ``pubsub()`` (as
``redis.asyncio.RedisCluster`` is before redis-py 8, imitated by hiding the method) still
subscribes, through a client of the node's own, and moves to a live node when its node is
killed. And a subscription holds, missing nothing, while another master is down and the
store's own reads there fail (each failure refreshes the client's view of the cluster).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import queue
import threading
import uuid
from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest
import redis
import redis.asyncio
from cluster_support import TIMEOUT, async_cluster_client, sync_cluster_client

from redis_cluster import ClusterNodeServer, LocalCluster
from servers import wait_for
from sessio.aio.stores.redis import RedisStore as AsyncRedisStore
from sessio.core._control import SUBSCRIBED
from sessio.sync.stores.redis import RedisStore

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    # redis.asyncio runs on asyncio only.
    return "asyncio"


@pytest.fixture
def channel() -> str:
    """A channel of the test's own (the run's cluster is shared)."""
    return f"test-{uuid.uuid4().hex}"


def pairs(cluster: LocalCluster) -> list[tuple[ClusterNodeServer, ClusterNodeServer]]:
    """Every (subscriber's node, publisher's node) pair of distinct nodes."""
    return list(itertools.permutations(cluster.nodes, 2))


def numsub(node: ClusterNodeServer, channel: str) -> int:
    """Subscribers of `channel` on `node` alone."""
    return int(node.command("PUBSUB", "NUMSUB", channel)[1])


class AsyncListener:
    """`subscribe` followed in a task: the messages, and the error that ended it."""

    def __init__(self, store: AsyncRedisStore, channel: str) -> None:
        self.store = store
        self.channel = channel
        self.messages: asyncio.Queue[bytes] = asyncio.Queue()
        self.error: BaseException | None = None
        self.ended = asyncio.Event()

    async def run(self) -> None:
        try:
            async for message in self.store.subscribe(self.channel):
                if message:
                    self.messages.put_nowait(message)
        except Exception as error:
            self.error = error
        finally:
            self.ended.set()

    async def next(self) -> bytes:
        with anyio.fail_after(TIMEOUT):
            return await self.messages.get()


@contextlib.asynccontextmanager
async def listening(store: AsyncRedisStore, channel: str) -> AsyncIterator[AsyncListener]:
    listener = AsyncListener(store, channel)
    task = asyncio.create_task(listener.run())
    try:
        yield listener
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def wait_numsub(node: ClusterNodeServer, channel: str, count: int) -> None:
    """Wait until `node` counts `count` subscribers of `channel`."""
    with anyio.fail_after(TIMEOUT):
        while numsub(node, channel) != count:
            await asyncio.sleep(0.01)


async def test_async_publisher_and_subscriber_on_different_nodes(
    redis_cluster_session: LocalCluster, channel: str
) -> None:
    cluster = redis_cluster_session
    for sub_node, pub_node in pairs(cluster):
        subscriber, publisher = async_cluster_client(cluster), async_cluster_client(cluster)
        try:
            sub_store, pub_store = AsyncRedisStore(subscriber), AsyncRedisStore(publisher)
            sub_store._control_node = sub_node.address
            pub_store._control_node = pub_node.address
            async with listening(sub_store, channel) as listener:
                await wait_numsub(sub_node, channel, 1)
                message = f"{sub_node.port}<-{pub_node.port}".encode()
                await pub_store.publish(channel, message)
                assert await listener.next() == message
            assert (sub_store._control_node, pub_store._control_node) == (
                sub_node.address,
                pub_node.address,
            )
        finally:
            await subscriber.aclose()
            await publisher.aclose()


def follow(
    store: RedisStore, channel: str, received: queue.Queue[bytes], stop: threading.Event
) -> None:
    """The sync `subscribe`, followed until `stop` is set (it yields at least every second)."""
    for message in store.subscribe(channel):
        if message:
            received.put(message)
        if stop.is_set():
            return


def numsub_is(node: ClusterNodeServer, channel: str, count: int) -> bool:
    return numsub(node, channel) == count


def test_sync_publisher_and_subscriber_on_different_nodes(
    redis_cluster_session: LocalCluster, channel: str
) -> None:
    cluster = redis_cluster_session
    for sub_node, pub_node in pairs(cluster):
        with sync_cluster_client(cluster) as subscriber, sync_cluster_client(cluster) as publisher:
            sub_store, pub_store = RedisStore(subscriber), RedisStore(publisher)
            sub_store._control_node = sub_node.address
            pub_store._control_node = pub_node.address
            received: queue.Queue[bytes] = queue.Queue()
            stop = threading.Event()
            follower = threading.Thread(
                target=follow, args=(sub_store, channel, received, stop), daemon=True
            )
            follower.start()
            try:
                wait_for(functools.partial(numsub_is, sub_node, channel, 1), timeout=TIMEOUT)
                message = f"{sub_node.port}<-{pub_node.port}".encode()
                pub_store.publish(channel, message)
                assert received.get(timeout=TIMEOUT) == message
            finally:
                stop.set()
                follower.join(TIMEOUT)
            assert not follower.is_alive()


class OldAsyncCluster(redis.asyncio.RedisCluster):
    """``redis.asyncio.RedisCluster`` as redis-py < 8 has it: no ``pubsub()``."""

    def __getattribute__(self, name: str) -> Any:
        if name == "pubsub":
            raise AttributeError(name)
        return super().__getattribute__(name)


async def test_async_cluster_client_without_pubsub_follows_the_channel_across_a_crash(
    redis_cluster: LocalCluster, channel: str
) -> None:
    cluster = redis_cluster
    old_async_client = async_cluster_client(cluster, OldAsyncCluster)
    assert not hasattr(old_async_client, "pubsub")
    publisher = async_cluster_client(cluster)
    store, pub_store = AsyncRedisStore(old_async_client), AsyncRedisStore(publisher)
    try:
        async with listening(store, channel) as listener:
            await listener_subscribed(cluster, channel)
            await pub_store.publish(channel, b"before")
            assert await listener.next() == b"before"

            # Its node crashes: the iteration ends with the client's error...
            victim = next(node for node in cluster.nodes if node.address == store._control_node)
            cluster.kill(victim)
            with anyio.fail_after(TIMEOUT):
                await listener.ended.wait()
            assert isinstance(listener.error, redis.ConnectionError)

        # ...and subscribing again lands on a live node, which hears a publisher on any node.
        async with listening(store, channel) as listener:
            await listener_subscribed(cluster, channel)
            assert store._control_node != victim.address
            await pub_store.publish(channel, b"while down")
            assert await listener.next() == b"while down"

            await asyncio.to_thread(cluster.restart, victim)
            pub_store._control_node = victim.address
            await pub_store.publish(channel, b"after")
            assert await listener.next() == b"after"
            assert pub_store._control_node == victim.address
    finally:
        await old_async_client.aclose()
        await publisher.aclose()


async def listener_subscribed(cluster: LocalCluster, channel: str) -> None:
    """Wait until exactly one node counts one subscriber of `channel`."""

    def counts() -> list[int]:
        return [numsub(node, channel) for node in cluster.nodes if node.running]

    with anyio.fail_after(TIMEOUT):
        while sorted(counts())[-1:] != [1] or sum(counts()) != 1:
            await asyncio.sleep(0.01)


# A master down elsewhere: every command that reaches it fails, and the failing client
# refreshes its view of the cluster. The subscription, on a live node, must not notice: a
# refresh once marked every connection in the client's pools for reconnection, the pub/sub
# one too, and a resubscribed connection had missed what was published meanwhile.
READS_WHILE_DOWN = 4


def key_on(cluster: LocalCluster, node: ClusterNodeServer) -> str:
    """A key whose slot `node` serves."""
    return next(key for key in (f"k{n}" for n in itertools.count()) if cluster.owner(key) is node)


def test_sync_subscription_holds_while_a_master_elsewhere_is_down(
    redis_cluster: LocalCluster, channel: str
) -> None:
    cluster = redis_cluster
    home, victim = cluster.nodes[0], cluster.nodes[1]
    with sync_cluster_client(cluster) as client, sync_cluster_client(cluster) as publisher:
        store, pub_store = RedisStore(client), RedisStore(publisher)
        store._control_node = home.address
        items: queue.Queue[bytes] = queue.Queue()  # messages, and SUBSCRIBED (b"") each time
        stop = threading.Event()

        def follow_all() -> None:
            for item in store.subscribe(channel):
                if item is not None:
                    items.put(item)
                if stop.is_set():
                    return

        follower = threading.Thread(target=follow_all, daemon=True)
        follower.start()
        try:
            assert items.get(timeout=TIMEOUT) == SUBSCRIBED
            cluster.kill(victim)
            for n in range(READS_WHILE_DOWN):
                with pytest.raises(redis.RedisError):
                    store.get(key_on(cluster, victim))
                pub_store.publish(channel, f"{n}".encode())
                # Nothing in between: no second SUBSCRIBED, no message lost.
                assert items.get(timeout=TIMEOUT) == f"{n}".encode()
        finally:
            stop.set()
            follower.join(TIMEOUT)
        assert not follower.is_alive()


async def test_async_subscription_holds_while_a_master_elsewhere_is_down(
    redis_cluster: LocalCluster, channel: str
) -> None:
    cluster = redis_cluster
    home, victim = cluster.nodes[0], cluster.nodes[1]
    client, publisher = async_cluster_client(cluster), async_cluster_client(cluster)
    store, pub_store = AsyncRedisStore(client), AsyncRedisStore(publisher)
    store._control_node = home.address
    items: asyncio.Queue[bytes] = asyncio.Queue()

    async def follow_all() -> None:
        async for item in store.subscribe(channel):
            if item is not None:
                items.put_nowait(item)

    task = asyncio.create_task(follow_all())
    try:
        with anyio.fail_after(TIMEOUT):
            assert await items.get() == SUBSCRIBED
        await asyncio.to_thread(cluster.kill, victim)
        for n in range(READS_WHILE_DOWN):
            with pytest.raises(redis.RedisError):
                await store.get(key_on(cluster, victim))
            await pub_store.publish(channel, f"{n}".encode())
            with anyio.fail_after(TIMEOUT):
                assert await items.get() == f"{n}".encode()
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await client.aclose()
        await publisher.aclose()
