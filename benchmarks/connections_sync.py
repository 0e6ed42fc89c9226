"""Connections per second, sync shell: a bare ``socketio.Server`` against the same with sessio.

Run: .venv/bin/python benchmarks/connections_sync.py [--mode threading|eventlet|gevent|all]
     [--store memory|redis] [--rounds R] [--per-round N | --interleaved N | --instructions N
     [--with-floor]]
     .venv/bin/python benchmarks/connections_sync.py --mode gevent [--store redis] --profile N
     .venv/bin/python benchmarks/connections_sync.py --pieces

The connection is `benchmarks/connections.py`'s, with its client (``round_trip_rate``: one
``socketio.AsyncClient``, websocket connect with the session cookie, one acknowledged event,
disconnect, sequentially); only the servers differ: ``socketio.Server(async_mode=MODE)`` in a
child process of its own, served by

* ``threading``: werkzeug's threaded server with simple-websocket, as the tests run it
  (`sessio.testing.run_wsgi`, which also closes a connection once its websocket ended);
* ``eventlet``: ``eventlet.wsgi.server`` after ``eventlet.monkey_patch()``;
* ``gevent``: ``gevent.pywsgi.WSGIServer`` after ``gevent.monkey.patch_all()`` (with the
  handler of ``tests/e2e/green_app.py`` that closes a connection after its websocket).

``bare`` is python-socketio alone (a ``ping`` handler that returns its argument); ``sessio`` is
the same under `sessio.sync.SessionSockets` with an express format and a `MemoryStore`, or with
``--store redis`` a `RedisStore` on a private redis-server. For each mode the two servers are
measured in alternating rounds; the result is the ratio of the medians (and the median of the
per-round ratios), with each server's CPU time per connection from /proc beside it, steadier
than rates on a shared machine. ``--mode all`` (the default) runs the three modes one after
the other, each pair on its own.

With ``--interleaved N`` the two servers are taken in turns connection by connection (N
each): the ratio of the median connection times, and the same ratio in 5 consecutive blocks
as its spread; on a shared machine this resolves more than rounds of rates do.

With ``--instructions N`` each server runs under valgrind's callgrind instead: after 10
warm-up connections its counters are zeroed, N connections are made and the count dumped:
instructions per connection, which the machine's load does not change (``--keep DIR`` keeps
the dumps for ``callgrind_annotate``).

Where sessio's share goes: ``--profile N`` times the handlers python-socketio calls on both
servers (two clock reads around ``Server._trigger_event``, no profiler), then runs both under
cProfile and lists sessio's functions by cumulative time per connection (gevent or eventlet
only: cProfile sees one OS thread). ``--pieces`` times the connect path's pieces in-process.
"""

from __future__ import annotations

import sys


def _mode_to_patch() -> str | None:
    """The green library to monkey-patch with, when this process is a ``--serve`` child."""
    argv = sys.argv
    if "--serve" in argv and "--mode" in argv:
        mode = argv[argv.index("--mode") + 1]
        return mode if mode in ("eventlet", "gevent") else None
    return None


# A green server must patch before anything imports socket, threading or ssl.
if _mode_to_patch() == "gevent":
    from gevent import monkey  # type: ignore[import-untyped, unused-ignore]

    monkey.patch_all()
elif _mode_to_patch() == "eventlet":
    import warnings

    # Its import warns that eventlet is deprecated, on stderr, in every run.
    warnings.filterwarnings("ignore", message="\\s*Eventlet is deprecated")
    import eventlet  # type: ignore[import-untyped, unused-ignore]

    eventlet.monkey_patch()

# ruff: noqa: E402  (everything below must come after the monkey-patching)
import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import socketio
from bench_support import (
    ReadyProcess,
    callgrind_total,
    git_commit,
    interleaved_connection_times,
    private_redis,
    spread,
)

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

SECRET = "keyboard cat"
MODES = ("threading", "eventlet", "gevent")
KINDS = ("bare", "sessio")
# `--with-floor`: also the least any session bridge does (see `floor` in connections.py).
ALL_KINDS = (*KINDS, "floor")


# -- server side (runs in a child process) ----------------------------------------------


def build(kind: str, mode: str, redis_url: str | None) -> tuple[socketio.Server, str]:
    """The server of `kind` for `mode`, and the cookie a client connects with."""
    sio = socketio.Server(async_mode=mode)
    if kind == "bare":

        @sio.on("ping")
        def ping(sid: str, data: Any) -> Any:
            return data

        return sio, "connect.sid=none"

    from sessio import formats
    from sessio.sync import MemoryStore, RedisStore, SessionSockets

    store: Any
    if redis_url:
        import redis

        store = RedisStore(redis.Redis.from_url(redis_url))
    else:
        store = MemoryStore()
    if kind == "floor":
        return sio, floor(sio, store)
    sessions = SessionSockets(sio, store, formats.express(secrets=[SECRET]))

    @sessions.on("connect")
    def connect(err: Any, sid: str, session: Any) -> bool:
        return err is None

    @sessions.on("ping")
    def ping_with_session(sid: str, session: Any, data: Any) -> Any:
        return data

    return sio, sessions.create({"user": "alice"}).cookie


def floor(sio: socketio.Server, store: Any) -> str:
    """What any session bridge does per connect, on `sio`, with sessio's pieces and nothing
    else: verify the cookie, read and decode the session from `store`, join the session's
    room (`connections.py`'s ``floor``, for the sync server). Returns the cookie."""
    import time

    from sessio import formats
    from sessio.core import SessionRef, decode_stored, resolve
    from sessio.core._rooms import session_room
    from sessio.testing import mint

    fmt = formats.express(secrets=[SECRET])

    @sio.on("connect")
    def connect(sid: str, environ: dict[str, Any]) -> bool:
        now = time.time()
        ref = resolve(environ.get("HTTP_COOKIE", ""), fmt, now)
        if not isinstance(ref, SessionRef):
            return False
        raw = store.get(ref.key)
        if raw is None or not hasattr(decode_stored(ref, raw, fmt, now), "data"):
            return False
        sio.enter_room(sid, session_room(ref.session_id))
        return True

    @sio.on("ping")
    def ping(sid: str, data: Any) -> Any:
        return data

    return mint(store, fmt, {"user": "alice"}).cookie


def serve_threading(app: WSGIApplication, cookie: str) -> None:
    from sessio.testing import run_wsgi

    with run_wsgi(app) as url:
        print("READY", url.rsplit(":", 1)[1], cookie, flush=True)
        threading.Event().wait()  # until the parent's SIGTERM


def serve_eventlet(app: WSGIApplication, cookie: str) -> None:
    import eventlet  # type: ignore[import-untyped, unused-ignore]
    import eventlet.wsgi  # type: ignore[import-untyped, unused-ignore]

    listener = eventlet.listen(("127.0.0.1", 0))
    print("READY", listener.getsockname()[1], cookie, flush=True)
    eventlet.wsgi.server(listener, app, log_output=False)


def serve_gevent(app: WSGIApplication, cookie: str) -> None:
    from gevent.pywsgi import (  # type: ignore[import-untyped, unused-ignore]
        WSGIHandler,
        WSGIServer,
    )

    class Handler(WSGIHandler):  # type: ignore[misc, unused-ignore]
        """gevent's handler, closing a connection once its websocket is over: left keep-alive,
        it would read the frames a client sends after the disconnect as the next request."""

        def read_request(self, raw_requestline: str) -> Any:
            request = super().read_request(raw_requestline)
            if self.headers.get("Upgrade", "").lower() == "websocket":
                self.close_connection = True
            return request

    server = WSGIServer(("127.0.0.1", 0), app, log=None, handler_class=Handler)
    server.start()
    print("READY", server.server_port, cookie, flush=True)
    server.serve_forever()


def profile_on_signals(out: str) -> None:
    """SIGUSR1 starts cProfile (after the parent's warm-up); SIGTERM dumps it to `out` and exits.

    cProfile sees only the thread it was started in: under gevent and eventlet that is every
    greenlet, hence the profile is for those modes only.
    """
    import cProfile
    import signal

    profiler = cProfile.Profile()

    def start(signum: int, frame: Any) -> None:
        profiler.enable()

    def stop(signum: int, frame: Any) -> None:
        profiler.disable()
        profiler.dump_stats(out)
        os._exit(0)

    signal.signal(signal.SIGUSR1, start)
    signal.signal(signal.SIGTERM, stop)


def time_handlers_on_signals(sio: socketio.Server, out: str) -> None:
    """Time every handler python-socketio calls (``connect``, ``ping``, ``disconnect``):
    `Server._trigger_event` wrapped in two clock reads, so that the bare server and sessio's
    are timed alike. SIGUSR1 restarts the tally (after the warm-up); SIGTERM writes it to
    `out` as JSON (event: [calls, seconds]) and exits."""
    import signal

    tally: dict[str, list[float]] = {}
    server: Any = sio  # the stubs leave out the private dispatcher
    trigger = server._trigger_event

    def timed(event: str, namespace: str, *args: Any) -> Any:
        begin = time.perf_counter()
        try:
            return trigger(event, namespace, *args)
        finally:
            entry = tally.setdefault(event, [0, 0.0])
            entry[0] += 1
            entry[1] += time.perf_counter() - begin

    def reset(signum: int, frame: Any) -> None:
        tally.clear()

    def stop(signum: int, frame: Any) -> None:
        with open(out, "w") as file:
            json.dump(tally, file)
        os._exit(0)

    server._trigger_event = timed
    signal.signal(signal.SIGUSR1, reset)
    signal.signal(signal.SIGTERM, stop)


def serve(
    kind: str, mode: str, redis_url: str | None, profile_out: str | None, times_out: str | None
) -> None:
    """Serve one configuration until killed; print ``READY <port> <cookie>`` first."""
    sio, cookie = build(kind, mode, redis_url)
    app = socketio.WSGIApp(sio)
    if profile_out:
        profile_on_signals(profile_out)
    if times_out:
        time_handlers_on_signals(sio, times_out)
    {"threading": serve_threading, "eventlet": serve_eventlet, "gevent": serve_gevent}[mode](
        app, cookie
    )


# -- client side ------------------------------------------------------------------------


def start(
    kind: str,
    mode: str,
    redis_url: str | None,
    under: list[str] | None = None,
    profile_out: str | None = None,
    times_out: str | None = None,
) -> Any:
    args = [*(under or []), sys.executable, __file__, "--serve", kind, "--mode", mode]
    if redis_url:
        args += ["--redis", redis_url]
    if profile_out:
        args += ["--profile-out", profile_out]
    if times_out:
        args += ["--times-out", times_out]
    return ReadyProcess(args)


async def measure_mode(
    mode: str, rounds: int, per_round: int, redis_url: str | None
) -> dict[str, Any]:
    from connections import round_trip_rate

    servers = {kind: start(kind, mode, redis_url) for kind in KINDS}
    try:
        for server in servers.values():  # warm-up both
            await round_trip_rate(server.url, server.cookie, 20)
        rates: dict[str, list[float]] = {kind: [] for kind in KINDS}
        cpu: dict[str, list[float]] = {kind: [] for kind in KINDS}
        for r in range(rounds):
            order = list(servers.items())
            for kind, server in order if r % 2 == 0 else reversed(order):
                before = server.cpu_seconds()
                rates[kind].append(await round_trip_rate(server.url, server.cookie, per_round))
                cpu[kind].append((server.cpu_seconds() - before) * 1000 / per_round)
    finally:
        for server in servers.values():
            server.close()
    bare, with_sessio = statistics.median(rates["bare"]), statistics.median(rates["sessio"])
    paired = [s / b for s, b in zip(rates["sessio"], rates["bare"], strict=True)]
    cpu_bare, cpu_sessio = sum(cpu["bare"]) / rounds, sum(cpu["sessio"]) / rounds
    return {
        "mode": mode,
        "bare_conn_per_s": round(bare, 1),
        "sessio_conn_per_s": round(with_sessio, 1),
        "ratio_sessio_over_bare": round(with_sessio / bare, 4),
        "paired_ratio": round(statistics.median(paired), 4),
        "paired_spread": spread(paired),
        # Steadier than rates on a shared machine: the server's own CPU time per connection.
        "bare_cpu_ms_per_conn": round(cpu_bare, 3),
        "sessio_cpu_ms_per_conn": round(cpu_sessio, 3),
        "cpu_ratio_bare_over_sessio": round(cpu_bare / cpu_sessio, 4),
        "bare_rounds": [round(x, 1) for x in rates["bare"]],
        "sessio_rounds": [round(x, 1) for x in rates["sessio"]],
    }


BLOCKS = 5


async def measure_interleaved(mode: str, count: int, redis_url: str | None) -> dict[str, Any]:
    """`count` connections to each server, taken in turns one by one (see
    `bench_support.interleaved_connection_times`): the ratio of median connection times."""
    from connections import round_trip_rate

    servers = {kind: start(kind, mode, redis_url) for kind in KINDS}
    try:
        for server in servers.values():  # warm-up both
            await round_trip_rate(server.url, server.cookie, 20)
        cpu_before = {kind: server.cpu_seconds() for kind, server in servers.items()}
        times = await interleaved_connection_times(
            {kind: (server.url, server.cookie) for kind, server in servers.items()}, count
        )
        cpu = {kind: servers[kind].cpu_seconds() - cpu_before[kind] for kind in KINDS}
    finally:
        for server in servers.values():
            server.close()
    median = {kind: statistics.median(times[kind]) for kind in KINDS}
    # The same ratio in consecutive blocks of the run: how much it moves with the load.
    size = count // BLOCKS
    blocks = [
        statistics.median(times["bare"][b * size : (b + 1) * size])
        / statistics.median(times["sessio"][b * size : (b + 1) * size])
        for b in range(BLOCKS)
    ]
    return {
        "mode": mode,
        "bare_median_ms": round(median["bare"] * 1000, 3),
        "sessio_median_ms": round(median["sessio"] * 1000, 3),
        # As connections/s: bare time / sessio time.
        "ratio_sessio_over_bare": round(median["bare"] / median["sessio"], 4),
        "ratio_of_means": round(
            statistics.fmean(times["bare"]) / statistics.fmean(times["sessio"]), 4
        ),
        "blocks": spread(blocks),
        "bare_cpu_ms_per_conn": round(cpu["bare"] * 1000 / count, 3),
        "sessio_cpu_ms_per_conn": round(cpu["sessio"] * 1000 / count, 3),
        "cpu_ratio_bare_over_sessio": round(cpu["bare"] / cpu["sessio"], 4),
    }


def instructions(kind: str, mode: str, redis_url: str | None, count: int, workdir: Path) -> float:
    """Instructions the `kind` server of `mode` executes per connection (callgrind)."""
    from connections import round_trip_rate

    out = workdir / f"callgrind.{mode}.{kind}"
    server = start(
        kind, mode, redis_url, under=["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"]
    )
    try:
        pid = str(server.process.pid)
        asyncio.run(round_trip_rate(server.url, server.cookie, 10, timeout=60))
        subprocess.run(["callgrind_control", "-z", pid], check=True, capture_output=True)
        asyncio.run(round_trip_rate(server.url, server.cookie, count, timeout=60))
        subprocess.run(["callgrind_control", "-d", pid], check=True, capture_output=True)
    finally:
        server.close()
    # The -d dump, "<out>.1" (the newest, should DIR hold an older run's).
    dump = max(workdir.glob(f"callgrind.{mode}.{kind}.*"), key=lambda p: p.stat().st_mtime)
    return callgrind_total(str(dump)) / count


def measure_instructions(
    mode: str, count: int, redis_url: str | None, keep: str | None, kinds: tuple[str, ...] = KINDS
) -> dict[str, Any]:
    with contextlib.ExitStack() as stack:
        workdir = keep or stack.enter_context(
            tempfile.TemporaryDirectory(prefix="sessio-bench-callgrind-")
        )
        pool = stack.enter_context(ThreadPoolExecutor(2))
        futures = {
            kind: pool.submit(instructions, kind, mode, redis_url, count, Path(workdir))
            for kind in kinds
        }
        per = {kind: future.result() for kind, future in futures.items()}
    floor_ratios = (
        {
            "floor_over_bare": round(per["floor"] / per["bare"], 4),
            "sessio_over_floor": round(per["sessio"] / per["floor"], 4),
        }
        if "floor" in per
        else {}
    )
    return {
        "mode": mode,
        "instructions_per_conn": {kind: round(per[kind]) for kind in kinds},
        "sessio_over_bare": round(per["sessio"] / per["bare"], 4),
        # As connections/s if the server alone set the pace.
        "bare_over_sessio": round(per["bare"] / per["sessio"], 4),
        **floor_ratios,
    }


def profile(mode: str, count: int, redis_url: str | None, top: int) -> dict[str, Any]:
    """Where a sessio server's extra time goes: cProfile of both servers over `count`
    connections (after 10 unprofiled), sessio's own functions by cumulative time."""
    import pstats
    import signal

    from connections import round_trip_rate

    totals: dict[str, float] = {}
    handlers: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="sessio-bench-profile-") as tmp:
        # First without the profiler: each handler's own time, two clock reads around it.
        for kind in KINDS:
            out = os.path.join(tmp, f"{kind}.times")
            server = start(kind, mode, redis_url, times_out=out)
            try:
                asyncio.run(round_trip_rate(server.url, server.cookie, 10))
                server.process.send_signal(signal.SIGUSR1)
                cpu_before = server.cpu_seconds()
                asyncio.run(round_trip_rate(server.url, server.cookie, count))
                cpu = server.cpu_seconds() - cpu_before
            finally:
                server.close()
            with open(out) as file:
                tally = json.load(file)
            handlers[kind] = {
                event: round(seconds * 1e6 / count, 1) for event, (_, seconds) in tally.items()
            }
            handlers[kind]["server_cpu_per_conn"] = round(cpu * 1e6 / count, 1)
        for kind in KINDS:
            out = os.path.join(tmp, f"{kind}.prof")
            server = start(kind, mode, redis_url, profile_out=out)
            try:
                asyncio.run(round_trip_rate(server.url, server.cookie, 10))
                server.process.send_signal(signal.SIGUSR1)
                asyncio.run(round_trip_rate(server.url, server.cookie, count))
            finally:
                server.close()
            stats = pstats.Stats(out)
            # The profiled time is the sum of every function's own time.
            own: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
            totals[kind] = sum(entry[2] for entry in own.values())
            if kind == "sessio":
                ours = [
                    (func, entry)
                    for func, entry in own.items()
                    if "/sessio/" in func[0] and "/testing/" not in func[0]
                ]
                ours.sort(key=lambda item: item[1][3], reverse=True)
                functions = [
                    {
                        "function": f"{func[0].split('/sessio/', 1)[1]}:{func[1]}({func[2]})",
                        "calls_per_conn": round(entry[1] / count, 2),
                        "cum_us_per_conn": round(entry[3] * 1e6 / count, 1),
                        "own_us_per_conn": round(entry[2] * 1e6 / count, 1),
                    }
                    for func, entry in ours[:top]
                ]
    return {
        "mode": mode,
        "connections": count,
        # Without the profiler: µs per connection in each handler python-socketio calls.
        "handler_us_per_conn": handlers,
        "profiled_us_per_conn": {kind: round(totals[kind] * 1e6 / count, 1) for kind in KINDS},
        "sessio_functions_by_cumulative_time": functions,
    }


def pieces(repeat: int = 7, number: int = 5000) -> dict[str, Any]:
    """The sync shell's connect path taken apart, in-process: µs per call of each piece
    (the best of `repeat` timings of `number` calls, which a loaded machine inflates least),
    on the session these benchmarks use (express format, `MemoryStore`, ``{"user": "alice"}``).
    """
    import timeit

    from sessio import formats
    from sessio.core import resolve
    from sessio.core._changes import nested_too_deep, snapshot
    from sessio.core._handshake import decode_stored
    from sessio.core._rooms import session_room
    from sessio.sync import MemoryStore, SessionSockets
    from sessio.sync._opening import open_verdict
    from sessio.sync._session import Session

    fmt = formats.express(secrets=[SECRET])
    store = MemoryStore()
    cookie = (
        SessionSockets(socketio.Server(async_mode="threading"), store, fmt)
        .create({"user": "alice"})
        .cookie
    )
    now = time.time()
    verdict: Any = resolve(cookie, fmt, now)
    raw: Any = store.get(verdict.key)
    stored: Any = decode_stored(verdict, raw, fmt, now)
    timed = {
        "resolve (cookie scan, HMAC, read_cookie)": lambda: resolve(cookie, fmt, now),
        "MemoryStore.get": lambda: store.get(verdict.key),
        "decode_stored (decode + nested_too_deep on data and meta)": lambda: decode_stored(
            verdict, raw, fmt, now
        ),
        "  fmt.decode (the JSON)": lambda: fmt.decode(raw, now),
        "  nested_too_deep(data) + nested_too_deep(meta)": lambda: (
            nested_too_deep(stored.data),
            nested_too_deep(stored.meta),
        ),
        "Session.__init__ (two snapshots)": lambda: Session(
            stored.data, fmt=fmt, store=store, ref=verdict, stored=stored, raw=raw
        ),
        "  snapshot(data), one": lambda: snapshot(stored.data),
        "open_verdict (get + decode_stored + Session)": lambda: open_verdict(
            verdict, store, fmt, time.time
        ),
        "session_room(id)": lambda: session_room(verdict.session_id),
    }
    return {
        label: round(min(timeit.repeat(call, number=number, repeat=repeat)) / number * 1e6, 2)
        for label, call in timed.items()
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--serve", choices=ALL_KINDS)
    parser.add_argument("--mode", choices=[*MODES, "all"], default="all")
    parser.add_argument("--redis")
    parser.add_argument("--store", choices=["memory", "redis"], default="memory")
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--per-round", type=int, default=150)
    parser.add_argument("--instructions", type=int, metavar="N", help="count instructions")
    parser.add_argument(
        "--keep", metavar="DIR", help="with --instructions: keep the callgrind dumps in DIR"
    )
    parser.add_argument(
        "--with-floor",
        action="store_true",
        help="with --instructions: also count a server doing only what any session bridge does",
    )
    parser.add_argument(
        "--profile",
        type=int,
        metavar="N",
        help="cProfile both servers over N connections (gevent or eventlet only)",
    )
    parser.add_argument(
        "--interleaved",
        type=int,
        metavar="N",
        help="N connections per server taken in turns, one by one: ratio of median times",
    )
    parser.add_argument(
        "--pieces", action="store_true", help="time the connect path's pieces in-process"
    )
    parser.add_argument("--profile-out", help=argparse.SUPPRESS)
    parser.add_argument("--times-out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.mode, args.redis, args.profile_out, args.times_out)
        return 0
    if args.pieces:
        load = os.getloadavg()[0]
        found = {"us_per_call": pieces(), "load_before": load, "load_after": os.getloadavg()[0]}
        print(json.dumps({"commit": git_commit(), **found}))
        return 0
    if args.profile:
        if args.mode not in ("gevent", "eventlet"):
            parser.error("--profile needs --mode gevent or --mode eventlet (cProfile's thread)")
        with contextlib.ExitStack() as stack:
            redis_url = stack.enter_context(private_redis()) if args.store == "redis" else None
            found = profile(args.mode, args.profile, redis_url, top=25)
        print(json.dumps({"store": args.store, "commit": git_commit(), **found}))
        return 0
    load_before = os.getloadavg()[0]
    modes = MODES if args.mode == "all" else (args.mode,)
    results = []
    with contextlib.ExitStack() as stack:
        redis_url = stack.enter_context(private_redis()) if args.store == "redis" else None
        for mode in modes:
            if args.interleaved:
                results.append(asyncio.run(measure_interleaved(mode, args.interleaved, redis_url)))
            elif args.instructions:
                kinds = ALL_KINDS if args.with_floor else KINDS
                results.append(
                    measure_instructions(mode, args.instructions, redis_url, args.keep, kinds)
                )
            else:
                results.append(
                    asyncio.run(measure_mode(mode, args.rounds, args.per_round, redis_url))
                )
    report: dict[str, Any] = {
        "store": args.store,
        "commit": git_commit(),
        "load_before": load_before,
    }
    if args.interleaved:
        report["connections_per_server"] = args.interleaved
    elif args.instructions:
        report["connections"] = args.instructions
    else:
        report |= {"rounds": args.rounds, "connections_per_round": args.per_round}
    report["modes"] = results
    report["load_after"] = os.getloadavg()[0]
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    started = time.monotonic()
    status = main()
    print(f"# {time.monotonic() - started:.0f} s", file=sys.stderr)
    sys.exit(status)
