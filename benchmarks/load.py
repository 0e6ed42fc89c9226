"""Load: 2,000 concurrent websockets with a session each, memory per socket, connect bursts.

Run: .venv/bin/python benchmarks/load.py [--sockets 2000] [--burst 200] [--bursts 10]
     [--rounds 3] [--store redis|memory] [--pool blocking|default]

Two servers, each a python-socketio ``AsyncServer`` under uvicorn in its own process
(``load_server.py``): ``bare`` (python-socketio alone) and ``sessio`` (`AsyncSessionSockets`
with a `RedisStore` on a private redis-server, or with ``--store memory`` a `MemoryStore`).
The RedisStore's client has a ``BlockingConnectionPool`` of 50 connections; ``--pool default``
gives it redis-py's default pool, which refuses a command when its 100 connections are busy
(the burst then loses sockets to ``store-unavailable``: see RELIABILITY.md).
This process is the client: python-socketio ``AsyncClient``\\s over websocket.

The sessions are minted before the servers start, in Redis, through sessio's synchronous shell
(outside any server's loop): session ``i`` holds ``{"user": "user-<i>"}``. Socket ``i`` connects
with session ``i``'s cookie and asks ``whoami`` (acknowledged): it must answer ``user-<i>``
(with ``bare``, ``"bare"``). A socket that is refused, fails or hears another user is counted.

Each round starts both servers afresh and, in alternating order, for each: connects and
disconnects 50 sockets (warm-up), reads the server's RSS (after ``gc.collect()``), connects
``--sockets`` sockets (100 connecting at a time), checks every ``whoami``, reads RSS again with
all of them connected, disconnects them, and waits until the server's tables are empty (for
sessio, `tables()` all 0). Memory sessio adds per socket = (sessio's growth - bare's growth) /
N, where growth is RSS with N sockets minus RSS before; also shown: (sessio RSS - bare RSS) / N
at N, the difference of the two processes as they stand (both import the same modules).

Then ``--bursts`` bursts per server, alternating: ``--burst`` fresh clients call ``connect``
at the same moment (one ``asyncio.gather``); a socket's latency is the time from the burst's
start until its connect returned (the server's connect handler answered). None may be
refused; each then checks its ``whoami``. The first burst on each server is a warm-up.

Prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shlex
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from typing import Any

import redis
import socketio
from bench_support import (
    ServerProcess,
    git_commit,
    percentile,
    private_redis,
    raise_fd_limit,
)
from load_server import allocation_sites

from sessio import formats
from sessio.sync import RedisStore, SessionSockets

SECRET = "keyboard cat"
CONNECTING_AT_ONCE = 100
WARM_UP = 50
TIMEOUT = 60.0


def mint_in_redis(redis_url: str, count: int) -> list[str]:
    """`count` sessions in Redis (session i: user-i), minted synchronously; their cookies."""
    client = redis.Redis.from_url(redis_url)
    minter = SessionSockets(
        socketio.Server(async_mode="threading"),
        RedisStore(client),
        formats.express(secrets=[SECRET]),
    )
    cookies = [minter.create({"user": f"user-{i}"}).cookie for i in range(count)]
    client.close()
    return cookies


class Server:
    """One server process, with the cookies its clients use and what `whoami` must answer."""

    def __init__(
        self,
        kind: str,
        store: str,
        redis_url: str | None,
        cookies: list[str],
        pool: str,
        *extra: str,
    ) -> None:
        self.kind = kind
        args = ["--kind", kind, "--store", store, "--pool", pool, *extra]
        if redis_url:
            args += ["--redis", redis_url]
        cookie_file = None
        if kind == "sessio" and store == "memory":
            cookie_file = tempfile.mktemp(prefix="sessio-load-cookies-")
            args += ["--mint", str(len(cookies)), "--cookies", cookie_file]
        self.process = ServerProcess(*args)
        self.cookies = cookies
        if cookie_file:
            with open(cookie_file) as minted:
                self.cookies = json.load(minted)
            os.unlink(cookie_file)

    def expect(self, index: int) -> str:
        return "bare" if self.kind == "bare" else f"user-{index}"

    async def drained(self, timeout: float = TIMEOUT) -> dict[str, Any]:
        """Wait until the server holds no socket (and sessio no row); its stats then."""
        deadline = time.monotonic() + timeout
        while True:
            stats = await self.process.astats("gc")
            if stats["socketio"]["eio_sockets"] == 0 and not any(stats["tables"].values()):
                return stats
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.kind} still holds sockets: {stats}")
            await asyncio.sleep(0.05)


def new_client() -> socketio.AsyncClient:
    return socketio.AsyncClient(reconnection=False, handle_sigint=False)


class Tally:
    """What went wrong, by kind."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def note(self, what: str) -> None:
        self.counts[what] += 1


async def open_socket(
    server: Server, index: int, tally: Tally, gate: asyncio.Semaphore
) -> socketio.AsyncClient | None:
    """Connect socket `index` and check that `whoami` names its own session."""
    client = new_client()
    async with gate:
        try:
            await client.connect(
                server.process.url,
                headers={"Cookie": server.cookies[index]},
                transports=["websocket"],
                wait_timeout=TIMEOUT,
            )
        except socketio.exceptions.ConnectionError as error:
            tally.note(f"refused: {error}")
            return None
    try:
        who = await client.call("whoami", timeout=TIMEOUT)
    except Exception as error:
        tally.note(f"whoami failed: {type(error).__name__}")
        who = None
    if who != server.expect(index):
        tally.note("wrong session")
    return client


async def close_all(clients: list[socketio.AsyncClient | None]) -> None:
    gate = asyncio.Semaphore(CONNECTING_AT_ONCE)

    async def close(client: socketio.AsyncClient) -> None:
        async with gate:
            await client.disconnect()

    await asyncio.gather(*(close(client) for client in clients if client is not None))


async def memory_round(server: Server, sockets: int, traced: bool = False) -> dict[str, Any]:
    """RSS before and with `sockets` connected; failures.

    With `traced` (a server run with ``--tracemalloc``), also what was allocated between the
    two readings and is alive with the sockets connected (``tracemalloc``).
    """
    tally = Tally()
    gate = asyncio.Semaphore(CONNECTING_AT_ONCE)
    warm = await asyncio.gather(*(open_socket(server, i, tally, gate) for i in range(WARM_UP)))
    await close_all(warm)
    before = await server.drained()
    if traced:
        marked = await server.process.astats("tm-mark")
    started = time.monotonic()
    clients = await asyncio.gather(*(open_socket(server, i, tally, gate) for i in range(sockets)))
    connect_s = time.monotonic() - started
    loaded = await server.process.astats("gc&tm-diff" if traced else "gc")
    if traced:
        loaded["tracemalloc"] = await asyncio.to_thread(
            allocation_sites,
            tracemalloc.Snapshot.load(marked["tracemalloc_snapshot"]),
            tracemalloc.Snapshot.load(loaded["tracemalloc_snapshot"]),
        )
    await close_all(clients)
    after = await server.drained()
    return {
        "rss_before_kb": before["rss_kb"],
        "rss_loaded_kb": loaded["rss_kb"],
        "rss_after_kb": after["rss_kb"],
        "connected": sum(1 for client in clients if client is not None),
        "server_connected": loaded["socketio"]["connected"],
        "tables_loaded": loaded["tables"],
        "tables_after": after["tables"],
        "failures": dict(tally.counts),
        "connect_all_s": round(connect_s, 2),
        **({"tracemalloc": loaded["tracemalloc"]} if traced else {}),
    }


async def burst(server: Server, size: int) -> dict[str, Any]:
    """`size` sockets connecting at once: each one's latency from the burst's start."""
    clients = [new_client() for _ in range(size)]
    tally = Tally()

    async def connect(index: int) -> float | None:
        try:
            await clients[index].connect(
                server.process.url,
                headers={"Cookie": server.cookies[index]},
                transports=["websocket"],
                wait_timeout=TIMEOUT,
            )
        except socketio.exceptions.ConnectionError as error:
            tally.note(f"refused: {error}")
            return None
        return time.perf_counter() - started

    started = time.perf_counter()
    latencies = await asyncio.gather(*(connect(i) for i in range(size)))

    async def check(index: int) -> None:
        if latencies[index] is None:
            return
        if await clients[index].call("whoami", timeout=TIMEOUT) != server.expect(index):
            tally.note("wrong session")

    await asyncio.gather(*(check(i) for i in range(size)))
    await close_all([c for c, lat in zip(clients, latencies, strict=True) if lat is not None])
    await server.drained()
    return {
        "latencies": [lat for lat in latencies if lat is not None],
        "failures": dict(tally.counts),
    }


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


async def run(args: argparse.Namespace, redis_url: str | None, cookies: list[str]) -> dict:
    kinds = ("bare", "sessio")
    memory: dict[str, list[dict[str, Any]]] = {kind: [] for kind in kinds}
    bursts: dict[str, list[dict[str, Any]]] = {kind: [] for kind in kinds}
    for r in range(args.rounds):
        servers = {kind: Server(kind, args.store, redis_url, cookies, args.pool) for kind in kinds}
        try:
            order = list(kinds) if r % 2 == 0 else list(reversed(kinds))
            for kind in order:
                memory[kind].append(await memory_round(servers[kind], args.sockets))
            for b in range(args.bursts + 1):
                for kind in order if b % 2 == 0 else list(reversed(order)):
                    result = await burst(servers[kind], args.burst)
                    if b > 0:  # the first is a warm-up
                        bursts[kind].append(result)
        finally:
            for server in servers.values():
                server.process.close()

    n = args.sockets
    per_round = []
    for bare, with_sessio in zip(memory["bare"], memory["sessio"], strict=True):
        bare_growth = bare["rss_loaded_kb"] - bare["rss_before_kb"]
        sessio_growth = with_sessio["rss_loaded_kb"] - with_sessio["rss_before_kb"]
        per_round.append(
            {
                "bare_kb_per_socket": round(bare_growth / n, 2),
                "sessio_kb_per_socket": round(sessio_growth / n, 2),
                "added_kb_per_socket": round((sessio_growth - bare_growth) / n, 2),
                "difference_at_n_kb_per_socket": round(
                    (with_sessio["rss_loaded_kb"] - bare["rss_loaded_kb"]) / n, 2
                ),
            }
        )
    latency: dict[str, Any] = {}
    for kind in kinds:
        pooled = [x for b in bursts[kind] for x in b["latencies"]]
        latency[kind] = {
            "connected": len(pooled),
            "attempted": args.burst * len(bursts[kind]),
            "p50_ms": ms(percentile(pooled, 0.5)),
            "p99_ms": ms(percentile(pooled, 0.99)),
            "max_ms": ms(max(pooled)),
            "failures": sum((Counter(b["failures"]) for b in bursts[kind]), Counter()),
        }
    paired_p50 = [
        percentile(s["latencies"], 0.5) / percentile(b["latencies"], 0.5)
        for b, s in zip(bursts["bare"], bursts["sessio"], strict=True)
    ]
    paired_p99 = [
        percentile(s["latencies"], 0.99) / percentile(b["latencies"], 0.99)
        for b, s in zip(bursts["bare"], bursts["sessio"], strict=True)
    ]
    return {
        "benchmark": "load",
        "store": args.store,
        "redis_pool": args.pool if args.store == "redis" else None,
        "sockets": n,
        "rounds": args.rounds,
        "memory": {
            "added_kb_per_socket_median": statistics.median(
                r["added_kb_per_socket"] for r in per_round
            ),
            "difference_at_n_kb_per_socket_median": statistics.median(
                r["difference_at_n_kb_per_socket"] for r in per_round
            ),
            "per_round": per_round,
            "raw": memory,
        },
        "burst": {
            "size": args.burst,
            "bursts_per_server": args.bursts,
            **latency,
            "p50_ratio_sessio_over_bare": round(
                latency["sessio"]["p50_ms"] / latency["bare"]["p50_ms"], 3
            ),
            "p99_ratio_sessio_over_bare": round(
                latency["sessio"]["p99_ms"] / latency["bare"]["p99_ms"], 3
            ),
            "paired_p50_ratio_median": round(statistics.median(paired_p50), 3),
            "paired_p99_ratio_median": round(statistics.median(paired_p99), 3),
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sockets", type=int, default=2000)
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument("--bursts", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--store", choices=["redis", "memory"], default="redis")
    parser.add_argument("--pool", choices=["blocking", "default"], default="blocking")
    args = parser.parse_args()
    raise_fd_limit()
    began = time.monotonic()
    with contextlib.ExitStack() as stack:
        redis_url = stack.enter_context(private_redis()) if args.store == "redis" else None
        count = max(args.sockets, args.burst, WARM_UP)
        cookies = mint_in_redis(redis_url, count) if redis_url else ["connect.sid=x"] * count
        report = asyncio.run(run(args, redis_url, cookies))
    report["wall_s"] = round(time.monotonic() - began, 1)
    report["date"] = time.strftime("%Y-%m-%d")
    report["commit"] = git_commit()
    report["command"] = shlex.join([".venv/bin/python", "benchmarks/load.py", *sys.argv[1:]])
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
