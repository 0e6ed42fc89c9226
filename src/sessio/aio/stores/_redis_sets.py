"""`RedisSets`: `UserIndex` on Redis, a sorted set per key scored by each member's deadline.

Deadlines are read from Redis's own clock (``TIME``) inside the scripts, so that every node
counts expiry the same way whatever its own clock says. One key per call keeps it
cluster-safe. The key is given Redis's own expiry at its last member's deadline, so a set no one
touches again is gone when its last member would have expired.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

import redis.asyncio
from redis.exceptions import NoScriptError

from sessio.core._presence import SetUpdate

__all__ = ["READ_MEMBERS", "UPDATE_MEMBERS", "RedisSets"]

# KEYS[1]: the set. ARGV[1]: n, how many members to remove, ARGV[2..n+1]; then pairs of a
# member and its TTL in seconds ("" for none). Scores are deadlines in Unix seconds, "inf"
# for none; the key expires at its greatest score.
UPDATE_MEMBERS = """\
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local n = tonumber(ARGV[1])
for i = 2, n + 1 do
  redis.call('ZREM', KEYS[1], ARGV[i])
end
for i = n + 2, #ARGV - 1, 2 do
  local score = 'inf'
  if ARGV[i + 1] ~= '' then
    score = string.format('%.6f', now + tonumber(ARGV[i + 1]))
  end
  redis.call('ZADD', KEYS[1], score, ARGV[i])
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.6f', now))
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if #last == 0 then
  return 0
end
if last[2] == 'inf' then
  redis.call('PERSIST', KEYS[1])
else
  redis.call('PEXPIREAT', KEYS[1], string.format('%.0f', math.ceil(tonumber(last[2]) * 1000)))
end
return 1
"""

# KEYS[1]: the set. ARGV[1]: "count" for how many members are live, else the live members.
READ_MEMBERS = """\
local t = redis.call('TIME')
local after = string.format('(%.6f', tonumber(t[1]) + tonumber(t[2]) / 1000000)
if ARGV[1] == 'count' then
  return redis.call('ZCOUNT', KEYS[1], after, '+inf')
end
return redis.call('ZRANGEBYSCORE', KEYS[1], after, '+inf')
"""


class RedisSets:
    """The `UserIndex` operations on `client`, every key behind `key_prefix`."""

    def __init__(
        self, client: redis.asyncio.Redis | redis.asyncio.RedisCluster, key_prefix: str
    ) -> None:
        self.key_prefix = key_prefix
        self._client = client
        self._update = client.register_script(UPDATE_MEMBERS)
        self._read = client.register_script(READ_MEMBERS)

    async def update_members(
        self, key: str, add: Mapping[str, float | None], remove: Collection[str]
    ) -> None:
        """See `UserIndex.update_members`: one script, one round trip."""
        await self._update(keys=[self.key_prefix + key], args=_arguments(add, remove))

    async def update_many(self, updates: Sequence[SetUpdate]) -> None:
        """See `UserIndex.update_many`: one pipeline (per cluster node), one round trip."""
        if not updates:
            return
        if len(updates) == 1:
            # One user's changes (a node whose sockets come and go one by one): the script
            # alone, a third less work here than a pipeline of one; it reloads itself too.
            (update,) = updates
            await self.update_members(update.key, update.add, update.remove)
            return
        for attempt in (1, 2):
            # Typed loosely: redis-py's pipeline of a cluster client is unannotated.
            pipeline: Any = self._client.pipeline(transaction=False)
            for update in updates:
                arguments = _arguments(update.add, update.remove)
                # EVALSHA by name: a cluster pipeline refuses ``evalsha()``, not the command,
                # which it routes by the key's slot.
                key = self.key_prefix + update.key
                pipeline.execute_command("EVALSHA", self._update.sha, 1, key, *arguments)
            try:
                await pipeline.execute()
                return
            except NoScriptError:
                # Redis forgot the script (a restart, a failover): load it, send again.
                if attempt == 2:
                    raise
                await self._client.script_load(UPDATE_MEMBERS)
            finally:
                await pipeline.reset()

    async def live_members(self, key: str) -> list[str]:
        """See `UserIndex.live_members`."""
        members = await self._read(keys=[self.key_prefix + key], args=["members"])
        return [_text(member) for member in members]

    async def count_members(self, key: str) -> int:
        """See `UserIndex.count_members`."""
        return int(await self._read(keys=[self.key_prefix + key], args=["count"]))


def _arguments(add: Mapping[str, float | None], remove: Collection[str]) -> list[Any]:
    removed = list(remove)
    arguments: list[Any] = [len(removed), *removed]
    for member, ttl in add.items():
        arguments += [member, "" if ttl is None else repr(float(ttl))]
    return arguments


def _text(member: Any) -> str:
    # Members are what sessio wrote (session ids, socket tags): text. Bytes that are not UTF-8
    # were written by someone else and name nothing sessio knows; they stay unmatched.
    if isinstance(member, bytes):
        return member.decode("utf-8", "replace")
    return str(member)
