"""100 connects at once: a bare python-socketio AsyncServer against the same with sessio (Redis).

Run: .venv/bin/python benchmarks/concurrent_connects.py [--clients N] [--rounds R]
     [--store redis|memory]

The servers are those of `benchmarks/connections.py` (an AsyncServer under uvicorn, each in
its own process; sessio with a `RedisStore` on a private redis-server), but for the Redis
client's pool: a burst of 100 reads at once, plus sessio's control-channel subscription, is
more than redis-py's default pool (100 connections, `MaxConnectionsError` at once past that:
docs/stores.md, "Sizing the pool for connect bursts") and refuses a connect with
``store-unavailable`` now and then; so sessio's server here uses the pool that page
recommends for bursts, a ``BlockingConnectionPool(max_connections=50, timeout=10)``
(``--pool default`` for redis-py's default, whose refusals are then counted). The connection is
connections.py's too:
websocket connect with a session cookie, one acknowledged event, disconnect. What differs is
that the connections are not sequential: a round is a burst of N clients (100 by default),
each a ``socketio.AsyncClient`` of its own with a session of its own (N distinct sessions,
minted into the Redis before the run), all started at the same instant on this process's
event loop. Per round:

* connections/s = N / (time from the start to the last client's disconnect);
* connect latency of each client = from the start to its ``connect()`` returning (engine.io
  handshake, websocket upgrade and the socket.io CONNECT acknowledged, i.e. after sessio's
  store read).

The two servers are measured in alternating rounds. Reported: the ratio of the medians of
the per-round rates and the median of the per-round ratios (with their spread); the p50 and
p99 of all latencies of each side pooled, and ``bare p99 / sessio p99`` (≥ 1 means sessio's
tail is no longer), also as the median of the per-round ratios; the CPU time per connection
of each server and of this client process: on a 2-core machine the client, the server and
redis-server share the cores, and the report says which of them was busiest.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from typing import Any

import socketio
from bench_support import (
    cpu_seconds,
    free_port,
    git_commit,
    percentile,
    private_redis,
    spread,
    wait_listening,
)
from connections import SECRET

KINDS = ("bare", "sessio")


# -- server side (runs in a child process) ----------------------------------------------


def serve(kind: str, port: int, redis_url: str | None, pool: str) -> None:
    """connections.py's `serve`, with the Redis pool `pool`; prints ``READY <cookie>``."""
    import uvicorn
    from connections import serve as serve_as_connections_does

    if kind == "bare" or redis_url is None or pool == "default":
        serve_as_connections_does(kind, port, redis_url)
        return
    import redis.asyncio

    from sessio import formats
    from sessio.aio import AsyncSessionSockets, RedisStore

    sio = socketio.AsyncServer(async_mode="asgi")
    blocking = redis.asyncio.BlockingConnectionPool.from_url(
        redis_url, max_connections=50, timeout=10
    )
    sessions = AsyncSessionSockets(
        sio,
        RedisStore(redis.asyncio.Redis(connection_pool=blocking)),
        formats.express(secrets=[SECRET]),
    )

    @sessions.on("connect")
    async def connect(err: Any, sid: str, session: Any) -> bool:
        return err is None

    @sessions.on("ping")
    async def ping_with_session(sid: str, session: Any, data: Any) -> Any:
        return data

    # As connections.py's servers do; the parent mints every client's session into the Redis.
    print("READY connect.sid=none", flush=True)
    uvicorn.run(
        socketio.ASGIApp(sio), host="127.0.0.1", port=port, log_level="error", lifespan="off"
    )


class Server:
    """This script's `serve` in a child process (``READY <cookie>``, as connections.py's)."""

    def __init__(self, kind: str, redis_url: str | None, pool: str) -> None:
        self.port = free_port()
        args = [sys.executable, __file__, "--serve", kind, "--port", str(self.port)]
        args += ["--pool", pool, *(["--redis", redis_url] if redis_url else [])]
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline().split()
        if not line or line[0] != "READY":
            self.close()
            raise RuntimeError(f"server did not start: {line}")
        self.cookie = line[1]
        self.url = f"http://127.0.0.1:{self.port}"

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.process.pid)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


# -- client side ------------------------------------------------------------------------


def mint(redis_url: str | None, count: int, fallback: str) -> list[str]:
    """`count` distinct session cookies in the Redis (`fallback` for every client without)."""
    if redis_url is None:
        # A MemoryStore lives in the server process: only the cookie it minted is valid there.
        return [fallback] * count
    import redis

    from sessio import formats
    from sessio.sync import RedisStore, SessionSockets

    minter = SessionSockets(
        socketio.Server(async_mode="threading"),
        RedisStore(redis.Redis.from_url(redis_url)),
        formats.express(secrets=[SECRET]),
    )
    return [minter.create({"user": f"user{i}"}).cookie for i in range(count)]


async def burst(
    url: str, cookies: list[str], timeout: float
) -> tuple[float, list[float], list[str]]:
    """One round: len(cookies) clients at once; (connections/s, connect latencies in ms of
    the connections that succeeded, what failed)."""
    clients = [socketio.AsyncClient(reconnection=False) for _ in cookies]
    gate = asyncio.Event()
    latencies: list[float] = []
    failures: list[str] = []
    started = 0.0

    async def one(client: socketio.AsyncClient, cookie: str, i: int) -> None:
        await gate.wait()
        try:
            await client.connect(
                url, headers={"Cookie": cookie}, transports=["websocket"], wait_timeout=timeout
            )
            latencies.append((time.perf_counter() - started) * 1000)
            if await client.call("ping", i, timeout=timeout) != i:
                failures.append("wrong ack")
            await client.disconnect()
        except (socketio.exceptions.SocketIOError, TimeoutError) as error:
            # Counted and reported, not raised: a refused connect (the store's pool
            # exhausted) is a finding of this benchmark, not a reason to lose the run.
            failures.append(f"{type(error).__name__}: {error}")

    pairs = enumerate(zip(clients, cookies, strict=True))
    tasks = [asyncio.create_task(one(client, cookie, i)) for i, (client, cookie) in pairs]
    await asyncio.sleep(0)  # every task is now waiting at the gate
    started = time.perf_counter()
    gate.set()
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        for client in clients:
            if client.connected:
                await client.disconnect()
    return len(cookies) / (time.perf_counter() - started), latencies, failures


def client_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def measure(clients: int, rounds: int, redis_url: str | None, pool: str) -> dict[str, Any]:
    servers = {kind: Server(kind, redis_url, pool) for kind in KINDS}
    try:
        deadline = time.monotonic() + 20
        for server in servers.values():
            await wait_listening(server.port, deadline)
        cookies = {
            "bare": [servers["bare"].cookie] * clients,
            "sessio": mint(redis_url, clients, servers["sessio"].cookie),
        }
        for kind, server in servers.items():  # warm-up both, at full width
            await burst(server.url, cookies[kind], 30)
        rates: dict[str, list[float]] = {kind: [] for kind in KINDS}
        p99s: dict[str, list[float]] = {kind: [] for kind in KINDS}
        pooled: dict[str, list[float]] = {kind: [] for kind in KINDS}
        cpu = dict.fromkeys(KINDS, 0.0)
        mine = dict.fromkeys(KINDS, 0.0)
        failed: dict[str, list[str]] = {kind: [] for kind in KINDS}
        for r in range(rounds):
            order = list(servers.items())
            for kind, server in order if r % 2 == 0 else reversed(order):
                before, mine_before = server.cpu_seconds(), client_cpu()
                rate, latencies, failures = await burst(server.url, cookies[kind], 30)
                failed[kind] += failures
                cpu[kind] += server.cpu_seconds() - before
                mine[kind] += client_cpu() - mine_before
                rates[kind].append(rate)
                p99s[kind].append(percentile(latencies, 0.99))
                pooled[kind].extend(latencies)
    finally:
        for server in servers.values():
            server.close()
    total = rounds * clients
    paired_rate = [s / b for s, b in zip(rates["sessio"], rates["bare"], strict=True)]
    paired_p99 = [b / s for s, b in zip(p99s["sessio"], p99s["bare"], strict=True)]
    p99 = {kind: percentile(pooled[kind], 0.99) for kind in KINDS}
    return {
        "store": "redis" if redis_url else "memory",
        "pool": pool if redis_url else None,
        "clients": clients,
        "rounds": rounds,
        "bare_conn_per_s": round(statistics.median(rates["bare"]), 1),
        "sessio_conn_per_s": round(statistics.median(rates["sessio"]), 1),
        "ratio_sessio_over_bare": round(
            statistics.median(rates["sessio"]) / statistics.median(rates["bare"]), 4
        ),
        "paired_ratio": spread(paired_rate),
        "bare_p50_ms": round(percentile(pooled["bare"], 0.5), 2),
        "sessio_p50_ms": round(percentile(pooled["sessio"], 0.5), 2),
        "bare_p99_ms": round(p99["bare"], 2),
        "sessio_p99_ms": round(p99["sessio"], 2),
        "p99_ratio_bare_over_sessio": round(p99["bare"] / p99["sessio"], 4),
        "paired_p99_ratio": spread(paired_p99),
        "failed_connections": {kind: len(failed[kind]) for kind in KINDS},
        "failures": sorted({f"{kind}: {why}" for kind in KINDS for why in failed[kind]}),
        "server_cpu_ms_per_conn": {k: round(cpu[k] * 1000 / total, 3) for k in KINDS},
        "client_cpu_ms_per_conn": {k: round(mine[k] * 1000 / total, 3) for k in KINDS},
        "bare_rounds": [round(x, 1) for x in rates["bare"]],
        "sessio_rounds": [round(x, 1) for x in rates["sessio"]],
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--store", choices=["memory", "redis"], default="redis")
    parser.add_argument("--pool", choices=["blocking", "default"], default="blocking")
    parser.add_argument("--serve", choices=KINDS)
    parser.add_argument("--port", type=int)
    parser.add_argument("--redis")
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port, args.redis, args.pool)
        return 0
    load_before = os.getloadavg()[0]
    with contextlib.ExitStack() as stack:
        redis_url = stack.enter_context(private_redis()) if args.store == "redis" else None
        report = asyncio.run(measure(args.clients, args.rounds, redis_url, args.pool))
    report = {
        "commit": git_commit(),
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
        **report,
    }
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
