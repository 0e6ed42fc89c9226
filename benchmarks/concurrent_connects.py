"""100 connects at once: a bare python-socketio AsyncServer against the same with sessio (Redis).

Run: .venv/bin/python benchmarks/concurrent_connects.py [--clients N] [--rounds R]
     [--store redis|memory]

The servers are `benchmarks/connections.py`'s (an AsyncServer under uvicorn, each in its own
process; sessio with a `RedisStore` on a private redis-server), and so is the connection:
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
import sys
import time
from typing import Any

import socketio
from bench_support import git_commit, percentile, private_redis, spread, wait_listening
from connections import SECRET, Server

KINDS = ("bare", "sessio")


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


async def burst(url: str, cookies: list[str], timeout: float) -> tuple[float, list[float]]:
    """One round: len(cookies) clients at once; (connections/s, connect latencies in ms)."""
    clients = [socketio.AsyncClient(reconnection=False) for _ in cookies]
    gate = asyncio.Event()
    latencies: list[float] = []
    started = 0.0

    async def one(client: socketio.AsyncClient, cookie: str, i: int) -> None:
        await gate.wait()
        await client.connect(
            url, headers={"Cookie": cookie}, transports=["websocket"], wait_timeout=timeout
        )
        latencies.append((time.perf_counter() - started) * 1000)
        assert await client.call("ping", i, timeout=timeout) == i
        await client.disconnect()

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
    return len(cookies) / (time.perf_counter() - started), latencies


def client_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def measure(clients: int, rounds: int, redis_url: str | None) -> dict[str, Any]:
    servers = {kind: Server(kind, redis_url) for kind in KINDS}
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
        for r in range(rounds):
            order = list(servers.items())
            for kind, server in order if r % 2 == 0 else reversed(order):
                before, mine_before = server.cpu_seconds(), client_cpu()
                rate, latencies = await burst(server.url, cookies[kind], 30)
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
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    with contextlib.ExitStack() as stack:
        redis_url = stack.enter_context(private_redis()) if args.store == "redis" else None
        report = asyncio.run(measure(args.clients, args.rounds, redis_url))
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
