"""Connections per second: a bare python-socketio AsyncServer against the same with sessio.

Run: .venv/bin/python benchmarks/connections.py [--rounds R] [--per-round N] [--store memory|redis]
     [--pair bare,sessio | sessio,users] [--instructions N]

Each server runs in its own process under uvicorn; this process is the client. One
"connection" is a websocket connect with the session cookie, one acknowledged event and a
disconnect, sequentially, with the same client. The servers are measured in alternating
rounds so that the machine's noise falls on both alike; the result is the ratio of the
medians. With ``--store redis`` sessio uses a RedisStore on a private redis-server.

``--pair`` picks the two servers: ``bare`` (python-socketio alone), ``sessio``, ``users``
(sessio with ``user_key="user"``: every connect also joins the user's room, indexes the
session under its user and counts the socket online), ``rooms`` (``user_key`` over a store
without a user index: the user's room only), ``late`` (no read at the handshake) and
``floor`` (python-socketio with only what any session bridge must do per connect: verify the
cookie, read and decode the session, join its room; see `floor`); the ratio is the second
over the first.

Rates on a shared machine swing by tens of percent between rounds; each server's CPU time per
connection (from /proc) is steadier, and with ``--instructions N`` each server runs under
valgrind's callgrind instead: after a warm-up its counters are zeroed (``callgrind_control
-z``), N connections are made and the count dumped (``-d``): instructions per connection, which
the machine's load does not change. Under callgrind everything is ~50 times slower, so
background work that real traffic shares between connections (presence flushes, merged over
50 ms) falls on nearly every one: the count errs on the high side.
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
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import socketio
from bench_support import free_port, private_redis, wait_listening

SECRET = "keyboard cat"


# -- server side (runs in a child process) ----------------------------------------------


class WithoutIndex:
    """A store's sessions without its user index: ``user_key`` then keeps user rooms only (as
    with a `DjangoStore`), no index and no presence writes."""

    def __init__(self, store: Any) -> None:
        self.store = store

    async def get(self, key: str) -> bytes | None:
        value: bytes | None = await self.store.get(key)
        return value

    async def set(self, key: str, value: bytes, ttl: int | None) -> None:
        await self.store.set(key, value, ttl)

    async def delete(self, key: str) -> None:
        await self.store.delete(key)

    async def compare_and_set(
        self, key: str, expected: bytes | None, value: bytes | None, ttl: int | None
    ) -> tuple[bool, bytes | None]:
        result: tuple[bool, bytes | None] = await self.store.compare_and_set(
            key, expected, value, ttl
        )
        return result

    async def ttl(self, key: str) -> float | None:
        left: float | None = await self.store.ttl(key)
        return left


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

    elif kind == "floor":
        cookie = floor(sio, redis_url)
    else:
        store: Any
        if redis_url:
            import redis.asyncio

            from sessio.aio import RedisStore

            store = RedisStore(redis.asyncio.Redis.from_url(redis_url))
        else:
            store = MemoryStore()
        if kind == "rooms":
            store = WithoutIndex(store)
        users: dict[str, Any] = {"user_key": "user"} if kind in ("users", "rooms") else {}
        if kind == "late":
            # sessio as before issue 11: the store read starts at the socket.io CONNECT.
            import sessio.aio._sockets

            sessio.aio._sockets.install_early_reads = lambda owner, server: None  # type: ignore[assignment]
        sessions = AsyncSessionSockets(sio, store, formats.express(secrets=[SECRET]), **users)

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


def floor(sio: socketio.AsyncServer, redis_url: str | None) -> str:
    """The least any session bridge does per connect, on `sio`: find and verify the cookie,
    read the session from the store, decode it, and put the socket in the session's room
    (which ``emit_to_session`` and ``disconnect_session`` need); with sessio's own pieces, and
    nothing else (no session object, no registry, no early read, no handler wrappers).
    Returns the cookie to connect with."""
    import time

    from sessio import formats
    from sessio.aio import MemoryStore
    from sessio.core import SessionRef, decode_stored, resolve
    from sessio.core._rooms import session_room

    fmt = formats.express(secrets=[SECRET])
    store: Any
    if redis_url:
        import redis.asyncio

        from sessio.aio import RedisStore

        store = RedisStore(redis.asyncio.Redis.from_url(redis_url))
    else:
        store = MemoryStore()
    minted = asyncio.run(store_minted(store, fmt)) if not redis_url else sync_minted(redis_url)

    @sio.on("connect")
    async def connect(sid: str, environ: dict[str, Any]) -> bool:
        now = time.time()
        ref = resolve(environ.get("HTTP_COOKIE", ""), fmt, now)
        if not isinstance(ref, SessionRef):
            return False
        raw = await store.get(ref.key)
        if raw is None or not hasattr(decode_stored(ref, raw, fmt, now), "data"):
            return False
        await sio.enter_room(sid, session_room(ref.session_id))
        return True

    @sio.on("ping")
    async def ping(sid: str, data: Any) -> Any:
        return data

    return minted


async def store_minted(store: Any, fmt: Any) -> str:
    """A session for `fmt` in `store`, as express-session would write it; its cookie."""
    from sessio.testing import amint

    return (await amint(store, fmt, {"user": "alice"})).cookie


def sync_minted(redis_url: str) -> str:
    """`store_minted` through a synchronous client (see `serve`: a redis.asyncio client
    belongs to the loop it first ran on)."""
    import redis as sync_redis

    from sessio import formats
    from sessio.sync import RedisStore as SyncRedisStore
    from sessio.testing import mint

    store = SyncRedisStore(sync_redis.Redis.from_url(redis_url))
    return mint(store, formats.express(secrets=[SECRET]), {"user": "alice"}).cookie


# -- client side ------------------------------------------------------------------------


async def round_trip_rate(url: str, cookie: str, count: int, timeout: float = 5) -> float:
    """Connections per second over `count` sequential connect + call + disconnect."""
    client = socketio.AsyncClient()
    start = time.perf_counter()
    for i in range(count):
        await client.connect(
            url, headers={"Cookie": cookie}, transports=["websocket"], wait_timeout=timeout
        )
        assert await client.call("ping", i, timeout=timeout) == i
        await client.disconnect()
    return count / (time.perf_counter() - start)


class Server:
    def __init__(self, kind: str, redis_url: str | None, under: list[str] | None = None) -> None:
        self.port = free_port()
        args = [*(under or []), sys.executable, __file__, "--serve", kind, "--port", str(self.port)]
        if redis_url:
            args += ["--redis", redis_url]
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline().split()
        assert line and line[0] == "READY", line
        self.cookie = line[1]
        self.url = f"http://127.0.0.1:{self.port}"

    def cpu_seconds(self) -> float:
        """CPU time the server process has used so far (user + system, every thread)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(10)


async def measure(
    rounds: int, per_round: int, redis_url: str | None, pair: tuple[str, str]
) -> dict[str, Any]:
    base, other = pair
    servers = {base: Server(base, redis_url), other: Server(other, redis_url)}
    try:
        deadline = time.monotonic() + 20
        for server in servers.values():
            await wait_listening(server.port, deadline)
        for server in servers.values():  # warm-up both
            await round_trip_rate(server.url, server.cookie, 20)
        rates: dict[str, list[float]] = {base: [], other: []}
        cpu = dict.fromkeys(servers, 0.0)
        for r in range(rounds):
            order = list(servers.items())
            for name, server in order if r % 2 == 0 else reversed(order):
                before = server.cpu_seconds()
                rates[name].append(await round_trip_rate(server.url, server.cookie, per_round))
                cpu[name] += server.cpu_seconds() - before
    finally:
        for server in servers.values():
            server.close()
    base_rate, other_rate = statistics.median(rates[base]), statistics.median(rates[other])
    return {
        "store": "redis" if redis_url else "memory",
        "rounds": rounds,
        "connections_per_round": per_round,
        f"{base}_conn_per_s": round(base_rate, 1),
        f"{other}_conn_per_s": round(other_rate, 1),
        f"ratio_{other}_over_{base}": round(other_rate / base_rate, 4),
        "paired_ratio": round(
            statistics.median(o / b for o, b in zip(rates[other], rates[base], strict=True)),
            4,
        ),
        # Steadier than rates on a shared machine: the server's own CPU time per connection.
        f"{base}_cpu_ms_per_conn": round(cpu[base] * 1000 / (rounds * per_round), 3),
        f"{other}_cpu_ms_per_conn": round(cpu[other] * 1000 / (rounds * per_round), 3),
        f"{base}_rounds": [round(x, 1) for x in rates[base]],
        f"{other}_rounds": [round(x, 1) for x in rates[other]],
    }


def instructions(kind: str, redis_url: str | None, count: int, workdir: Path) -> float:
    """Instructions the `kind` server executes per connection (callgrind, after a warm-up)."""
    out = workdir / f"callgrind.{kind}"
    server = Server(
        kind, redis_url, under=["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"]
    )
    try:
        pid = str(server.process.pid)
        asyncio.run(wait_listening(server.port, time.monotonic() + 120))
        asyncio.run(round_trip_rate(server.url, server.cookie, 10, timeout=60))
        subprocess.run(["callgrind_control", "-z", pid], check=True, capture_output=True)
        asyncio.run(round_trip_rate(server.url, server.cookie, count, timeout=60))
        subprocess.run(["callgrind_control", "-d", pid], check=True, capture_output=True)
    finally:
        server.close()
    dump = sorted(workdir.glob(f"callgrind.{kind}.*"))[0]  # the -d dump: "<out>.1"
    for line in dump.read_text().splitlines():
        if line.startswith("summary:"):
            return int(line.split()[1]) / count
    raise RuntimeError(f"no summary in {dump}")


def measure_instructions(
    count: int, redis_url: str | None, pair: tuple[str, str]
) -> dict[str, Any]:
    base, other = pair
    with (
        tempfile.TemporaryDirectory(prefix="sessio-bench-callgrind-") as tmp,
        ThreadPoolExecutor(2) as pool,
    ):
        futures = {
            kind: pool.submit(instructions, kind, redis_url, count, Path(tmp)) for kind in pair
        }
        per = {kind: future.result() for kind, future in futures.items()}
    return {
        "store": "redis" if redis_url else "memory",
        "connections": count,
        "instructions_per_conn": {kind: round(per[kind]) for kind in pair},
        f"{other}_over_{base}": round(per[other] / per[base], 4),
    }


async def run_proxy(target: int, delay: float) -> None:
    """Forward a free port to `target` with `delay` seconds each way, until killed."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from latency_proxy import LatencyProxy

    proxy = LatencyProxy(target, delay)
    print(f"READY {await proxy.start()}", flush=True)
    await asyncio.Event().wait()


@contextlib.contextmanager
def slow_link(redis_url: str, delay_ms: float) -> Iterator[str]:
    """A Redis URL that reaches `redis_url`'s server through a `delay_ms` link each way."""
    target = int(redis_url.rsplit(":", 1)[1].split("/")[0])
    command = [sys.executable, __file__, "--proxy", str(target), "--redis-delay", str(delay_ms)]
    proxy = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert proxy.stdout is not None
        ready, port = proxy.stdout.readline().split()
        assert ready == "READY"
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proxy.kill()
        proxy.wait()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--serve", choices=["bare", "sessio", "users", "rooms", "late", "floor"])
    parser.add_argument("--port", type=int)
    parser.add_argument("--redis")
    parser.add_argument("--store", choices=["memory", "redis"], default="memory")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--per-round", type=int, default=200)
    parser.add_argument(
        "--pair",
        choices=[
            "bare,sessio",
            "sessio,users",
            "sessio,rooms",
            "late,sessio",
            "bare,late",
            "bare,floor",
            "floor,sessio",
        ],
        default="bare,sessio",
    )
    parser.add_argument(
        "--redis-delay",
        type=float,
        default=0.0,
        metavar="MS",
        help="with --store redis: the servers reach Redis through a link holding each chunk "
        "MS milliseconds each way (a proxy in its own process)",
    )
    parser.add_argument("--proxy", type=int, metavar="TARGET", help=argparse.SUPPRESS)
    parser.add_argument("--instructions", type=int, metavar="N", help="count instructions")
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port, args.redis)
        return 0
    if args.proxy:
        asyncio.run(run_proxy(args.proxy, args.redis_delay / 1000))
        return 0
    with contextlib.ExitStack() as stack:
        redis_url = stack.enter_context(private_redis()) if args.store == "redis" else None
        if redis_url is not None and args.redis_delay > 0:
            redis_url = stack.enter_context(slow_link(redis_url, args.redis_delay))
        base, other = args.pair.split(",")
        if args.instructions:
            report = measure_instructions(args.instructions, redis_url, (base, other))
        else:
            report = asyncio.run(measure(args.rounds, args.per_round, redis_url, (base, other)))
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
