"""Node's anchor: Socket.IO's own session recipe against a bare socket.io server.

Run: .venv/bin/python benchmarks/node_recipe.py [--rounds R] [--per-round N] [--with-sessio]
(after ``npm ci`` in benchmarks/node)

Socket.IO's guide shares express-session with sockets by ``io.engine.use(sessionMiddleware)``:
every engine.io request, the websocket upgrade included, runs express-session, which reads
the cookie, checks its signature and loads the session from the store.
``benchmarks/node/recipe_server.js`` serves that recipe (socket.io 4.8.4, express-session
1.19.0) with express-session's ``MemoryStore`` (``node-memory``) and with connect-redis 9 on a
private redis-server (``node-redis``), and ``node-bare``: socket.io alone. Each is its own node
process.

The client and the connection are `benchmarks/connections.py`'s (``round_trip_rate``: one
``socketio.AsyncClient``, websocket connect with the session cookie, one acknowledged event,
disconnect, sequentially). The servers are measured in rounds, their order rotated from
round to round; the ratios are of the medians (and the median of the per-round ratios), in
the same run. Each server's CPU time per connection (from /proc) is reported beside them.

``--with-sessio`` adds connections.py's own pair in the same rounds (``py-bare``: a bare
python-socketio AsyncServer under uvicorn; ``py-memory`` / ``py-redis``: with sessio and a
`MemoryStore` / a `RedisStore` on the same redis-server), so that the two ecosystems' ratios
come from one run. The Redis commands each recipe sends per connect are counted from Redis's
``INFO commandstats`` over a separate batch of connections.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import redis
from bench_support import (
    ReadyProcess,
    callgrind_total,
    git_commit,
    interleaved_connection_times,
    private_redis,
    spread,
    wait_listening,
)
from connections import Server, round_trip_rate

NODE_DIR = Path(__file__).resolve().parent / "node"
PAIRS = {"node-memory": "node-bare", "node-redis": "node-bare"}
PYTHON_PAIRS = {"py-memory": "py-bare", "py-redis": "py-bare"}


def start(kind: str, redis_url: str, under: list[str] | None = None) -> Any:
    """The server `kind` (``node-*`` or ``py-*``), started; `.url`, `.cookie`, `.cpu_seconds`."""
    if kind.startswith("node-"):
        node = shutil.which("node")
        if node is None:
            raise SystemExit("node is not installed")
        script = str(NODE_DIR / "recipe_server.js")
        return ReadyProcess([*(under or []), node, script, kind[5:], redis_url])
    python_kind = {"py-bare": "bare", "py-memory": "sessio", "py-redis": "sessio"}[kind]
    return Server(python_kind, redis_url if kind == "py-redis" else None, under=under)


def instructions(kind: str, redis_url: str, count: int, warmup: int, workdir: Path) -> float:
    """Instructions the `kind` server executes per connection (callgrind, after `warmup`
    connections: V8's JIT has compiled the hot paths by then)."""
    out = workdir / f"callgrind.{kind}"
    server = start(
        kind, redis_url, under=["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"]
    )
    try:
        pid = str(server.process.pid)
        asyncio.run(wait_listening(server.port, time.monotonic() + 300))
        asyncio.run(round_trip_rate(server.url, server.cookie, warmup, timeout=60))
        subprocess.run(["callgrind_control", "-z", pid], check=True, capture_output=True)
        asyncio.run(round_trip_rate(server.url, server.cookie, count, timeout=60))
        subprocess.run(["callgrind_control", "-d", pid], check=True, capture_output=True)
    finally:
        server.close()
    dump = max(workdir.glob(f"callgrind.{kind}.*"), key=lambda p: p.stat().st_mtime)
    return callgrind_total(str(dump)) / count


def measure_instructions(
    kinds: list[str], pairs: dict[str, str], count: int, warmup: int, redis_url: str
) -> dict[str, Any]:
    with (
        tempfile.TemporaryDirectory(prefix="sessio-bench-callgrind-") as tmp,
        ThreadPoolExecutor(2) as pool,
    ):
        futures = {
            kind: pool.submit(instructions, kind, redis_url, count, warmup, Path(tmp))
            for kind in kinds
        }
        per = {kind: future.result() for kind, future in futures.items()}
    return {
        "instructions_per_conn": {kind: round(per[kind]) for kind in kinds},
        # As connections/s if the server alone set the pace: base / kind.
        "ratios": {
            f"{kind}/{base}": round(per[base] / per[kind], 4) for kind, base in pairs.items()
        },
    }


def commands_per_connect(server: Any, redis_url: str, count: int) -> dict[str, float]:
    """Redis commands per connection (``INFO commandstats``) over `count` connections."""
    client = redis.Redis.from_url(redis_url)
    try:
        # Warm-up first: a server's first connect also opens its Redis connections.
        asyncio.run(round_trip_rate(server.url, server.cookie, 10))
        client.config_resetstat()
        asyncio.run(round_trip_rate(server.url, server.cookie, count))
        stats: dict[str, Any] = client.info("commandstats")
    finally:
        client.close()
    return {
        name.removeprefix("cmdstat_"): round(value["calls"] / count, 3)
        for name, value in sorted(stats.items())
        if not name.startswith(("cmdstat_config", "cmdstat_info"))
    }


async def measure(
    kinds: list[str], rounds: int, per_round: int, redis_url: str
) -> tuple[dict[str, list[float]], dict[str, float]]:
    servers = {kind: start(kind, redis_url) for kind in kinds}
    try:
        deadline = time.monotonic() + 30
        for server in servers.values():
            await wait_listening(server.port, deadline)
        for server in servers.values():  # warm-up, the JIT included
            await round_trip_rate(server.url, server.cookie, 50)
        rates: dict[str, list[float]] = {kind: [] for kind in kinds}
        cpu = dict.fromkeys(kinds, 0.0)
        for r in range(rounds):
            shift = r % len(kinds)
            for kind in kinds[shift:] + kinds[:shift]:
                server = servers[kind]
                before = server.cpu_seconds()
                rates[kind].append(await round_trip_rate(server.url, server.cookie, per_round))
                cpu[kind] += server.cpu_seconds() - before
    finally:
        for server in servers.values():
            server.close()
    return rates, {kind: cpu[kind] * 1000 / (rounds * per_round) for kind in kinds}


async def measure_interleaved(
    kinds: list[str], count: int, redis_url: str
) -> tuple[dict[str, list[float]], dict[str, float]]:
    """`count` connections to each server, in turns one by one; their times, CPU ms/conn."""
    servers = {kind: start(kind, redis_url) for kind in kinds}
    try:
        deadline = time.monotonic() + 30
        for server in servers.values():
            await wait_listening(server.port, deadline)
        for server in servers.values():  # warm-up, the JIT included
            await round_trip_rate(server.url, server.cookie, 50)
        before = {kind: server.cpu_seconds() for kind, server in servers.items()}
        times = await interleaved_connection_times(
            {kind: (server.url, server.cookie) for kind, server in servers.items()}, count
        )
        cpu = {kind: (servers[kind].cpu_seconds() - before[kind]) * 1000 / count for kind in kinds}
    finally:
        for server in servers.values():
            server.close()
    return times, cpu


BLOCKS = 5


def interleaved_ratios(
    pairs: dict[str, str], times: dict[str, list[float]], cpu: dict[str, float]
) -> dict[str, Any]:
    """Each pair's ratio of median connection times (as connections/s: base / kind), overall
    and in consecutive blocks of the run."""
    ratios: dict[str, Any] = {}
    for kind, base in pairs.items():
        size = len(times[kind]) // BLOCKS
        blocks = [
            statistics.median(times[base][b * size : (b + 1) * size])
            / statistics.median(times[kind][b * size : (b + 1) * size])
            for b in range(BLOCKS)
        ]
        ratios[f"{kind}/{base}"] = {
            "ratio_of_median_times": round(
                statistics.median(times[base]) / statistics.median(times[kind]), 4
            ),
            "blocks": spread(blocks),
            "cpu_ratio_base_over_kind": round(cpu[base] / cpu[kind], 4),
        }
    return ratios


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--per-round", type=int, default=150)
    parser.add_argument("--with-sessio", action="store_true", help="add connections.py's pair")
    parser.add_argument("--count-commands", type=int, default=100, metavar="N")
    parser.add_argument("--instructions", type=int, metavar="N", help="count instructions")
    parser.add_argument("--warmup", type=int, default=200, help="with --instructions")
    parser.add_argument(
        "--interleaved",
        type=int,
        metavar="N",
        help="N connections per server taken in turns, one by one: ratios of median times",
    )
    args = parser.parse_args()
    if not (NODE_DIR / "node_modules" / "socket.io").is_dir():
        raise SystemExit(f"run `npm ci` in {NODE_DIR} first")
    pairs = PAIRS | (PYTHON_PAIRS if args.with_sessio else {})
    kinds = list(dict.fromkeys([*pairs.values(), *pairs]))
    load_before = os.getloadavg()[0]
    if args.instructions:
        with private_redis() as redis_url:
            counted = measure_instructions(kinds, pairs, args.instructions, args.warmup, redis_url)
        print(
            json.dumps(
                {
                    "commit": git_commit(),
                    "load_before": load_before,
                    "load_after": os.getloadavg()[0],
                    "connections": args.instructions,
                    "warmup": args.warmup,
                    **counted,
                }
            )
        )
        return 0
    with private_redis() as redis_url:
        if args.interleaved:
            times, cpu = asyncio.run(measure_interleaved(kinds, args.interleaved, redis_url))
        else:
            rates, cpu = asyncio.run(measure(kinds, args.rounds, args.per_round, redis_url))
        commands = {}
        for kind in ("node-redis", "py-redis") if args.with_sessio else ("node-redis",):
            server = start(kind, redis_url)
            try:
                asyncio.run(wait_listening(server.port, time.monotonic() + 30))
                commands[kind] = commands_per_connect(server, redis_url, args.count_commands)
            finally:
                server.close()
    if args.interleaved:
        report: dict[str, Any] = {
            "commit": git_commit(),
            "load_before": load_before,
            "load_after": os.getloadavg()[0],
            "connections_per_server": args.interleaved,
            "median_ms": {kind: round(statistics.median(times[kind]) * 1000, 3) for kind in kinds},
            "ratios": interleaved_ratios(pairs, times, cpu),
            "server_cpu_ms_per_conn": {kind: round(cpu[kind], 3) for kind in kinds},
            "redis_commands_per_connect": commands,
        }
        print(json.dumps(report))
        return 0
    medians = {kind: statistics.median(rates[kind]) for kind in kinds}
    ratios: dict[str, Any] = {}
    for kind, base in pairs.items():
        paired = [k / b for k, b in zip(rates[kind], rates[base], strict=True)]
        ratios[f"{kind}/{base}"] = {
            "ratio_of_medians": round(medians[kind] / medians[base], 4),
            "paired": spread(paired),
            "cpu_ratio_base_over_kind": round(cpu[base] / cpu[kind], 4),
        }
    report = {
        "commit": git_commit(),
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
        "rounds": args.rounds,
        "connections_per_round": args.per_round,
        "conn_per_s": {kind: round(medians[kind], 1) for kind in kinds},
        "ratios": ratios,
        "server_cpu_ms_per_conn": {kind: round(cpu[kind], 3) for kind in kinds},
        "redis_commands_per_connect": commands,
        "rounds_conn_per_s": {kind: [round(x, 1) for x in rates[kind]] for kind in kinds},
    }
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
