"""The server side of the load and fault scripts: one python-socketio AsyncServer under uvicorn.

Run by ``load.py``, ``churn.py`` and ``faults.py`` as a child process:

    python benchmarks/load_server.py --kind bare|sessio [--store redis|memory|blocking]
        [--redis URL] [--mint N --cookies PATH] [--redis-timeout S]
        [--pool blocking|default] [--max-connections N] [--ping S]
        [--tracemalloc FRAMES --tracemalloc-to PATH]

``--kind bare`` is python-socketio alone; ``--kind sessio`` adds `AsyncSessionSockets`. Both
import the same modules (sessio, redis), so that the difference in memory between them is
what sessio does per socket, not what it loads once. The Redis client is made as `RedisStore`'s
docstring advises: one immediate retry on a fresh connection (``Retry(NoBackoff(), 1)``),
socket timeouts of ``--redis-timeout`` seconds, and a ``BlockingConnectionPool`` of
``--max-connections`` (50) that waits up to 10 s for a free connection. ``--pool default``
uses redis-py's default pool instead, which fails a command at once (``MaxConnectionsError``)
when its 100 connections are all busy.
``--store blocking`` is a deliberately wrong store (a synchronous Redis client called inside
``async def``), the control that shows the loop-lag ticker catches a store that blocks.
``--store memory`` with ``--mint N`` creates N sessions in the process's `MemoryStore` before
serving and writes their cookies (a JSON list) to ``--cookies``.

It prints ``READY <port>`` once it accepts connections. ``sessions.start()`` runs at startup
(the control-channel subscription), and so does a ticker task that measures event-loop lag: it
asks to wake every 5 ms and keeps how late it woke, and how much of that the loop's thread
spent waiting for a CPU held by other processes (`Lag`).

``GET /stats`` answers a JSON document: RSS (``VmRSS`` of /proc/self/status, after a
``gc.collect()`` when the query has ``gc``), sessio's tables (`AsyncSessionSockets.tables`),
python-socketio's own (engine.io sockets, environs, connected sids, rooms), event counters, log
records at WARNING and above per logger, the asyncio tasks by coroutine, and the loop lag since
the last ``reset``
(``/stats?reset``); with ``types``, the number of objects the collector tracks, by type.
With ``--tracemalloc FRAMES`` the process traces its allocations from the start:
``/stats?tm-mark`` and ``/stats?tm-diff`` dump a snapshot (after ``gc.collect()``) to
``--tracemalloc-to`` + ``.mark`` / ``.diff``; `allocation_sites` compares the two: what was
allocated in between and is still alive, grouped by what allocated it.

Events (acknowledged), with sessio: ``whoami`` answers ``session["user"]``; ``save``
``{"key", "value"}`` sets one key and saves, answering ``{"saved": key}`` or ``{"error":
code}``; ``bigsave`` ``{"gen", "size"}`` sets keys ``a`` and ``b`` to `blob` (gen, size) and
``gen`` to gen, and saves. The connect handler refuses a socket without a session with
``{"code": code}``. Bare: ``whoami`` answers ``"bare"``.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import gc
import json
import logging
import resource
import socket
import sys
import time
import tracemalloc
from typing import Any

import redis
import redis.asyncio
import socketio
import uvicorn
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff

import sessio.aio
import sessio.sync
from sessio import Failure, SessionError, formats

SECRET = "keyboard cat"
TICK = 0.005


def blob(gen: int, size: int) -> str:
    """A string of `size` characters that names `gen` all along (a half-written one shows)."""
    unit = f"<{gen:010d}>"
    return (unit * (size // len(unit) + 1))[:size]


def raise_fd_limit() -> int:
    """Raise the open-files limit to the hard limit; return it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def rss_kb() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def schedstat() -> tuple[float, float]:
    """Seconds this thread has run on a CPU, and spent runnable waiting for one."""
    with open("/proc/thread-self/schedstat") as stat:
        ran, waited, _ = stat.read().split()
    return int(ran) / 1e9, int(waited) / 1e9


class Lag:
    """How late a ticker that asks to wake every `TICK` seconds actually wakes.

    The machine is shared: a tick can be late because the loop was busy (running callbacks)
    or blocked (a call that waits without yielding: what a store must never do), or because
    its thread waited for a CPU that other processes held. The kernel counts the time the
    thread ran and waited to run (/proc/thread-self/schedstat), so each late tick splits:
    ``own`` is its lag less the wait for a CPU (the server's doing: busy or blocked), and
    ``blocked`` is its lag less both the wait and the time the thread ran meanwhile (the loop
    neither ran nor waited to run: it sat in a blocking call).
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.samples: list[float] = []
        self.own: list[float] = []
        self.blocked: list[float] = []
        self.since = time.monotonic()

    async def run(self) -> None:
        while True:
            asked = time.monotonic()
            ran, waited = schedstat()
            await asyncio.sleep(TICK)
            late = max(0.0, time.monotonic() - asked - TICK)
            ran_now, waited_now = schedstat()
            ran_since, waited_since = ran_now - ran, waited_now - waited
            self.samples.append(late)
            self.own.append(max(0.0, late - waited_since))
            self.blocked.append(max(0.0, late - waited_since - ran_since))

    def report(self) -> dict[str, Any]:
        ordered, own, blocked = sorted(self.samples), sorted(self.own), sorted(self.blocked)
        if not ordered:
            return {"ticks": 0}

        def p99(values: list[float]) -> float:
            return round(values[int(len(values) * 0.99)] * 1000, 2)

        return {
            "ticks": len(ordered),
            "seconds": round(time.monotonic() - self.since, 2),
            "p50_ms": round(ordered[len(ordered) // 2] * 1000, 2),
            "p99_ms": p99(ordered),
            "max_ms": round(ordered[-1] * 1000, 2),
            "over_20ms": sum(1 for x in ordered if x > 0.020),
            "over_50ms": sum(1 for x in ordered if x > 0.050),
            "own_p99_ms": p99(own),
            "own_max_ms": round(own[-1] * 1000, 2),
            "own_over_50ms": sum(1 for x in own if x > 0.050),
            "blocked_max_ms": round(blocked[-1] * 1000, 2),
        }


class Records(logging.Handler):
    """Counts log records at WARNING and above, per logger and level."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.counts: collections.Counter[str] = collections.Counter()
        self.last_errors: collections.deque[str] = collections.deque(maxlen=5)
        self.last_warnings: collections.deque[str] = collections.deque(maxlen=3)

    def emit(self, record: logging.LogRecord) -> None:
        self.counts[f"{record.levelname}:{record.name}"] += 1
        text = self.format(record)
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            self.counts[f"{record.levelname}:{record.name}:{type(error).__name__}"] += 1
        if record.levelno >= logging.ERROR:
            self.last_errors.append(text[-1500:])
        else:
            self.last_warnings.append(text[-1500:])


class CountingRedisStore(sessio.aio.RedisStore):
    """A `RedisStore` that counts its reads (one per connecting socket with a session)."""

    gets = 0

    async def get(self, key: str) -> bytes | None:
        CountingRedisStore.gets += 1
        return await super().get(key)


class BlockingStore:
    """WRONG ON PURPOSE: a synchronous Redis client inside ``async def``, blocking the loop."""

    def __init__(self, url: str) -> None:
        self.inner = sessio.sync.RedisStore(redis.Redis.from_url(url))

    async def get(self, key: str) -> bytes | None:
        return self.inner.get(key)

    async def set(self, key: str, value: bytes, ttl: int | None) -> None:
        self.inner.set(key, value, ttl)

    async def delete(self, key: str) -> None:
        self.inner.delete(key)

    async def compare_and_set(
        self, key: str, expected: bytes | None, value: bytes | None, ttl: int | None
    ) -> tuple[bool, bytes | None]:
        return self.inner.compare_and_set(key, expected, value, ttl)

    async def ttl(self, key: str) -> float | None:
        return self.inner.ttl(key)


def build(args: argparse.Namespace) -> tuple[socketio.ASGIApp, list[str]]:
    """The ASGI app; the cookies minted in memory (if any)."""
    sio = socketio.AsyncServer(
        async_mode="asgi",
        **({"ping_interval": args.ping, "ping_timeout": args.ping} if args.ping else {}),
    )
    counters: collections.Counter[str] = collections.Counter()
    records = Records()
    logging.getLogger().addHandler(records)
    logging.getLogger().setLevel(logging.WARNING)
    lag = Lag()
    sessions: sessio.aio.AsyncSessionSockets | None = None
    cookies: list[str] = []

    if args.kind == "bare":

        @sio.on("connect")
        async def connect_bare(sid: str, environ: Any, auth: Any) -> bool:
            counters["connects"] += 1
            return True

        @sio.on("disconnect")
        async def disconnect_bare(sid: str, reason: Any) -> None:
            counters["disconnects"] += 1

        @sio.on("whoami")
        async def whoami_bare(sid: str) -> str:
            return "bare"

    else:
        store: Any
        if args.store == "memory":
            store = sessio.aio.MemoryStore()
        elif args.store == "blocking":
            store = BlockingStore(args.redis)
        else:
            options: dict[str, Any] = {
                "retry": AsyncRetry(NoBackoff(), 1),
                "socket_timeout": args.redis_timeout,
                "socket_connect_timeout": args.redis_timeout,
            }
            if args.pool == "blocking":
                pool = redis.asyncio.BlockingConnectionPool.from_url(
                    args.redis, max_connections=args.max_connections, timeout=10, **options
                )
                client = redis.asyncio.Redis(connection_pool=pool)
            else:
                client = redis.asyncio.Redis.from_url(args.redis, **options)
            store = CountingRedisStore(client)
        sessions = sessio.aio.AsyncSessionSockets(sio, store, formats.express(secrets=[SECRET]))

        @sessions.on("connect")
        async def connect(err: Failure | None, sid: str, session: Any) -> None:
            counters["connect_calls"] += 1
            if err is not None:
                counters[f"connect_err:{err.code}"] += 1
                raise socketio.exceptions.ConnectionRefusedError(err.code, {"code": err.code})
            counters["connects"] += 1

        @sessions.on("disconnect")
        async def disconnect(sid: str, session: Any, reason: Any) -> None:
            counters["disconnects"] += 1

        @sessions.on("whoami")
        async def whoami(sid: str, session: Any) -> Any:
            return session.get("user")

        @sessions.on("save")
        async def save(sid: str, session: Any, data: dict[str, Any]) -> Any:
            session[data["key"]] = data["value"]
            try:
                await session.save()
            except SessionError as error:
                counters[f"save_err:{error.code}"] += 1
                return {"error": error.code}
            counters["saves"] += 1
            return {"saved": data["key"]}

        @sessions.on("bigsave")
        async def bigsave(sid: str, session: Any, data: dict[str, Any]) -> Any:
            gen, size = int(data["gen"]), int(data["size"])
            session["a"] = blob(gen, size)
            session["b"] = blob(gen, size)
            session["gen"] = gen
            try:
                await session.save()
            except SessionError as error:
                return {"error": error.code}
            return {"saved": gen}

        if args.mint:
            owner = sessions

            async def mint() -> list[str]:
                return [
                    (await owner.create({"user": f"user-{i}"})).cookie for i in range(args.mint)
                ]

            cookies = asyncio.run(mint())

    def stats(query: str) -> dict[str, Any]:
        if "gc" in query:
            gc.collect()
        rooms = sio.manager.rooms.get("/", {})
        document: dict[str, Any] = {
            "rss_kb": rss_kb(),
            "tables": sessions.tables() if sessions is not None else {},
            "socketio": {
                "eio_sockets": len(sio.eio.sockets),
                "environ": len(sio.environ),
                "connected": len(rooms.get(None, {})),
                "rooms": len(rooms),
                "pending_connect": sum(len(v) for v in sio.manager.pending_connect.values()),
            },
            "counters": dict(counters),
            "store_gets": CountingRedisStore.gets,
            "logs": dict(records.counts),
            "last_errors": list(records.last_errors),
            "last_warnings": list(records.last_warnings),
            "lag": lag.report(),
            "tasks": dict(
                collections.Counter(
                    getattr(task.get_coro(), "__qualname__", "?") for task in asyncio.all_tasks()
                )
            ),
        }
        if "types" in query:
            # What the heap holds, by type: to tell a leak (a type that keeps growing) from
            # the allocator keeping freed memory.
            kinds = collections.Counter(type(o).__name__ for o in gc.get_objects())
            document["types"] = dict(kinds.most_common(25))
            document["objects"] = sum(kinds.values())
        if "tm-mark" in query or "tm-diff" in query:
            # Dumped for the caller to compare: comparing here would stall the loop for
            # long enough that clients time out.
            gc.collect()
            path = f"{args.tracemalloc_to}.{'mark' if 'tm-mark' in query else 'diff'}"
            tracemalloc.take_snapshot().dump(path)
            document["tracemalloc_snapshot"] = path
        if "reset" in query:
            lag.reset()
        return document

    async def other(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        query = scope.get("query_string", b"").decode()
        body = json.dumps(stats(query)).encode()
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def startup() -> None:
        if sessions is not None:
            sessions.start()
        task = asyncio.get_running_loop().create_task(lag.run())
        TASKS.append(task)

    return socketio.ASGIApp(sio, other_asgi_app=other, on_startup=startup), cookies


TASKS: list[asyncio.Task[None]] = []
SESSIO_SOURCE = "/sessio/"


def site(frame: tracemalloc.Frame) -> str:
    """``package/.../file.py:line`` of `frame`, from the last ``site-packages`` or ``src``."""
    name = frame.filename
    for anchor in ("site-packages/", "/src/", "lib/python3"):
        if anchor in name:
            name = name.rsplit(anchor, 1)[1]
            break
    return f"{name}:{frame.lineno}"


def allocation_sites(before: tracemalloc.Snapshot, after: tracemalloc.Snapshot) -> dict[str, Any]:
    """Bytes (and blocks) alive in `after` and not in `before`, grouped by what allocated them.

    A group is keyed by the innermost frame of sessio's own source on the allocation's stack
    (what sessio did that cost this: its own objects, and what it asked python-socketio for,
    such as entering a room) and by the innermost frame of all (what allocated the bytes).
    Allocations with no sessio frame are python-socketio's, engine.io's, uvicorn's, ...
    """
    ignore = [tracemalloc.Filter(False, tracemalloc.__file__)]
    stats = after.filter_traces(ignore).compare_to(before.filter_traces(ignore), "traceback")
    groups: dict[tuple[str, str], list[int]] = {}
    total = [0, 0]
    for stat in stats:
        frames = list(reversed(stat.traceback))  # innermost first (tracemalloc: oldest first)
        ours = next((f for f in frames if SESSIO_SOURCE in f.filename), None)
        key = ("-" if ours is None else site(ours), site(frames[0]))
        group = groups.setdefault(key, [0, 0])
        group[0] += stat.size_diff
        group[1] += stat.count_diff
        total[0] += stat.size_diff
        total[1] += stat.count_diff
    ordered = sorted(groups.items(), key=lambda item: -item[1][0])
    sessio_bytes = sum(v[0] for (ours, _), v in groups.items() if ours != "-")
    return {
        "bytes": total[0],
        "blocks": total[1],
        "sessio_bytes": sessio_bytes,
        "sites": [
            {"sessio": ours, "allocated_at": at, "bytes": size, "blocks": count}
            for (ours, at), (size, count) in ordered[:80]
        ],
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kind", choices=["bare", "sessio"], required=True)
    parser.add_argument("--store", choices=["redis", "memory", "blocking"], default="redis")
    parser.add_argument("--redis")
    parser.add_argument("--redis-timeout", type=float, default=1.0)
    parser.add_argument("--pool", choices=["blocking", "default"], default="blocking")
    parser.add_argument("--max-connections", type=int, default=50)
    parser.add_argument("--mint", type=int, default=0)
    parser.add_argument("--cookies")
    parser.add_argument("--tracemalloc", type=int, default=0)
    parser.add_argument("--ping", type=float, default=0, help="ping interval and timeout (s)")
    parser.add_argument("--tracemalloc-to", default="/tmp/sessio-load-tracemalloc")
    args = parser.parse_args()
    if args.tracemalloc:
        tracemalloc.start(args.tracemalloc)
    raise_fd_limit()
    app, cookies = build(args)
    if args.cookies:
        with open(args.cookies, "w") as out:
            json.dump(cookies, out)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on", backlog=4096)
    server = uvicorn.Server(config)
    sock.listen(4096)

    async def serve() -> None:
        serving = asyncio.get_running_loop().create_task(server.serve(sockets=[sock]))
        while not server.started:
            if serving.done():
                serving.result()
            await asyncio.sleep(0.01)
        print(f"READY {port}", flush=True)
        await serving

    asyncio.run(serve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
