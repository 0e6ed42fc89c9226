"""Revoke latency: from ``revoke`` in a process with no socket.io server to the last socket gone.

Run: .venv/bin/python benchmarks/revoke_latency.py [--rounds R] [--batch K]

The setup of ``tests/live/test_multinode.py``: a threaded node (``socketio.Server`` with a
``RedisManager``, werkzeug) and an asyncio node (``AsyncServer`` with an ``AsyncRedisManager``,
uvicorn), each in its own process, with a ``RedisStore`` on a private redis-server. This
process plays the browsers and the logout worker: K sessions at a time, each with one websocket
tab on each node; every round revokes one of them (``sessio.aio.revoke``: delete the session,
publish on sessio's control channel) and measures the time from just before the call until
both of that session's tabs have seen the server disconnect them. The other sessions of the
batch stay connected meanwhile, so each node has up to 2K sockets to look through. A few
rounds are run first and not counted.

Prints one JSON line: p50/p90/p99/max in milliseconds over all rounds, the same per node (the
time until that node's tab was dropped), and the command.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import shlex
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# The multi-node harness lives with the tests: tests/live/multinode_support.py.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "live"))

import redis.asyncio
from multinode_support import Minter, Node, Tab, express, running_nodes, tabs

import sessio.aio
from redis_server import RedisServer

WARM_UP_ROUNDS = 5
ROUND_TIMEOUT = 5.0


def percentile(samples: list[float], fraction: float) -> float:
    """Nearest-rank percentile of `samples`."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def summary(samples: list[float]) -> dict[str, float]:
    """p50/p90/p99/max/mean of `samples` (seconds), in milliseconds."""
    return {
        "p50_ms": round(percentile(samples, 0.50) * 1000, 2),
        "p90_ms": round(percentile(samples, 0.90) * 1000, 2),
        "p99_ms": round(percentile(samples, 0.99) * 1000, 2),
        "max_ms": round(max(samples) * 1000, 2),
        "mean_ms": round(statistics.fmean(samples) * 1000, 2),
    }


async def measure(
    nodes: dict[str, Node], minter: Minter, redis_url: str, rounds: int, batch: int
) -> dict[str, list[float]]:
    """Latencies (seconds) of `rounds` revokes: overall and per node kind."""
    client = redis.asyncio.Redis.from_url(redis_url)
    await client.ping()  # a logout worker's connection is already open
    store = sessio.aio.RedisStore(client)
    fmt = express()
    latencies: dict[str, list[float]] = {"all": [], **{kind: [] for kind in nodes}}
    total = WARM_UP_ROUNDS + rounds
    done = 0
    try:
        while done < total:
            size = min(batch, total - done)
            minted = [minter.mint({"user": f"user-{done + index}"}) for index in range(size)]
            async with tabs() as open_tab:
                pairs: list[list[Tab]] = await asyncio.gather(
                    *(
                        asyncio.gather(*(open_tab(node, session) for node in nodes.values()))
                        for session in minted
                    )
                )
                # Every node has finished with the connects (one acked call per tab) before
                # the first revoke: the rounds measure revoking, not a connect burst's tail.
                await asyncio.gather(*(tab.call("whoami") for pair in pairs for tab in pair))
                for session, session_tabs in zip(minted, pairs, strict=True):
                    started = time.time()
                    await sessio.aio.revoke(store, fmt, session.session_id)
                    dropped = await asyncio.gather(
                        *(tab.gone(ROUND_TIMEOUT) for tab in session_tabs)
                    )
                    if done >= WARM_UP_ROUNDS:
                        latencies["all"].append(max(dropped) - started)
                        for tab, at in zip(session_tabs, dropped, strict=True):
                            latencies[tab.node.kind].append(at - started)
                    done += 1
    finally:
        await client.aclose()
    return latencies


def nodes_kinds(latencies: dict[str, list[float]]) -> list[str]:
    """The node kinds measured (every key but "all")."""
    return [kind for kind in latencies if kind != "all"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=25, help="sessions connected at a time")
    args = parser.parse_args()

    server = RedisServer(Path(tempfile.mkdtemp(prefix="sessio-revoke-bench-")))
    server.start()
    began = time.monotonic()
    try:
        with running_nodes(server.url) as (nodes, minter):
            latencies = asyncio.run(measure(nodes, minter, server.url, args.rounds, args.batch))
    finally:
        server.close()
    report: dict[str, Any] = {
        "benchmark": "revoke_latency",
        "rounds": args.rounds,
        "sessions_connected_per_batch": args.batch,
        "sockets_per_session": len(latencies) - 1,
        **summary(latencies["all"]),
        "per_node": {
            kind: summary(samples) for kind, samples in latencies.items() if kind != "all"
        },
        "wall_s": round(time.monotonic() - began, 1),
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "command": shlex.join([".venv/bin/python", "benchmarks/revoke_latency.py", *sys.argv[1:]]),
    }
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
