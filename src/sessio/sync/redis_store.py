# Generated from src/sessio/aio/redis_store.py by scripts/unasync.py: edit that file instead.
"""`RedisStore`: sessions in Redis or Redis Cluster, over ``redis.Redis``."""

from __future__ import annotations

from collections.abc import Callable, Generator
from contextlib import closing
from typing import Any

import redis

from sessio.core.control import SUBSCRIBED

__all__ = ["COMPARE_AND_SET", "RedisStore"]

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


class RedisStore:
    """Session bytes in Redis: one command per operation, compare-and-set as one Lua script.

    Needs the ``sessio[redis]`` extra. `client` is a ``redis.Redis`` or a
    ``redis.RedisCluster``, created without ``decode_responses`` (sessions are
    bytes). `key_prefix` goes in front of every key the format names (e.g. ``"app1:"`` when
    several applications share one database).

    Redis errors are not caught here: the shell reports them as ``store-unavailable``.
    Reconnecting is the client's business. ``redis.Redis(host=..., port=...)``
    retries a failed call 10 times with backoff by default, so it replaces a connection that a
    Redis restart closed, but takes about 5 s to report that Redis is down. A client made with
    ``from_url()`` or an explicit ``ConnectionPool`` does not retry at all, and on asyncio its
    first call after a restart fails. ``retry=Retry(NoBackoff(), 1)`` (from
    ``redis.retry`` and ``redis.backoff``) gives both: one immediate retry on a fresh
    connection, and an error at once while Redis is down.

    Size the client's pool for connect bursts: every connecting socket reads its session at
    once. redis-py's default ``ConnectionPool`` (redis-py 8) holds at most 100 connections and
    fails a command at once with ``MaxConnectionsError`` when they are all busy, so a burst of
    more than about 100 sockets connecting to one server refuses the rest with
    ``store-unavailable`` while Redis is fine. A ``BlockingConnectionPool`` waits for a free
    connection instead (up to its `timeout`)::

        pool = redis.BlockingConnectionPool.from_url(
            url, max_connections=50, timeout=10, retry=Retry(NoBackoff(), 1)
        )
        store = RedisStore(redis.Redis(connection_pool=pool))
    """

    def __init__(
        self,
        client: redis.Redis | redis.RedisCluster,
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

    def get(self, key: str) -> bytes | None:
        """The bytes under `key`, or None."""
        return _bytes(self.client.get(self.key_prefix + key))

    def set(self, key: str, value: bytes, ttl: int | None) -> None:
        """Store `value` under `key` for `ttl` seconds (None: no expiry; 0 or less: delete)."""
        if ttl is not None and ttl <= 0:
            self.client.delete(self.key_prefix + key)
        else:
            self.client.set(self.key_prefix + key, value, ex=ttl)

    def delete(self, key: str) -> None:
        """Remove `key`."""
        self.client.delete(self.key_prefix + key)

    def compare_and_set(
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
        reply = self._compare_and_set(keys=[self.key_prefix + key], args=args)
        if reply[0] == 1:
            return True, value
        return False, _bytes(reply[1]) if len(reply) > 1 else None

    def ttl(self, key: str) -> float | None:
        """Seconds until `key` expires; None when it has no expiry or is absent."""
        milliseconds = self.client.pttl(self.key_prefix + key)
        return None if milliseconds < 0 else milliseconds / 1000

    def publish(self, channel: str, message: bytes) -> None:
        """Send `message` to every subscriber of `channel` (sessio's control channel)."""
        self.client.publish(self.key_prefix + channel, message)

    def subscribe(self, channel: str) -> Generator[bytes | None, None, None]:
        """Messages published on `channel`, and None after each second without one.

        The Nones let a listener notice that it should stop. `SUBSCRIBED` comes each time
        Redis confirms the subscription: first, and again whenever redis-py reconnects and
        resubscribes on its own (messages published in between are lost). A connection lost
        for good ends the iteration with the client's error; the listener subscribes again.
        """
        # Typed loosely: redis-py leaves the cluster client's pubsub() unannotated.
        make_pubsub: Callable[..., Any] = self.client.pubsub
        pubsub = make_pubsub()
        with closing(pubsub):
            pubsub.subscribe(self.key_prefix + channel)
            while True:
                item = pubsub.get_message(timeout=1.0)
                if item is None:
                    yield None
                elif item["type"] == "subscribe":
                    yield SUBSCRIBED
                elif item["type"] == "message":
                    yield _bytes(item["data"])


def _decodes_responses(client: object) -> bool:
    get_encoder = getattr(client, "get_encoder", None)
    return get_encoder is not None and bool(getattr(get_encoder(), "decode_responses", False))


def _bytes(value: Any) -> bytes | None:
    if value is None or isinstance(value, bytes):
        return value
    raise TypeError(f"Redis returned {type(value).__name__}, not bytes: is decode_responses on?")
