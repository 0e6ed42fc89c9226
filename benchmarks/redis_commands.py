"""Redis commands per connect and per save, read from Redis's own ``INFO commandstats``.

Run: .venv/bin/python benchmarks/redis_commands.py [--connections N]

A private redis-server, an AsyncServer with sessio and a RedisStore under uvicorn, and a real
client: each connection is a websocket connect (sessio loads the session), one event whose
handler changes a key and saves, and a disconnect. Statistics are reset after a warm-up (the
first save loads the Lua script; the first connect subscribes to the control channel).
``client`` counts what sessio sends; Redis also counts the GET and SET that run inside the
compare-and-set script, shown apart as ``inside the script``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

import redis
import redis.asyncio
import socketio
import uvicorn
from bench_support import free_port, private_redis

from sessio import formats
from sessio.aio import AsyncSession, AsyncSessionSockets, RedisStore
from sessio.core import Failure


def commandstats(client: redis.Redis) -> dict[str, int]:
    stats: dict[str, Any] = client.info("commandstats")
    return {name.removeprefix("cmdstat_"): int(v["calls"]) for name, v in stats.items()}


async def run(connections: int, redis_url: str) -> dict[str, Any]:
    sio = socketio.AsyncServer(async_mode="asgi")
    sessions = AsyncSessionSockets(
        sio, RedisStore(redis.asyncio.Redis.from_url(redis_url)), formats.express(secrets=["k"])
    )

    @sessions.on("connect")
    async def connect(err: Failure | None, sid: str, session: AsyncSession | None) -> bool:
        return err is None

    @sessions.on("bump")
    async def bump(sid: str, session: AsyncSession, n: int) -> int:
        session["n"] = n
        await session.save()
        return n

    port = free_port()
    config = uvicorn.Config(
        socketio.ASGIApp(sio), host="127.0.0.1", port=port, log_level="error", lifespan="off"
    )
    server = uvicorn.Server(config)
    # One event loop for server, store and client: a redis.asyncio client belongs to one loop.
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    url = f"http://127.0.0.1:{port}"
    minted = await sessions.create({"user": "alice"})
    stats_client = redis.Redis.from_url(redis_url)

    async def one(i: int) -> None:
        client = socketio.AsyncClient()
        await client.connect(url, headers={"Cookie": minted.cookie}, transports=["websocket"])
        assert await client.call("bump", i, timeout=5) == i
        await client.disconnect()

    await one(-1)  # warm-up: script loaded, control channel subscribed
    stats_client.config_resetstat()
    for i in range(connections):
        await one(i)
    stats = commandstats(stats_client)
    stats.pop("info", None)
    stats.pop("config|resetstat", None)
    await sessions.close()
    server.should_exit = True
    await serving
    per_connect = stats.get("get", 0) - stats.get("evalsha", 0)
    return {
        "connections": connections,
        "commandstats": stats,
        "client_commands_per_connect": per_connect / connections,
        "client_commands_per_save": stats.get("evalsha", 0) / connections,
        "inside_the_script_per_save": {
            "get": stats.get("evalsha", 0) / connections,
            "set": stats.get("set", 0) / connections,
        },
        "target": "1 per connect, 1 per save",
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", type=int, default=200)
    args = parser.parse_args()
    with private_redis() as url:
        report = asyncio.run(run(args.connections, url))
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
