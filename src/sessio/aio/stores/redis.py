"""`RedisStore`: sessions in Redis or Redis Cluster, over ``redis.asyncio.Redis``."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Collection, Mapping, Sequence
from contextlib import aclosing
from typing import Any

import redis.asyncio

from sessio.aio.stores._redis_sets import RedisSets
from sessio.core._control import SUBSCRIBED
from sessio.core._presence import SetUpdate

__all__ = ["COMPARE_AND_SET", "TAKE", "RedisStore"]

# KEYS[1]: the key. ARGV[1]: "1" when a value is expected, "0" when the key must be absent;
# ARGV[2]: the expected bytes; ARGV[3]: "1" to write ARGV[4], "0" to delete the key;
# ARGV[5]: the TTL in seconds, "" for none. A Lua script runs with nothing interleaved, so
# the read and the write are one atomic step; one key per call keeps it cluster-safe.
# A missing current value is left out of the mismatch reply rather than sent as Lua false,
# which RESP3 connections would receive as a boolean.
COMPARE_AND_SET = """\
local current = redis.call('GET', KEYS[1])
local matches
if ARGV[1] == '1' then
  matches = current == ARGV[2]
else
  matches = current == false
end
if not matches then
  if current then
    return {0, current}
  end
  return {0}
end
if ARGV[3] == '0' then
  redis.call('DEL', KEYS[1])
elseif ARGV[5] == '' then
  redis.call('SET', KEYS[1], ARGV[4])
else
  redis.call('SET', KEYS[1], ARGV[4], 'EX', ARGV[5])
end
return {1}
"""

# GETDEL as a script: one atomic step on every Redis version sessio supports (GETDEL itself
# needs 6.2), and on a cluster, since it names one key.
TAKE = """\
local value = redis.call('GET', KEYS[1])
if value then
  redis.call('DEL', KEYS[1])
  return value
end
return nil
"""


class RedisStore:
    """Session bytes in Redis: one command per operation, compare-and-set as one Lua script.

    Needs the ``sessio[redis]`` extra. `client` is a ``redis.asyncio.Redis`` or a
    ``redis.asyncio.RedisCluster``, created without ``decode_responses`` (sessions are
    bytes). `key_prefix` goes in front of every key the format names (e.g. ``"app1:"`` when
    several applications share one database).

    Redis errors are not caught here: the shell reports them as ``store-unavailable``.
    Reconnecting and pool sizing are the client's business: docs/stores.md says which retry
    settings replace a connection that a Redis restart closed and still fail fast while Redis is
    down, and why a burst of connects needs a ``BlockingConnectionPool``.
    """

    def __init__(
        self,
        client: redis.asyncio.Redis | redis.asyncio.RedisCluster,
        *,
        key_prefix: str = "",
    ) -> None:
        if _decodes_responses(client):
            raise ValueError(
                "RedisStore needs a client that returns bytes: create it without "
                "decode_responses=True"
            )
        self.client = client
        self.key_prefix = key_prefix
        # EVALSHA, with the script loaded and the call repeated on NOSCRIPT (after a restart
        # or a failover the server has forgotten it).
        self._compare_and_set = client.register_script(COMPARE_AND_SET)
        self._take = client.register_script(TAKE)
        # The cluster node that last took a control-channel publish or subscription.
        self._control_node: str | None = None
        # Users' session indexes and presence (`UserIndex`): sorted sets beside the sessions.
        self._sets = RedisSets(client, key_prefix)

    async def get(self, key: str) -> bytes | None:
        """The bytes under `key`, or None."""
        return _bytes(await self.client.get(self.key_prefix + key))

    async def set(self, key: str, value: bytes, ttl: int | None) -> None:
        """Store `value` under `key` for `ttl` seconds (None: no expiry; 0 or less: delete)."""
        if ttl is not None and ttl <= 0:
            await self.client.delete(self.key_prefix + key)
        else:
            await self.client.set(self.key_prefix + key, value, ex=ttl)

    async def delete(self, key: str) -> None:
        """Remove `key`."""
        await self.client.delete(self.key_prefix + key)

    async def compare_and_set(
        self, key: str, expected: bytes | None, value: bytes | None, ttl: int | None
    ) -> tuple[bool, bytes | None]:
        """Write `value` only if `key` holds `expected`, in one round trip (see `Store`)."""
        write = value is not None and (ttl is None or ttl > 0)
        args = [
            b"0" if expected is None else b"1",
            b"" if expected is None else expected,
            b"1" if write else b"0",
            b"" if value is None else value,
            b"" if ttl is None else str(ttl).encode(),
        ]
        reply = await self._compare_and_set(keys=[self.key_prefix + key], args=args)
        if reply[0] == 1:
            return True, value
        return False, _bytes(reply[1]) if len(reply) > 1 else None

    async def take(self, key: str) -> bytes | None:
        """The bytes under `key`, deleted in the same step (one script: `TAKE`)."""
        return _bytes(await self._take(keys=[self.key_prefix + key]))

    async def ttl(self, key: str) -> float | None:
        """Seconds until `key` expires; None when it has no expiry or is absent."""
        milliseconds = await self.client.pttl(self.key_prefix + key)
        return None if milliseconds < 0 else milliseconds / 1000

    async def update_members(
        self, key: str, add: Mapping[str, float | None], remove: Collection[str]
    ) -> None:
        """Change the expiring set `key` in one step (see `UserIndex`)."""
        await self._sets.update_members(key, add, remove)

    async def update_many(self, updates: Sequence[SetUpdate]) -> None:
        """`update_members` for each of `updates`, in one pipeline (see `UserIndex`)."""
        await self._sets.update_many(updates)

    async def live_members(self, key: str) -> list[str]:
        """The live members of the expiring set `key` (see `UserIndex`)."""
        return await self._sets.live_members(key)

    async def count_members(self, key: str) -> int:
        """How many live members the expiring set `key` has (see `UserIndex`)."""
        return await self._sets.count_members(key)

    async def publish(self, channel: str, message: bytes) -> None:
        """Send `message` to every subscriber of `channel` (sessio's control channel).

        On a cluster, through the first node that takes it (see `subscribe`).
        """
        name = self.key_prefix + channel
        if not isinstance(self.client, redis.asyncio.RedisCluster):
            await self.client.publish(name, message)
            return
        # Typed loosely: redis-py leaves most of the sync cluster client unannotated.
        cluster: Any = self.client
        nodes = await self._control_nodes()
        for attempt, node in enumerate(nodes, 1):
            try:
                await cluster.execute_command("PUBLISH", name, message, target_nodes=node)
            except redis.RedisError:
                if attempt == len(nodes):
                    raise
                continue
            self._control_node = node.name
            return

    async def subscribe(self, channel: str) -> AsyncGenerator[bytes | None, None]:
        """Messages published on `channel`, and None after each second without one.

        The Nones let a listener notice that it should stop. `SUBSCRIBED` comes each time
        Redis confirms the subscription: first, and again whenever redis-py reconnects and
        resubscribes on its own (messages published in between are lost). A connection lost
        for good ends the iteration with the client's error; the listener subscribes again.

        On a cluster this is plain pub/sub, not sharded, on the node that last worked, else
        the first that answers (docs/stores.md says why).
        """
        name = self.key_prefix + channel
        nodes = await self._control_nodes()
        for attempt, node in enumerate(nodes, 1):
            pubsub = _pubsub(self.client, node)
            async with aclosing(pubsub):
                try:
                    await pubsub.subscribe(name)
                except redis.RedisError:
                    if attempt == len(nodes):
                        raise
                    continue
                if node is not None:
                    self._control_node = node.name
                while True:
                    item = await pubsub.get_message(timeout=1.0)
                    if item is None:
                        yield None
                    elif item["type"] == "subscribe":
                        yield SUBSCRIBED
                    elif item["type"] == "message":
                        yield _bytes(item["data"])

    async def _control_nodes(self) -> list[Any]:
        """Where to publish or subscribe, in order: [None] (the client itself) for a single
        Redis; for a cluster, every node, the one that last worked first."""
        if not isinstance(self.client, redis.asyncio.RedisCluster):
            return [None]
        cluster: Any = self.client
        await cluster.initialize()  # unasync: drop
        nodes = cluster.get_nodes()
        if not nodes:
            # Never an empty list: publish would send nothing, subscribe would end at once.
            raise redis.ConnectionError("the Redis Cluster client knows no node")
        return sorted(nodes, key=lambda node: node.name != self._control_node)


def _pubsub(client: Any, node: Any) -> Any:
    """A pub/sub connection for `client`, on cluster node `node` (None: not a cluster)."""
    if node is None:
        return client.pubsub()
    # On a cluster, in a pool of its own: each topology refresh (any command that finds a
    # master down starts one) marks every connection in the cluster client's pools to be
    # reconnected, and a pub/sub connection that reconnects misses what is published
    # meanwhile. With a master down, that was every second: messages for live sessions lost.
    cls, kwargs = _connection_settings(node)
    pool = redis.asyncio.ConnectionPool(connection_class=cls, **kwargs)
    own: Any = redis.asyncio.Redis(connection_pool=pool)  # redis's pubsub() is unannotated
    return own.pubsub()


def _connection_settings(node: Any) -> tuple[Any, dict[str, Any]]:
    """The connection class and settings the cluster client uses for `node`."""
    # Typed loosely: redis-py leaves its cluster nodes unannotated. redis.asyncio's node
    # keeps the settings itself; redis's, in its own client's pool.
    if hasattr(node, "connection_kwargs"):
        return node.connection_class, dict(node.connection_kwargs)
    if node.redis_connection is None:
        raise redis.ConnectionError(f"the Redis Cluster client has no connection to {node.name}")
    pool = node.redis_connection.connection_pool
    return pool.connection_class, dict(pool.connection_kwargs)


def _decodes_responses(client: object) -> bool:
    get_encoder = getattr(client, "get_encoder", None)
    return get_encoder is not None and bool(getattr(get_encoder(), "decode_responses", False))


def _bytes(value: Any) -> bytes | None:
    if value is None or isinstance(value, bytes):
        return value
    raise TypeError(f"Redis returned {type(value).__name__}, not bytes: is decode_responses on?")
