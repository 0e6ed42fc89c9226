"""Redis commands per connection with and without ``user_key``, from ``INFO commandstats``.

Run: .venv/bin/python benchmarks/users_commands.py [--connections N]

The servers of ``benchmarks/connections.py`` (``sessio``, and ``users``: the same with
``user_key="user"``), each in turn against a private redis-server, and its client: each
connection is a websocket connect with the session cookie, one acknowledged event and a
disconnect, sequentially, at full speed. Statistics are reset after a warm-up (the first
connect indexes the session and loads the scripts) and read 0.5 s after the last connection
(a presence flush waits 0.2 s). Prints one JSON line: per server, the commands Redis counted
per connection (``EVALSHA``: the presence and index scripts; the ``Z*``, ``TIME`` and
``PEXPIREAT`` inside them are Redis's count of what the scripts ran).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shlex
import sys
import time

import redis
from bench_support import private_redis, wait_listening
from connections import Server, round_trip_rate


def commands(kind: str, redis_url: str, count: int) -> dict[str, float]:
    """Commands per connection that Redis counted for `count` connections to a `kind` server."""
    server = Server(kind, redis_url)
    client = redis.Redis.from_url(redis_url)
    try:
        asyncio.run(wait_listening(server.port, time.monotonic() + 20))
        asyncio.run(round_trip_rate(server.url, server.cookie, 10))
        time.sleep(0.5)
        client.config_resetstat()
        asyncio.run(round_trip_rate(server.url, server.cookie, count))
        time.sleep(0.5)
        stats = client.info("commandstats")
    finally:
        server.close()
        client.close()
    return {
        name.removeprefix("cmdstat_"): round(int(row["calls"]) / count, 4)
        for name, row in sorted(stats.items())
        if name != "cmdstat_config|resetstat"
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--connections", type=int, default=500)
    args = parser.parse_args()
    with private_redis() as redis_url:
        per = {kind: commands(kind, redis_url, args.connections) for kind in ("sessio", "users")}
    report = {
        "benchmark": "users_commands",
        "connections": args.connections,
        "commands_per_connection": per,
        "command": shlex.join([".venv/bin/python", "benchmarks/users_commands.py", *sys.argv[1:]]),
    }
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
