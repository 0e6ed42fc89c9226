"""Events per second through AsyncSessionSockets with touch_every=60 against without it.

Run: .venv/bin/python benchmarks/touch_throughput.py [--rounds R] [--per-round N] [--pipeline K]

Each configuration is an ``AsyncSessionSockets`` over a `MemoryStore` on its own
``socketio.AsyncServer``, served by uvicorn in its own process; this process is the client.
One websocket client per server, connected once with the session cookie, sends acknowledged
events: sequentially, or with ``--pipeline K`` at most K in flight. The configurations are
measured in alternating rounds (the order rotates each round) so that the machine's noise
falls on all alike. The results are the ratio of the medians, ``touch_every=60`` over none
(the target is at least 0.98), and the median of the per-round ratios (within a round the
configurations run back to back, under much the same load). ``touch_every=1e-9``, a touch on
every event (what the option spares a busy socket), is measured too, for scale. Each server
counts its store writes, to show how often it touched. No new round starts after
``--budget`` seconds (default 100).

Through a network the difference is within the noise, so the step that ``touch_every`` adds
to each event (the due check under the shell's claim lock) is also timed on its own, in this
process: ``activity_step_ns``, and ``touch60_step_share_of_event``, its cost as a share of an
event's round trip.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import statistics
import subprocess
import sys
import time
from typing import Any

import socketio
from bench_support import free_port, wait_listening

SECRET = "keyboard cat"
# touch_every must be > 0: a nanosecond is "every event", for scale.
CONFIGS = {"none": None, "touch60": 60.0, "touch0": 1e-9}


# -- server side (runs in a child process) ----------------------------------------------


def serve(config: str, port: int) -> None:
    """Serve one configuration until killed; print READY and the minted cookie first."""
    import uvicorn

    from sessio import formats
    from sessio.aio import AsyncSessionSockets, MemoryStore

    class CountingStore(MemoryStore):
        writes = 0

        async def compare_and_set(
            self, key: str, expected: bytes | None, value: bytes | None, ttl: int | None
        ) -> tuple[bool, bytes | None]:
            CountingStore.writes += 1
            return await super().compare_and_set(key, expected, value, ttl)

    sio = socketio.AsyncServer(async_mode="asgi")
    sessions = AsyncSessionSockets(
        sio, CountingStore(), formats.express(secrets=[SECRET]), touch_every=CONFIGS[config]
    )

    @sessions.on("connect")
    async def connect(err: Any, sid: str, session: Any) -> bool:
        return err is None

    @sessions.on("ping")
    async def ping(sid: str, session: Any, data: Any) -> Any:
        return data

    # A plain python-socketio handler: asking for the count is not socket activity.
    @sio.on("writes")
    async def writes(sid: str) -> int:
        return CountingStore.writes

    cookie = asyncio.run(sessions.create({"user": "alice"})).cookie
    print(f"READY {cookie}", flush=True)
    uvicorn.run(
        socketio.ASGIApp(sio), host="127.0.0.1", port=port, log_level="error", lifespan="off"
    )


# -- client side ------------------------------------------------------------------------


class Server:
    def __init__(self, config: str) -> None:
        self.config = config
        self.port = free_port()
        args = [sys.executable, __file__, "--serve", config, "--port", str(self.port)]
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline().split()
        assert line and line[0] == "READY", line
        self.cookie = line[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.client = socketio.AsyncClient()

    async def connect(self) -> None:
        await wait_listening(self.port, time.monotonic() + 20)
        await self.client.connect(
            self.url, headers={"Cookie": self.cookie}, transports=["websocket"]
        )

    async def rate(self, count: int, pipeline: int) -> float:
        """Events per second over `count` acknowledged events, at most `pipeline` in flight."""

        async def lane(lane_count: int) -> None:
            for i in range(lane_count):
                assert await self.client.call("ping", i, timeout=10) == i

        lanes = [count // pipeline + (1 if k < count % pipeline else 0) for k in range(pipeline)]
        start = time.perf_counter()
        await asyncio.gather(*(lane(n) for n in lanes))
        return count / (time.perf_counter() - start)

    async def writes(self) -> int:
        count: int = await self.client.call("writes", timeout=10)
        return count

    async def close(self) -> None:
        await self.client.disconnect()
        self.process.terminate()
        self.process.wait(10)


async def activity_cost(iterations: int) -> dict[str, float]:
    """Nanoseconds per event that the shell's activity step takes, in this process.

    This is the code that ``touch_every`` adds to every event (the check, and the touch when
    one is due), timed without the network around it.
    """
    from sessio import formats
    from sessio.aio import AsyncSession, AsyncSessionSockets, MemoryStore, open_session

    fmt = formats.express(secrets=[SECRET])
    costs: dict[str, float] = {}
    for config, every in CONFIGS.items():
        store = MemoryStore()
        sio = socketio.AsyncServer(async_mode="asgi")
        sessions = AsyncSessionSockets(sio, store, fmt, touch_every=every)
        minted = await sessions.create({"user": "alice"})
        session = await open_session(minted.cookie, store, fmt)
        assert isinstance(session, AsyncSession)
        socket = ("/", "bench")
        sessions._liveness.hold(socket, session)  # as a connect would (its clock starts now)
        step = sessions._liveness.on_activity  # the per-event step, as the event wrapper calls it
        await step(socket, session)
        start = time.perf_counter_ns()
        for _ in range(iterations):
            await step(socket, session)
        costs[config] = (time.perf_counter_ns() - start) / iterations
    return costs


async def measure(rounds: int, per_round: int, pipeline: int, budget: float) -> dict[str, Any]:
    servers = [Server(config) for config in CONFIGS]
    started = time.monotonic()
    try:
        for server in servers:
            await server.connect()
            await server.rate(min(500, per_round), pipeline)  # warm-up
        rates: dict[str, list[float]] = {config: [] for config in CONFIGS}
        events = dict.fromkeys(CONFIGS, 0)
        for r in range(rounds):
            if r >= 3 and time.monotonic() - started > budget:
                break
            order = servers[r % len(servers) :] + servers[: r % len(servers)]
            for server in order:
                rates[server.config].append(await server.rate(per_round, pipeline))
                events[server.config] += per_round
        writes = {server.config: await server.writes() for server in servers}
    finally:
        for server in servers:
            await server.close()
    step_ns = await activity_cost(20_000)
    medians = {config: statistics.median(values) for config, values in rates.items()}
    # Within a round the configurations run back to back, under much the same load.
    paired = {
        config: statistics.median(x / y for x, y in zip(rates[config], rates["none"], strict=True))
        for config in ("touch60", "touch0")
    }
    return {
        "store": "memory",
        "pipeline": pipeline,
        "rounds": len(rates["none"]),
        "events_per_round": per_round,
        "seconds": round(time.monotonic() - started, 1),
        "none_events_per_s": round(medians["none"], 1),
        "touch60_events_per_s": round(medians["touch60"], 1),
        "touch0_events_per_s": round(medians["touch0"], 1),
        "ratio_touch60_over_none": round(medians["touch60"] / medians["none"], 4),
        "ratio_touch0_over_none": round(medians["touch0"] / medians["none"], 4),
        "paired_ratio_touch60_over_none": round(paired["touch60"], 4),
        "paired_ratio_touch0_over_none": round(paired["touch0"], 4),
        "store_writes": writes,
        "activity_step_ns": {k: round(v) for k, v in step_ns.items()},
        # What touch_every=60 adds to an event, as a share of an event's time without it.
        "touch60_step_share_of_event": round(
            (step_ns["touch60"] - step_ns["none"]) * medians["none"] / 1e9, 6
        ),
        "events_measured": events,
        "rounds_events_per_s": {k: [round(x, 1) for x in v] for k, v in rates.items()},
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--serve", choices=list(CONFIGS))
    parser.add_argument("--port", type=int)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--per-round", type=int, default=200)
    parser.add_argument("--pipeline", type=int, default=1)
    parser.add_argument("--budget", type=float, default=100.0)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return 0
    report = asyncio.run(measure(args.rounds, args.per_round, args.pipeline, args.budget))
    report["command"] = shlex.join(
        [".venv/bin/python", "benchmarks/touch_throughput.py", *sys.argv[1:]]
    )
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
