"""Connections per second: a bare python-socketio AsyncServer against the same with sessio.

Run: .venv/bin/python benchmarks/connections.py [--rounds R] [--per-round N] [--store memory|redis]

Each server runs in its own process under uvicorn; this process is the client. One
"connection" is a websocket connect with the session cookie, one acknowledged event and a
disconnect, sequentially, with the same client. The servers are measured in alternating
rounds so that the machine's noise falls on both alike; the result is the ratio of the
medians. With ``--store redis`` sessio uses a RedisStore on a private redis-server.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

import socketio
from bench_support import free_port, private_redis, wait_listening

SECRET = "keyboard cat"


# -- server side (runs in a child process) ----------------------------------------------


def serve(kind: str, port: int, redis_url: str | None) -> None:
    """Serve one configuration until killed; print READY and the minted cookie first."""
    import uvicorn

    from sessio import formats
    from sessio.aio import AsyncSessionSockets, MemoryStore

    sio = socketio.AsyncServer(async_mode="asgi")
    cookie = "connect.sid=none"
    if kind == "bare":

        @sio.on("ping")
        async def ping(sid: str, data: Any) -> Any:
            return data

    else:
        store: Any
        if redis_url:
            import redis.asyncio

            from sessio.aio import RedisStore

            store = RedisStore(redis.asyncio.Redis.from_url(redis_url))
        else:
            store = MemoryStore()
        sessions = AsyncSessionSockets(sio, store, formats.express(secrets=[SECRET]))

        @sessions.on("connect")
        async def connect(err: Any, sid: str, session: Any) -> bool:
            return err is None

        @sessions.on("ping")
        async def ping_with_session(sid: str, session: Any, data: Any) -> Any:
            return data

        if redis_url:
            # A redis.asyncio client belongs to the loop it first ran on: mint the session
            # through a synchronous twin, so that the server's client meets only uvicorn's.
            import redis as sync_redis

            from sessio.sync import RedisStore as SyncRedisStore
            from sessio.sync import SessionSockets

            minter = SessionSockets(
                socketio.Server(async_mode="threading"),
                SyncRedisStore(sync_redis.Redis.from_url(redis_url)),
                formats.express(secrets=[SECRET]),
            )
            cookie = minter.create({"user": "alice"}).cookie
        else:
            cookie = asyncio.run(sessions.create({"user": "alice"})).cookie

    print(f"READY {cookie}", flush=True)
    uvicorn.run(
        socketio.ASGIApp(sio), host="127.0.0.1", port=port, log_level="error", lifespan="off"
    )


# -- client side ------------------------------------------------------------------------


async def round_trip_rate(url: str, cookie: str, count: int) -> float:
    """Connections per second over `count` sequential connect + call + disconnect."""
    client = socketio.AsyncClient()
    start = time.perf_counter()
    for i in range(count):
        await client.connect(url, headers={"Cookie": cookie}, transports=["websocket"])
        assert await client.call("ping", i, timeout=5) == i
        await client.disconnect()
    return count / (time.perf_counter() - start)


class Server:
    def __init__(self, kind: str, redis_url: str | None) -> None:
        self.port = free_port()
        args = [sys.executable, __file__, "--serve", kind, "--port", str(self.port)]
        if redis_url:
            args += ["--redis", redis_url]
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline().split()
        assert line and line[0] == "READY", line
        self.cookie = line[1]
        self.url = f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(10)


async def measure(rounds: int, per_round: int, redis_url: str | None) -> dict[str, Any]:
    bare, with_sessio = Server("bare", None), Server("sessio", redis_url)
    try:
        deadline = time.monotonic() + 20
        await wait_listening(bare.port, deadline)
        await wait_listening(with_sessio.port, deadline)
        await round_trip_rate(bare.url, bare.cookie, 20)  # warm-up both
        await round_trip_rate(with_sessio.url, with_sessio.cookie, 20)
        rates: dict[str, list[float]] = {"bare": [], "sessio": []}
        for r in range(rounds):
            order = [("bare", bare), ("sessio", with_sessio)]
            for name, server in order if r % 2 == 0 else reversed(order):
                rates[name].append(await round_trip_rate(server.url, server.cookie, per_round))
    finally:
        bare.close()
        with_sessio.close()
    bare_rate, sessio_rate = statistics.median(rates["bare"]), statistics.median(rates["sessio"])
    return {
        "store": "redis" if redis_url else "memory",
        "rounds": rounds,
        "connections_per_round": per_round,
        "bare_conn_per_s": round(bare_rate, 1),
        "sessio_conn_per_s": round(sessio_rate, 1),
        "ratio_sessio_over_bare": round(sessio_rate / bare_rate, 4),
        "paired_ratio": round(
            statistics.median(s / b for s, b in zip(rates["sessio"], rates["bare"], strict=True)),
            4,
        ),
        "bare_rounds": [round(x, 1) for x in rates["bare"]],
        "sessio_rounds": [round(x, 1) for x in rates["sessio"]],
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--serve", choices=["bare", "sessio"])
    parser.add_argument("--port", type=int)
    parser.add_argument("--redis")
    parser.add_argument("--store", choices=["memory", "redis"], default="memory")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--per-round", type=int, default=200)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port, args.redis)
        return 0
    with contextlib.ExitStack() as stack:
        redis_url = stack.enter_context(private_redis()) if args.store == "redis" else None
        report = asyncio.run(measure(args.rounds, args.per_round, redis_url))
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
