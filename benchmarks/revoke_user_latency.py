"""Sign out everywhere: from ``revoke_user`` in a plain process to the last socket gone.

Run: .venv/bin/python benchmarks/revoke_user_latency.py [--rounds R] [--sessions S] [--bystanders B]

The setup of ``tests/live/test_multinode_users.py``: a threaded node (``socketio.Server`` with
a ``RedisManager``, werkzeug) and an asyncio node (``AsyncServer`` with an
``AsyncRedisManager``, uvicorn), each in its own process, with a ``RedisStore`` on a private
redis-server and ``user_key="user"``. This process plays the browsers and the web worker:
every round a new user logs in S times (S sessions, default 10), each session with one
websocket tab on each node (2S sockets, default 20); once every tab is connected (and so its
session indexed), ``sessio.aio.revoke_user`` runs here and the time is taken from just before
the call until every one of the user's tabs has seen the server disconnect it. B other users'
tabs (default 10, on both nodes) stay connected throughout. A few rounds are run first and
not counted.

Prints one JSON line: p50/p90/p99/max in milliseconds until the last socket was gone, the
same for the ``revoke_user`` call alone (destroying S sessions and publishing), and the command.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "live"))

import redis.asyncio
from multinode_support import Minter, Node, Tab, express, running_nodes, tabs
from revoke_latency import summary

import sessio.aio
from redis_server import RedisServer

WARM_UP_ROUNDS = 5
ROUND_TIMEOUT = 10.0
OPTIONS = ["--user-key", "user"]


async def measure(
    nodes: dict[str, Node], minter: Minter, redis_url: str, args: argparse.Namespace
) -> dict[str, list[float]]:
    """Seconds per round: until the last tab was gone, and in the call itself."""
    client = redis.asyncio.Redis.from_url(redis_url)
    await client.ping()  # a web worker's connection is already open
    store, fmt = sessio.aio.RedisStore(client), express()
    latencies: dict[str, list[float]] = {"all_gone": [], "call": []}
    try:
        async with tabs() as open_tab:
            for index in range(args.bystanders):
                for node in nodes.values():
                    await open_tab(node, minter.mint({"user": f"bystander-{index}"}))
            for done in range(WARM_UP_ROUNDS + args.rounds):
                user = f"user-{done}"
                sessions = [minter.mint({"user": user}) for _ in range(args.sessions)]
                async with tabs() as open_user_tab:
                    mine: list[Tab] = await asyncio.gather(
                        *(open_user_tab(node, s) for s in sessions for node in nodes.values())
                    )
                    # Connected and indexed (a connect indexes before it completes).
                    assert all(await asyncio.gather(*(tab.call("user") for tab in mine)))
                    started = time.time()
                    revoked = await sessio.aio.revoke_user(store, fmt, user, user_key="user")
                    called = time.time()
                    assert revoked == args.sessions, revoked
                    dropped = await asyncio.gather(*(tab.gone(ROUND_TIMEOUT) for tab in mine))
                if done >= WARM_UP_ROUNDS:
                    latencies["all_gone"].append(max(dropped) - started)
                    latencies["call"].append(called - started)
    finally:
        await client.aclose()
    return latencies


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--sessions", type=int, default=10, help="sessions of the user")
    parser.add_argument("--bystanders", type=int, default=10, help="other users connected")
    args = parser.parse_args()

    server = RedisServer(Path(tempfile.mkdtemp(prefix="sessio-revoke-user-bench-")))
    server.start()
    began = time.monotonic()
    try:
        with running_nodes(server.url, OPTIONS) as (nodes, minter):
            latencies = asyncio.run(measure(nodes, minter, server.url, args))
    finally:
        server.close()
    report: dict[str, Any] = {
        "benchmark": "revoke_user_latency",
        "rounds": args.rounds,
        "sessions_per_user": args.sessions,
        "sockets_per_user": args.sessions * 2,
        "bystander_sockets": args.bystanders * 2,
        **summary(latencies["all_gone"]),
        "call": summary(latencies["call"]),
        "wall_s": round(time.monotonic() - began, 1),
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "command": shlex.join(
            [".venv/bin/python", "benchmarks/revoke_user_latency.py", *sys.argv[1:]]
        ),
    }
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
