"""What metrics cost: connections per second with metrics off, on (Prometheus, OpenTelemetry),
and with the code from before sessio had metrics at all.

Run: .venv/bin/python benchmarks/metrics_cost.py [--rounds R] [--per-round N] [--baseline REV]
     .venv/bin/python benchmarks/metrics_cost.py --instructions N [--baseline REV]
     .venv/bin/python benchmarks/metrics_cost.py --hooks N

Four servers, each an ``AsyncSessionSockets`` over a `MemoryStore` under uvicorn in its own
process; this process is the client. One "connection" is a websocket connect with the
session cookie, one acknowledged event that changes the session and saves it, and a
disconnect: every point metrics observe on a connection (the connect's outcome, the store's
load and compare-and-set, the save, the sockets gauge) is passed once.

* ``today``: sessio as it was before metrics, from git (``--baseline``, by default the parent
  of the commit that added ``src/sessio/metrics``), extracted to a temporary directory;
* ``off``: this tree, no metrics (the shells' hooks are ``is not None`` checks);
* ``prometheus``: ``PrometheusMetrics`` into a registry of its own;
* ``otel``: ``OtelMetrics`` on an SDK ``MeterProvider`` with an in-memory reader.

The servers are measured in rounds whose order rotates, so that the machine's noise falls on
all alike. Reported: each configuration's median rate, the ratios of medians against
``today`` and ``off``, the medians of the per-round ratios (within a round the servers run
back to back), and each server's CPU time per connection (from /proc, summed over all
rounds: steadier than rates on a shared machine). Last, each exporter's own work for one
connection's reports is timed in this process, and given as a share of a connection's time
(``hook_share_of_connection``): what metrics on can take off the rate at most, when the
server's CPU sets the pace.

With ``--instructions N`` each server runs under valgrind's callgrind instead: after a warm-up
its counters are zeroed (``callgrind_control -z``), N connections are made, and the count is
dumped (``-d``): the instructions the server executed per connection, which the machine's
load hardly changes (runs of one server differ by about 1 %: ``--repeat`` runs each server
again, in turn with the others, and the median counts). Two servers at a time; about a
minute and a half each (python starts slowly under callgrind).

With ``--hooks N`` the exporters' own work is counted the same way, without servers: the
instructions of one connection's reports to each exporter, of ``OtelMetrics.store_call``, and
of the OpenTelemetry SDK's ``Histogram.record`` alone (with sessio's attributes, and with
none), each the difference between a process making the call N + 1 times and one making it
once.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from io import BytesIO
from pathlib import Path
from typing import Any

import socketio
from bench_support import free_port, wait_listening

ROOT = Path(__file__).resolve().parent.parent
SECRET = "keyboard cat"
KINDS = ["today", "off", "prometheus", "otel"]


# -- server side (runs in a child process) ----------------------------------------------


def serve(kind: str, port: int) -> None:
    """Serve one configuration until killed; print READY and the minted cookie first."""
    import uvicorn

    from sessio import formats
    from sessio.aio import AsyncSessionSockets, MemoryStore

    options: dict[str, Any] = {}
    if kind == "prometheus":
        from prometheus_client import CollectorRegistry

        from sessio.metrics.prometheus import PrometheusMetrics

        options["metrics"] = PrometheusMetrics(CollectorRegistry())
    elif kind == "otel":
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader

        from sessio.metrics.otel import OtelMetrics

        provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
        options["metrics"] = OtelMetrics(provider)

    sio = socketio.AsyncServer(async_mode="asgi")
    sessions = AsyncSessionSockets(sio, MemoryStore(), formats.express(secrets=[SECRET]), **options)

    @sessions.on("connect")
    async def connect(err: Any, sid: str, session: Any) -> bool:
        return err is None

    @sessions.on("count")
    async def count(sid: str, session: Any, n: int) -> int:
        session["n"] = n
        await session.save()
        return n

    cookie = asyncio.run(sessions.create({"user": "alice"})).cookie
    print(f"READY {cookie}", flush=True)
    uvicorn.run(
        socketio.ASGIApp(sio), host="127.0.0.1", port=port, log_level="error", lifespan="off"
    )


# -- client side ------------------------------------------------------------------------


async def round_trip_rate(url: str, cookie: str, count: int, timeout: float = 5) -> float:
    """Connections per second over `count` sequential connect + saving event + disconnect."""
    client = socketio.AsyncClient()
    start = time.perf_counter()
    for i in range(count):
        headers = {"Cookie": cookie}
        await client.connect(url, headers=headers, transports=["websocket"], wait_timeout=timeout)
        assert await client.call("count", i, timeout=timeout) == i
        await client.disconnect()
    return count / (time.perf_counter() - start)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process `pid` so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return ticks / os.sysconf("SC_CLK_TCK")


class Server:
    def __init__(self, kind: str, src: Path, under: list[str] | None = None) -> None:
        self.kind = kind
        self.port = free_port()
        env = dict(os.environ, PYTHONPATH=str(src))
        args = [*(under or []), sys.executable, __file__, "--serve", kind]
        args += ["--port", str(self.port)]
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, text=True, env=env)
        assert self.process.stdout is not None
        line = self.process.stdout.readline().split()
        assert line and line[0] == "READY", line
        self.cookie = line[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.cpu = 0.0
        self.connections = 0

    async def measure(self, count: int) -> float:
        before = cpu_seconds(self.process.pid)
        rate = await round_trip_rate(self.url, self.cookie, count)
        self.cpu += cpu_seconds(self.process.pid) - before
        self.connections += count
        return rate

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def baseline_rev() -> str:
    """The parent of the commit that added sessio.metrics: sessio before metrics."""
    added = subprocess.run(
        ["git", "log", "--diff-filter=A", "--format=%H", "--", "src/sessio/metrics/__init__.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    if not added:
        raise SystemExit("no commit adds src/sessio/metrics: pass --baseline REV")
    return f"{added[-1]}^"


def extract(rev: str, into: Path) -> Path:
    """``src/`` as it was at `rev`, written under `into`; returns that ``src``."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", rev, "src"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def exporter(kind: str) -> Any:
    """A `kind` exporter as the servers make it (this tree's sessio)."""
    if str(ROOT / "src") not in sys.path:
        sys.path.insert(0, str(ROOT / "src"))  # this tree's sessio, as the servers run it
    if kind == "prometheus":
        from prometheus_client import CollectorRegistry

        from sessio.metrics.prometheus import PrometheusMetrics

        return PrometheusMetrics(CollectorRegistry())
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader

    from sessio.metrics.otel import OtelMetrics

    return OtelMetrics(MeterProvider(metric_readers=[InMemoryMetricReader()]))


def one_connection(metrics: Any) -> None:
    """One connection's reports: the connect's outcome, two store timings (load,
    compare-and-set), the save, the sockets gauge up and down."""
    metrics.connect("/", "session", None)
    metrics.store_call("get", 0.0002, False)
    metrics.store_call("compare_and_set", 0.0003, False)
    metrics.save("save", "saved", 0)
    metrics.sockets_with_session("/", 1)
    metrics.sockets_with_session("/", -1)


def hook_cost_us(kind: str, repeats: int = 7, number: int = 2000) -> float:
    """Microseconds an exporter spends on `one_connection`'s reports, timed in this process:
    the median of `repeats` timings of `number` connections."""
    metrics = exporter(kind)
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            one_connection(metrics)
        timings.append((time.perf_counter() - start) / number * 1e6)
    return statistics.median(timings)


#: What ``--hooks`` counts, each a call made `count` times in a process of its own.
HOOKS = {
    "prometheus": "one connection's reports to PrometheusMetrics",
    "otel": "one connection's reports to OtelMetrics",
    "otel_store_call": "OtelMetrics.store_call('get', 0.0002, False)",
    "sdk_record": "the SDK's Histogram.record(0.0002, {'operation': 'get', 'error': False})",
    "sdk_record_bare": "the SDK's Histogram.record(0.0002), no attributes",
}


def hook_run(hook: str, count: int) -> None:
    """Make `hook`'s call once (a warm-up), then `count` times."""
    if hook in ("sdk_record", "sdk_record_bare"):
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader

        provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
        histogram = provider.get_meter("sessio").create_histogram("h", "s")
        attributes = {"operation": "get", "error": False} if hook == "sdk_record" else None

        def call() -> None:
            histogram.record(0.0002, attributes)

    elif hook == "otel_store_call":
        metrics = exporter("otel")

        def call() -> None:
            metrics.store_call("get", 0.0002, False)

    else:
        metrics = exporter(hook)

        def call() -> None:
            one_connection(metrics)

    for _ in range(count + 1):
        call()


def hook_instructions(count: int) -> dict[str, Any]:
    """Instructions per call of each of `HOOKS`: callgrind's totals for a process making the
    call 1 + `count` times, less those of one making it once."""

    def total(hook: str, n: int, out: Path) -> int:
        valgrind = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"]
        args = [*valgrind, sys.executable, __file__, "--hook-run", hook, "--count", str(n)]
        subprocess.run(args, check=True, capture_output=True)
        for line in out.read_text().splitlines():
            if line.startswith("summary:"):
                return int(line.split()[1])
        raise RuntimeError(f"no summary in {out}")

    with tempfile.TemporaryDirectory(prefix="sessio-bench-hooks-") as tmp:
        per = {
            hook: (total(hook, count, Path(tmp, hook)) - total(hook, 0, Path(tmp, "0"))) / count
            for hook in HOOKS
        }
    return {"calls": count, "instructions_per_call": {h: round(n) for h, n in per.items()}}


def ratio(a: list[float], b: list[float]) -> dict[str, float]:
    return {
        "of_medians": round(statistics.median(a) / statistics.median(b), 4),
        "paired": round(statistics.median(x / y for x, y in zip(a, b, strict=True)), 4),
    }


async def measure(rounds: int, per_round: int, baseline: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="sessio-bench-today-") as tmp:
        sources = {"today": extract(baseline, Path(tmp))}
        servers = [Server(kind, sources.get(kind, ROOT / "src")) for kind in KINDS]
        try:
            deadline = time.monotonic() + 30
            for server in servers:
                await wait_listening(server.port, deadline)
            for server in servers:  # warm-up
                await round_trip_rate(server.url, server.cookie, 30)
            rates: dict[str, list[float]] = {kind: [] for kind in KINDS}
            for r in range(rounds):
                shift = r % len(servers)
                for server in servers[shift:] + servers[:shift]:
                    rates[server.kind].append(await server.measure(per_round))
        finally:
            for server in servers:
                server.close()
    cpu = {s.kind: s.cpu / s.connections * 1e6 for s in servers}
    # The exporters' own work per connection, against a connection's time in this run.
    connection_us = 1e6 / statistics.median(rates["off"])
    hooks = {kind: hook_cost_us(kind) for kind in ("prometheus", "otel")}
    return {
        "baseline": baseline,
        "rounds": rounds,
        "connections_per_round": per_round,
        "conn_per_s": {kind: round(statistics.median(rates[kind]), 1) for kind in KINDS},
        "off_vs_today": ratio(rates["off"], rates["today"]),
        "prometheus_vs_off": ratio(rates["prometheus"], rates["off"]),
        "otel_vs_off": ratio(rates["otel"], rates["off"]),
        "server_cpu_us_per_conn": {kind: round(cpu[kind], 1) for kind in KINDS},
        "cpu_ratio_off_over_today": round(cpu["off"] / cpu["today"], 4),
        "cpu_ratio_prometheus_over_off": round(cpu["prometheus"] / cpu["off"], 4),
        "cpu_ratio_otel_over_off": round(cpu["otel"] / cpu["off"], 4),
        "hook_us_per_conn": {kind: round(us, 1) for kind, us in hooks.items()},
        "hook_share_of_connection": {
            kind: round(us / connection_us, 4) for kind, us in hooks.items()
        },
    }


def instructions(kind: str, src: Path, count: int, workdir: Path) -> float:
    """Instructions the `kind` server executes per connection (callgrind, after a warm-up)."""
    workdir.mkdir(parents=True, exist_ok=True)
    out = workdir / f"callgrind.{kind}"
    valgrind = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"]
    server = Server(kind, src, under=valgrind)
    try:
        pid = str(server.process.pid)
        asyncio.run(wait_listening(server.port, time.monotonic() + 120))
        asyncio.run(round_trip_rate(server.url, server.cookie, 10, timeout=60))
        subprocess.run(["callgrind_control", "-z", pid], check=True, capture_output=True)
        asyncio.run(round_trip_rate(server.url, server.cookie, count, timeout=60))
        subprocess.run(["callgrind_control", "-d", pid], check=True, capture_output=True)
    finally:
        server.close()
    dumps = sorted(workdir.glob(f"callgrind.{kind}.*"))  # the -d dump: "<out>.1"
    for line in dumps[0].read_text().splitlines():
        if line.startswith("summary:"):
            return int(line.split()[1]) / count
    raise RuntimeError(f"no summary in {dumps[0]}")


def measure_instructions(count: int, repeat: int, baseline: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="sessio-bench-today-") as tmp:
        workdir = Path(tmp)
        sources = {"today": extract(baseline, workdir)}
        runs = [(r, kind) for r in range(repeat) for kind in KINDS]
        with ThreadPoolExecutor(2) as pool:
            futures = [
                pool.submit(
                    instructions, kind, sources.get(kind, ROOT / "src"), count, workdir / str(r)
                )
                for r, kind in runs
            ]
            counts: dict[str, list[float]] = {kind: [] for kind in KINDS}
            for (_, kind), future in zip(runs, futures, strict=True):
                counts[kind].append(future.result())
    per = {kind: statistics.median(counts[kind]) for kind in KINDS}
    return {
        "baseline": baseline,
        "connections": count,
        "runs": {kind: [round(n) for n in counts[kind]] for kind in KINDS},
        "instructions_per_conn": {kind: round(per[kind]) for kind in KINDS},
        "off_over_today": round(per["off"] / per["today"], 4),
        "prometheus_over_off": round(per["prometheus"] / per["off"], 4),
        "otel_over_off": round(per["otel"] / per["off"], 4),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--serve", choices=KINDS)
    parser.add_argument("--port", type=int)
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--per-round", type=int, default=150)
    parser.add_argument("--baseline", help="git revision of 'today' (default: before metrics)")
    parser.add_argument("--instructions", type=int, metavar="N", help="count instructions")
    parser.add_argument("--repeat", type=int, default=2, help="callgrind runs per server")
    parser.add_argument("--hooks", type=int, metavar="N", help="count the hooks' instructions")
    parser.add_argument("--hook-run", choices=HOOKS)
    parser.add_argument("--count", type=int, default=0)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return 0
    if args.hook_run:
        hook_run(args.hook_run, args.count)
        return 0
    if args.hooks:
        print(json.dumps(hook_instructions(args.hooks)))
        return 0
    baseline = args.baseline or baseline_rev()
    if args.instructions:
        print(json.dumps(measure_instructions(args.instructions, args.repeat, baseline)))
        return 0
    print(json.dumps(asyncio.run(measure(args.rounds, args.per_round, baseline))))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
