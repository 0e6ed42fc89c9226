"""Memory per held socket: what sessio adds to a python-socketio server per open websocket.

Run: .venv/bin/python benchmarks/memory.py [--sockets 2000] [--rounds 5] [--store memory|redis]
     [--frames 25] [--traced-sockets 1000]
     [--in-process 2000] [--top 12] [--keep DIR]

Two servers per round, each an ``AsyncServer`` under uvicorn in its own process
(``load_server.py``, as ``load.py`` runs them): ``bare`` (python-socketio alone) and ``sessio``
(`AsyncSessionSockets` with a `MemoryStore`, or a `RedisStore` on a private redis-server).
Session ``i`` holds ``{"user": "user-<i>"}`` and socket ``i`` connects with its cookie (every
socket a distinct session); its ``whoami`` must answer its own user. With ``memory``, the
sessions are minted in the server's own `MemoryStore` before it serves, so the store's copy is
in both readings and what grows is what sessio keeps per socket; with ``redis``, the data
lives in Redis and what grows is sessio's bookkeeping.

Three measures:

* in process (``--in-process N``, first): sessio's connect handler called for N sockets that
  python-socketio is told of directly, without a network, with tracemalloc on: the bytes that
  stay per socket with sessio minus without, exact and untouched by the machine's load (see
  `in_process`). This is the figure of record for sessio's own bookkeeping.

* RSS: ``--rounds`` rounds, each with fresh servers, in alternating order; per server, RSS
  (after ``gc.collect()``) with no socket (after a warm-up of 50) and with ``--sockets``
  connected. sessio's extra bytes per socket = (sessio's growth - bare's growth) / N. The
  bare growth is ~140 KB per socket (websocket buffers, tasks), so a round's figure moves by
  a few hundred bytes either way: the median and the spread are both reported.
* tracemalloc (one more round of ``--traced-sockets``, both servers run with ``--tracemalloc
  FRAMES``, per socket the server holds at the snapshot): the bytes
  allocated while the sockets connected and still alive with them connected, in total
  (sessio's total minus bare's, per socket: the same measure as RSS, without the allocator's
  noise) and grouped by what allocated them (`load_server.allocation_sites`: the innermost
  sessio frame on the stack, and the innermost frame). ``--top`` groups are reported, per
  socket.

Prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import logging
import shlex
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from typing import Any

import redis.asyncio
import socketio
from bench_support import git_commit, private_redis, raise_fd_limit
from load import SECRET, WARM_UP, Server, memory_round, mint_in_redis
from load_server import allocation_sites

import sessio.aio
from sessio import formats
from sessio.core._rooms import session_room

KINDS = ("bare", "sessio")
# Pings every 10 minutes, on both servers: on a machine this busy (and traced, several times
# slower) a server misses the default 20 s timeout and drops sockets before they are counted.
PING = ("--ping", "600")


def per_socket(value: float, sockets: int) -> float:
    return round(value / sockets, 1)


async def rss_rounds(
    args: argparse.Namespace, redis_url: str | None, cookies: list[str]
) -> dict[str, Any]:
    """RSS growth per socket, bare and sessio, over alternating rounds."""
    rounds: list[dict[str, Any]] = []
    for r in range(args.rounds):
        servers = {
            kind: Server(kind, args.store, redis_url, cookies, "blocking", *PING) for kind in KINDS
        }
        try:
            measured: dict[str, dict[str, Any]] = {}
            for kind in KINDS if r % 2 == 0 else tuple(reversed(KINDS)):
                measured[kind] = await memory_round(servers[kind], args.sockets)
        finally:
            for server in servers.values():
                server.process.close()
        growth = {k: (m["rss_loaded_kb"] - m["rss_before_kb"]) * 1024 for k, m in measured.items()}
        rounds.append(
            {
                "bare_bytes_per_socket": per_socket(growth["bare"], args.sockets),
                "sessio_bytes_per_socket": per_socket(growth["sessio"], args.sockets),
                "extra_bytes_per_socket": per_socket(
                    growth["sessio"] - growth["bare"], args.sockets
                ),
                "connected": {k: m["server_connected"] for k, m in measured.items()},
                "failures": {k: m["failures"] for k, m in measured.items() if m["failures"]},
            }
        )
    extra = [r["extra_bytes_per_socket"] for r in rounds]
    return {
        "bare_bytes_per_socket_median": statistics.median(
            r["bare_bytes_per_socket"] for r in rounds
        ),
        "extra_bytes_per_socket_median": statistics.median(extra),
        "extra_bytes_per_socket_min": min(extra),
        "extra_bytes_per_socket_max": max(extra),
        "rounds": rounds,
    }


async def traced_round(
    args: argparse.Namespace, redis_url: str | None, cookies: list[str]
) -> dict[str, Any]:
    """What each server allocated per socket, by tracemalloc, and sessio's by site."""
    dumps = args.keep or tempfile.mkdtemp(prefix="sessio-memory-")
    servers = {
        kind: Server(
            *(kind, args.store, redis_url, cookies, "blocking"),
            *("--tracemalloc", str(args.frames), "--tracemalloc-to", f"{dumps}/{kind}", *PING),
        )
        for kind in KINDS
    }
    try:
        rounds = {
            kind: await memory_round(servers[kind], args.traced_sockets, traced=True)
            for kind in KINDS
        }
    finally:
        for server in servers.values():
            server.process.close()
        if not args.keep:
            shutil.rmtree(dumps, ignore_errors=True)
    # Per socket connected at the snapshot, as the server counts them: traced, a server runs
    # several times slower, and on a busy machine some clients may have given up.
    held = {kind: max(1, r["server_connected"]) for kind, r in rounds.items()}
    traced = {kind: r["tracemalloc"] for kind, r in rounds.items()}
    n = held["sessio"]
    sessio = traced["sessio"]
    bare_per_socket = traced["bare"]["bytes"] / held["bare"]
    return {
        "sockets_held": held,
        "failures": {k: r["failures"] for k, r in rounds.items() if r["failures"]},
        "bare_bytes_per_socket": round(bare_per_socket, 1),
        "sessio_bytes_per_socket": per_socket(sessio["bytes"], n),
        "extra_bytes_per_socket": round(sessio["bytes"] / n - bare_per_socket, 1),
        "extra_blocks_per_socket": round(
            sessio["blocks"] / n - traced["bare"]["blocks"] / held["bare"], 1
        ),
        # Allocations with a sessio frame on their stack: sessio's objects, and what it asked
        # python-socketio for on the socket's behalf (its session room).
        "under_sessio_frames_bytes_per_socket": per_socket(sessio["sessio_bytes"], n),
        "sessio_sites": [
            {
                "sessio": s["sessio"],
                "allocated_at": s["allocated_at"],
                "bytes_per_socket": per_socket(s["bytes"], n),
                "blocks_per_socket": per_socket(s["blocks"], n),
            }
            for s in sessio["sites"]
            if s["sessio"] != "-" and s["bytes"] > 0
        ][: args.top],
    }


async def open_one(sio: socketio.AsyncServer, cookies: list[str], i: int, kind: str) -> None:
    """Socket `i`, as python-socketio records a connection; then, by `kind`, sessio's
    connect (``sessio``), or only a room of its own, named as a session room is (``room``)."""
    eio_sid = f"eio-{i}"
    environ = {"HTTP_COOKIE": cookies[i], "REMOTE_ADDR": "127.0.0.1"}
    sio.environ[eio_sid] = environ
    sid = await sio.manager.connect(eio_sid, "/")
    if kind == "sessio":
        accepted = await sio.handlers["/"]["connect"](sid, environ, None)
        assert accepted is not False, f"socket {i} refused"
    elif kind == "room":
        await sio.enter_room(sid, session_room(f"session-{i}"))


async def in_process(args: argparse.Namespace, redis_url: str | None) -> dict[str, Any]:
    """Bytes per socket that sessio's connect keeps, in this process: exact, load-free.

    No network: a python-socketio ``AsyncServer`` is told of N sockets directly (its
    manager's ``connect``, and the handshake's environ where python-socketio keeps it), and,
    with sessio, sessio's own connect handler runs for each, as python-socketio would call it
    (store read, registry, session room). What sessio keeps is the traced bytes still alive
    with sessio minus without it (its handler not called), per socket; grouped by site as
    the servers' are (CPython recycles dict tables through a free list, so a site can be
    charged for a table that python-socketio's room dicts reuse: the totals are exact, the
    sites approximate). A third pass, ``room``, only puts each socket in a room of its own:
    python-socketio's cost of the session room, apart. The sockets' transports are not
    here: see the RSS rounds for those.
    """
    n = args.in_process
    frames = max(args.frames, 12)
    tracemalloc.start(frames)
    results: dict[str, dict[str, Any]] = {}
    for kind in ("bare", "room", "sessio"):
        sio = socketio.AsyncServer(async_mode="asgi")
        store: Any = None
        cookies = ["connect.sid=x"] * (n + WARM_UP)
        if kind == "sessio":
            if redis_url is None:
                store = sessio.aio.MemoryStore()
            else:
                store = sessio.aio.RedisStore(redis.asyncio.Redis.from_url(redis_url))
            sessions = sessio.aio.AsyncSessionSockets(sio, store, formats.express(secrets=[SECRET]))

            @sessions.on("connect")
            async def connect(err: Any, sid: str, session: Any) -> None:
                if err is not None:
                    raise ConnectionRefusedError(err.code)

            cookies = [
                (await sessions.create({"user": f"user-{i}"})).cookie for i in range(n + WARM_UP)
            ]

        for i in range(WARM_UP):
            await open_one(sio, cookies, n + i, kind)
        gc.collect()
        mark = tracemalloc.take_snapshot()
        for i in range(n):
            await open_one(sio, cookies, i, kind)
        gc.collect()
        sites = allocation_sites(mark, tracemalloc.take_snapshot())
        if kind == "sessio":
            assert sessions.tables()["sessions"] == n + WARM_UP
            await sessions.close()
        if store is not None and redis_url is not None:
            await store.client.aclose()
        results[kind] = sites
    tracemalloc.stop()
    sessio_sites = results["sessio"]
    return {
        "sockets": n,
        "bare_bytes_per_socket": per_socket(results["bare"]["bytes"], n),
        "sessio_bytes_per_socket": per_socket(sessio_sites["bytes"], n),
        "extra_bytes_per_socket": per_socket(sessio_sites["bytes"] - results["bare"]["bytes"], n),
        # python-socketio's own cost of a room per socket (the session room: the feature).
        "room_bytes_per_socket": per_socket(results["room"]["bytes"] - results["bare"]["bytes"], n),
        # What sessio keeps beyond that room: its bookkeeping and the session's copy.
        "extra_beyond_room_bytes_per_socket": per_socket(
            sessio_sites["bytes"] - results["room"]["bytes"], n
        ),
        "under_sessio_frames_bytes_per_socket": per_socket(sessio_sites["sessio_bytes"], n),
        "sessio_sites": [
            {
                "sessio": s["sessio"],
                "allocated_at": s["allocated_at"],
                "bytes_per_socket": per_socket(s["bytes"], n),
                "blocks_per_socket": per_socket(s["blocks"], n),
            }
            for s in sessio_sites["sites"]
            if s["sessio"] != "-" and s["bytes"] > 0
        ][: args.top],
    }


async def run(args: argparse.Namespace, redis_url: str | None, cookies: list[str]) -> dict:
    report: dict[str, Any] = {}
    if args.in_process:
        report["in_process"] = await in_process(args, redis_url)
    if args.rounds:
        report["rss"] = await rss_rounds(args, redis_url, cookies)
    if args.frames:
        report["tracemalloc"] = await traced_round(args, redis_url, cookies)
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sockets", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--store", choices=["redis", "memory"], default="memory")
    parser.add_argument("--frames", type=int, default=25, help="0: no tracemalloc round")
    parser.add_argument("--traced-sockets", type=int, default=1000)
    parser.add_argument("--in-process", type=int, default=2000, help="0: no in-process count")
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--keep", help="a directory to keep the tracemalloc snapshots in")
    args = parser.parse_args()
    raise_fd_limit()
    # Thousands of clients closing at once each log that their queue ended: not news.
    logging.getLogger("engineio.client").setLevel(logging.CRITICAL)
    began = time.monotonic()
    with contextlib.ExitStack() as stack:
        redis_url = stack.enter_context(private_redis()) if args.store == "redis" else None
        count = max(args.sockets, WARM_UP)
        cookies = mint_in_redis(redis_url, count) if redis_url else ["connect.sid=x"] * count
        measured = asyncio.run(run(args, redis_url, cookies))
    report = {
        "benchmark": "memory",
        "store": args.store,
        "sockets": args.sockets,
        "target_extra_bytes_per_socket": 1024,
        **measured,
        "wall_s": round(time.monotonic() - began, 1),
        "date": time.strftime("%Y-%m-%d"),
        "commit": git_commit(),
        "command": shlex.join([".venv/bin/python", "benchmarks/memory.py", *sys.argv[1:]]),
    }
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
