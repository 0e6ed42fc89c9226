"""Connecting with a socket ticket against connecting with the cookie, on Redis.

Run: .venv/bin/python benchmarks/ticket_connect.py [--rounds R] [--per-round N]

A private redis-server, an AsyncServer with sessio and a `RedisStore` under uvicorn, and a
real client over websocket, all on one event loop. One "cookie" connection is a connect with
the session cookie, one acknowledged event and a disconnect; one "ticket" connection first
issues a ticket (`issue_ticket`: what the web app's ticket route costs, one ``SET``), then
connects with it and no cookie, and does the same. Rounds alternate the two sides; the figure
is the ratio of their medians. Redis's own ``INFO commandstats`` counts the commands each side
sends per connection.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from typing import Any

import redis
import redis.asyncio
import socketio
import uvicorn
from bench_support import free_port, private_redis

from sessio import formats
from sessio.aio import AsyncSession, AsyncSessionSockets, RedisStore, issue_ticket
from sessio.core import Failure

FMT = formats.express(secrets=["k"])


def commandstats(client: redis.Redis) -> dict[str, int]:
    stats: dict[str, Any] = client.info("commandstats")
    counts = {name.removeprefix("cmdstat_"): int(v["calls"]) for name, v in stats.items()}
    counts.pop("info", None)
    counts.pop("config|resetstat", None)
    return counts


async def run(rounds: int, per_round: int, redis_url: str) -> dict[str, Any]:
    store = RedisStore(redis.asyncio.Redis.from_url(redis_url))
    sio = socketio.AsyncServer(async_mode="asgi")
    sessions = AsyncSessionSockets(sio, store, FMT, require_session=True)

    @sessions.on("ping")
    async def ping(sid: str, session: AsyncSession) -> str:
        return str(session["user"])

    @sessions.on("connect")
    async def connect(err: Failure | None, sid: str, session: AsyncSession | None) -> None:
        return None

    port = free_port()
    config = uvicorn.Config(
        socketio.ASGIApp(sio), host="127.0.0.1", port=port, log_level="error", lifespan="off"
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    url = f"http://127.0.0.1:{port}"
    minted = await sessions.create({"user": "alice"})
    value = minted.cookie.partition("=")[2]

    async def with_cookie() -> None:
        client = socketio.AsyncClient()
        await client.connect(url, headers={"Cookie": minted.cookie}, transports=["websocket"])
        assert await client.call("ping", timeout=5) == "alice"
        await client.disconnect()

    async def with_ticket() -> None:
        ticket = await issue_ticket(store, FMT, value)
        client = socketio.AsyncClient()
        await client.connect(url, auth={"ticket": ticket}, transports=["websocket"])
        assert await client.call("ping", timeout=5) == "alice"
        await client.disconnect()

    stats_client = redis.Redis.from_url(redis_url)
    commands: dict[str, dict[str, float]] = {}
    for name, one in (("cookie", with_cookie), ("ticket", with_ticket)):
        await one()  # warm-up: scripts loaded, control channel subscribed
        stats_client.config_resetstat()
        for _ in range(100):
            await one()
        commands[name] = {k: v / 100 for k, v in commandstats(stats_client).items()}

    rates: dict[str, list[float]] = {"cookie": [], "ticket": []}
    for index in range(rounds):
        order = ("cookie", "ticket") if index % 2 == 0 else ("ticket", "cookie")
        for name in order:
            one = with_cookie if name == "cookie" else with_ticket
            start = time.perf_counter()
            for _ in range(per_round):
                await one()
            rates[name].append(per_round / (time.perf_counter() - start))
    await sessions.close()
    server.should_exit = True
    await serving
    cookie, ticket = statistics.median(rates["cookie"]), statistics.median(rates["ticket"])
    return {
        "rounds": rounds,
        "per_round": per_round,
        "connections_per_second": {"cookie": round(cookie, 1), "ticket": round(ticket, 1)},
        "ticket_over_cookie": round(ticket / cookie, 3),
        "redis_commands_per_connection": commands,
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--per-round", type=int, default=100)
    args = parser.parse_args()
    with private_redis() as url:
        report = asyncio.run(run(args.rounds, args.per_round, url))
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
