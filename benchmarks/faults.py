"""Faults: Redis down for 10 s under traffic, Redis slowed down, the server killed mid-save.

Run: .venv/bin/python benchmarks/faults.py [--only outage,slow,kill] [options below]

The server is ``load_server.py`` (an ``AsyncServer`` under uvicorn with `AsyncSessionSockets`
over a `RedisStore`, its Redis client made as `RedisStore`'s docstring advises: one immediate
retry on a fresh connection, 1 s socket timeouts) in its own process. Redis is a private
redis-server (``tests/redis_server.py``, never the shared one on 6379). Each part prints one
JSON line.

``outage`` (``--outage 10``): Redis runs with an append-only file fsynced before every answer
(``--appendonly yes --appendfsync always``, in its own directory). ``--traffic 10`` sockets,
each with its own session, save in a loop (every 50 ms, a new key each time, acknowledged:
``{"saved": key}`` or ``{"error": code}``), and a connector opens a fresh socket every 100 ms
(connect, ``whoami``, disconnect). After 3 s Redis is killed (SIGKILL), stays down
``--outage`` seconds, and is started again on the same port; its answering ``PING`` again is
the moment ``up``. Traffic goes on for 5 s more. Checked and reported:

- every answer a client got is a save, a refusal or a failure with the code
  ``store-unavailable`` (no timeout, no other error, no socket dropped); the server's handlers
  saw only that code, and logged nothing at ERROR;
- recovery: from ``up`` to each traffic socket's first acknowledged save, and to the first new
  socket that connected; the control channel's resubscription (``PUBSUB NUMSUB``);
- no acknowledged save lost: at the end, every key a client had an acknowledgement for is in
  its session in Redis, with its value.

``--persistence off`` runs the same against a Redis without persistence: the control, where
the sessions are lost with Redis and the script must say so.

``slow`` (``--delay 0.05``): a TCP proxy (``tests/latency_proxy.py``) between the server and
Redis holds every chunk ``--delay`` seconds each way. Alternating rounds on two servers, one
through the proxy and one straight to Redis: ``--slow-sockets 50`` sockets connect at once and
check ``whoami``; then each saves 20 times in a row. Every connect and save must succeed. The
server's ticker measures event-loop lag in each phase (max, p99): during the connects the
server's CPU is busy with 50 handshakes whatever the store, during the saves it mostly waits on
Redis. ``own`` lag leaves out the time the loop's thread waited for a CPU that other processes
held (the kernel's count): on a shared machine that is most of the worst ticks; ``blocked``
also leaves out the time the thread ran (busy with callbacks): what remains is time spent in a
call that blocked the loop (see ``load_server.Lag``). The control: a
deliberately blocking store (a synchronous Redis client inside ``async def``) through the same
proxy, where the ticker must see the loop stall.

``kill`` (``--kills 100``, ``--size 4000000``): the session holds two strings of ``--size``
characters (``a`` and ``b``) and a generation number. Each round starts a fresh server, connects
one socket, asks it to save generation g+1 (both strings rewritten) and SIGKILLs the server
after a random delay, uniform between 0 and 1.25 x the time an undisturbed save takes. Redis is
reached through the proxy with no delay but a bandwidth of ``--bandwidth`` bytes/s, so that the
save's command takes a while on the wire and kills land before, during and after it; the proxy
records what reached Redis (whether the stream stopped in the middle of the save's EVALSHA).
After each kill, the stored session must decode and equal generation g or g+1 exactly.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import shlex
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import redis
import redis.asyncio
import socketio
from bench_support import ServerProcess, git_commit, percentile, raise_fd_limit
from load import mint_in_redis
from load_server import blob

from latency_proxy import LatencyProxy, command_name, resp_commands
from redis_server import RedisServer
from sessio.core._control import CONTROL_CHANNEL

TIMEOUT = 10.0
SLOW_SAVES = 20
DOWN = {"error": "store-unavailable"}


def new_client() -> socketio.AsyncClient:
    return socketio.AsyncClient(reconnection=False, handle_sigint=False)


async def connected(url: str, cookie: str) -> socketio.AsyncClient:
    client = new_client()
    await client.connect(
        url, headers={"Cookie": cookie}, transports=["websocket"], wait_timeout=TIMEOUT
    )
    return client


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def stored_session(port: int, sid: str) -> dict[str, Any] | None:
    with redis.Redis(port=port) as client:
        raw = client.get(f"sess:{sid}")
    assert raw is None or isinstance(raw, bytes)
    return None if raw is None else dict(json.loads(raw))


def sid_of(cookie: str) -> str:
    """The session id in an express cookie pair (``connect.sid=s%3A<sid>.<sig>``)."""
    from urllib.parse import unquote

    value = unquote(cookie.split("=", 1)[1])
    return value[2:].rsplit(".", 1)[0]


# -- (a) outage ----------------------------------------------------------------------------


class Saver:
    """One socket saving a new key every `pace` seconds; every answer with its times."""

    def __init__(self, client: socketio.AsyncClient, name: str, pace: float) -> None:
        self.client, self.name, self.pace = client, name, pace
        # (sent, answered, key, answer or an error's name)
        self.answers: list[tuple[float, float, str, Any]] = []
        self.stopping = False

    async def run(self) -> None:
        n = 0
        while not self.stopping:
            n += 1
            key = f"s{n}"
            sent = time.monotonic()
            try:
                answer = await self.client.call("save", {"key": key, "value": n}, timeout=TIMEOUT)
            except Exception as error:
                answer = f"exception: {type(error).__name__}"
            self.answers.append((sent, time.monotonic(), key, answer))
            await asyncio.sleep(self.pace)  # a pace, not a wait: traffic, not a flood


class Connector:
    """A fresh socket every `pace` seconds: connect, whoami, disconnect; every outcome."""

    def __init__(self, url: str, cookies: list[str], pace: float) -> None:
        self.url, self.cookies, self.pace = url, cookies, pace
        self.outcomes: list[tuple[float, float, Any]] = []
        self.stopping = False

    async def once(self, index: int) -> Any:
        errors: list[Any] = []
        client = new_client()
        client.on("connect_error", errors.append)
        try:
            await client.connect(
                self.url,
                headers={"Cookie": self.cookies[index]},
                transports=["websocket"],
                wait_timeout=TIMEOUT,
            )
        except socketio.exceptions.ConnectionError:
            return {"refused": errors}
        try:
            who = await client.call("whoami", timeout=TIMEOUT)
        except Exception as error:
            who = f"exception: {type(error).__name__}"
        await client.disconnect()
        return "ok" if who == f"user-{index}" else {"whoami": who}

    async def run(self) -> None:
        i = 0
        while not self.stopping:
            started = time.monotonic()
            try:
                outcome = await asyncio.wait_for(self.once(i % len(self.cookies)), 2 * TIMEOUT)
            except Exception as error:
                outcome = f"exception: {type(error).__name__}"
            self.outcomes.append((started, time.monotonic(), outcome))
            i += 1
            await asyncio.sleep(self.pace)


async def wait_subscribed(port: int, deadline: float) -> float | None:
    """The moment sessio's control channel has a subscriber again (polled every 10 ms)."""
    client = redis.asyncio.Redis(port=port)
    try:
        while time.monotonic() < deadline:
            with contextlib.suppress(redis.RedisError):
                counts = await client.pubsub_numsub(CONTROL_CHANNEL)
                if counts and counts[0][1] >= 1:
                    return time.monotonic()
            await asyncio.sleep(0.01)
        return None
    finally:
        await client.aclose()


async def outage(args: argparse.Namespace) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="sessio-outage-"))
    persistent = args.persistence == "aof"
    server_redis = RedisServer(workdir, appendonly=persistent)
    server_redis.start()
    try:
        traffic_cookies = mint_in_redis(server_redis.url, args.traffic)
        connector_cookies = mint_in_redis(server_redis.url, 50)
        server = ServerProcess("--kind", "sessio", "--redis", server_redis.url)
        try:
            return await outage_with(args, server_redis, server, traffic_cookies, connector_cookies)
        finally:
            server.close()
    finally:
        server_redis.close()


async def outage_with(
    args: argparse.Namespace,
    server_redis: RedisServer,
    server: ServerProcess,
    traffic_cookies: list[str],
    connector_cookies: list[str],
) -> dict[str, Any]:
    # The connector's sessions are named user-<i> like the traffic's: mint_in_redis numbers
    # from 0 each time, and whoami answers the user.
    clients = [await connected(server.url, cookie) for cookie in traffic_cookies]
    savers = [Saver(client, f"t{i}", 0.05) for i, client in enumerate(clients)]
    connector = Connector(server.url, connector_cookies, 0.1)
    tasks = [asyncio.create_task(s.run()) for s in savers] + [asyncio.create_task(connector.run())]
    await asyncio.sleep(3.0)  # the scenario: 3 s of traffic before the fault
    down_at = time.monotonic()
    server_redis.stop(kill=True)
    await asyncio.sleep(args.outage)  # the scenario: the outage's length
    await asyncio.to_thread(server_redis.start)  # returns once PING answers
    up_at = time.monotonic()
    subscribed_at = await wait_subscribed(server_redis.port, up_at + TIMEOUT)
    await asyncio.sleep(max(0.0, up_at + 5.0 - time.monotonic()))  # 5 s of traffic after
    for s in savers:
        s.stopping = True
    connector.stopping = True
    await asyncio.wait_for(asyncio.gather(*tasks), 3 * TIMEOUT)
    still_connected = sum(1 for c in clients if c.connected)
    for client in clients:
        await client.disconnect()
    stats = await server.astats()

    # What clients heard.
    heard: Counter[str] = Counter()
    for s in savers:
        for _, _, key, answer in s.answers:
            if answer == {"saved": key}:
                heard["saved"] += 1
            elif answer == DOWN:
                heard["store-unavailable"] += 1
            else:
                heard[f"OTHER {answer}"] += 1
    connects: Counter[str] = Counter()
    for _, _, outcome in connector.outcomes:
        if outcome == "ok":
            connects["ok"] += 1
        elif isinstance(outcome, dict) and outcome.get("refused") == [
            {"message": "store-unavailable", "data": {"code": "store-unavailable"}}
        ]:
            connects["refused store-unavailable"] += 1
        else:
            connects[f"OTHER {outcome}"] += 1

    # Recovery.
    recovery = []
    for s in savers:
        firsts = [answered for _, answered, key, a in s.answers if answered >= up_at and a != DOWN]
        recovery.append(min(firsts) - up_at if firsts else float("inf"))
    failed_after_up = sum(
        1 for s in savers for sent, _, _, a in s.answers if sent >= up_at and a == DOWN
    )
    connect_ok_after = [end for start, end, o in connector.outcomes if o == "ok" and end >= up_at]
    first_down = [answered for s in savers for _, answered, _, a in s.answers if a == DOWN] or [
        float("nan")
    ]

    # No acknowledged save lost.
    acked = lost = acked_before_kill = lost_before_kill = 0
    for s, cookie in zip(savers, traffic_cookies, strict=True):
        session = stored_session(server_redis.port, sid_of(cookie)) or {}
        for _, answered, key, answer in s.answers:
            if answer != {"saved": key}:
                continue
            acked += 1
            before = answered < down_at
            acked_before_kill += before
            if session.get(key) != int(key[1:]):
                lost += 1
                lost_before_kill += before

    return {
        "benchmark": "faults.outage",
        "persistence": args.persistence,
        "outage_s": args.outage,
        "traffic_sockets": len(savers),
        "answers": dict(heard),
        "connects": dict(connects),
        "traffic_sockets_still_connected": still_connected,
        "server_counters": stats["counters"],
        "server_logs": stats["logs"],
        "server_last_errors": stats["last_errors"],
        "first_failure_after_kill_ms": ms(min(first_down) - down_at),
        "recovery_ms": {
            "saves_p50": ms(statistics.median(recovery)),
            "saves_max": ms(max(recovery)),
            "first_new_connect": ms(min(connect_ok_after) - up_at) if connect_ok_after else None,
            "control_channel_resubscribed": (
                ms(subscribed_at - up_at) if subscribed_at is not None else None
            ),
        },
        "saves_failed_after_up": failed_after_up,
        "acknowledged_saves": acked,
        "acknowledged_before_kill": acked_before_kill,
        "acknowledged_saves_lost": lost,
        "acknowledged_before_kill_lost": lost_before_kill,
    }


# -- (b) slow Redis ------------------------------------------------------------------------


async def slow_round(server: ServerProcess, cookies: list[str], saves: int) -> dict[str, Any]:
    """All sockets connect at once and check whoami; then each saves `saves` times in a row.

    The loop's lag is read for each phase: the connects (handshakes keep the server's CPU
    busy, with or without a slow store) and the saves (the server mostly waits on Redis).
    """
    failures: Counter[str] = Counter()
    latencies: list[float] = []
    clients: dict[int, socketio.AsyncClient] = {}

    async def connect(index: int) -> None:
        try:
            clients[index] = await connected(server.url, cookies[index])
            latencies.append(time.perf_counter() - started)
            if await clients[index].call("whoami", timeout=TIMEOUT) != f"user-{index}":
                failures["wrong session"] += 1
        except Exception as error:
            failures[f"connect: {type(error).__name__}: {error}"] += 1

    async def save(index: int) -> None:
        for n in range(saves):
            try:
                answer = await clients[index].call(
                    "save", {"key": "n", "value": n}, timeout=TIMEOUT
                )
            except Exception as error:
                answer = f"exception: {type(error).__name__}"
            if answer != {"saved": "n"}:
                failures[f"save: {answer}"] += 1

    await server.astats("reset")
    started = time.perf_counter()
    await asyncio.gather(*(connect(i) for i in range(len(cookies))))
    connect_lag = (await server.astats("reset"))["lag"]
    began = time.perf_counter()
    await asyncio.gather(*(save(i) for i in clients))
    saves_s = time.perf_counter() - began
    stats = await server.astats()
    await asyncio.gather(*(client.disconnect() for client in clients.values()))
    return {
        "connected": len(latencies),
        "failures": dict(failures),
        "connect_p50_ms": ms(percentile(latencies, 0.5)) if latencies else None,
        "connect_p99_ms": ms(percentile(latencies, 0.99)) if latencies else None,
        "save_mean_ms": ms(saves_s / saves),
        "lag_connects": connect_lag,
        "lag_saves": stats["lag"],
        "server_logs": stats["logs"],
    }


async def slow(args: argparse.Namespace) -> dict[str, Any]:
    server_redis = RedisServer(Path(tempfile.mkdtemp(prefix="sessio-slow-")))
    server_redis.start()
    proxy = LatencyProxy(server_redis.port, args.delay)
    await proxy.start()
    proxied_url = f"redis://127.0.0.1:{proxy.port}/0"
    servers: dict[str, ServerProcess] = {}
    try:
        cookies = mint_in_redis(server_redis.url, args.slow_sockets)
        timeout = str(max(1.0, 10 * args.delay))
        servers["direct"] = ServerProcess("--kind", "sessio", "--redis", server_redis.url)
        servers["slow"] = ServerProcess(
            "--kind", "sessio", "--redis", proxied_url, "--redis-timeout", timeout
        )
        rounds: dict[str, list[dict[str, Any]]] = {"direct": [], "slow": []}
        for r in range(args.slow_rounds + 1):
            order = ["direct", "slow"] if r % 2 == 0 else ["slow", "direct"]
            for name in order:
                result = await slow_round(servers[name], cookies, SLOW_SAVES)
                if r > 0:  # the first round warms up
                    rounds[name].append(result)
        servers["blocking"] = ServerProcess(
            "--kind", "sessio", "--store", "blocking", "--redis", proxied_url
        )
        control = await slow_round(servers["blocking"], cookies[:10], 5)
    finally:
        for server in servers.values():
            server.close()
        await proxy.close()
        server_redis.close()

    def summary(name: str) -> dict[str, Any]:
        runs = rounds[name]
        lag: dict[str, Any] = {}
        for phase in ("connects", "saves"):
            lags = [r[f"lag_{phase}"] for r in runs]
            lag[phase] = {
                "max_ms": max(x["max_ms"] for x in lags),
                "p99_ms_median": statistics.median(x["p99_ms"] for x in lags),
                "ticks_over_20ms": sum(x["over_20ms"] for x in lags),
                "ticks_over_50ms": sum(x["over_50ms"] for x in lags),
                "own_max_ms": max(x["own_max_ms"] for x in lags),
                "own_p99_ms_median": statistics.median(x["own_p99_ms"] for x in lags),
                "own_ticks_over_50ms": sum(x["own_over_50ms"] for x in lags),
                "blocked_max_ms": max(x["blocked_max_ms"] for x in lags),
                "ticks": sum(x["ticks"] for x in lags),
            }
        return {
            "connected": sum(r["connected"] for r in runs),
            "attempted": args.slow_sockets * len(runs),
            "failures": sum((Counter(r["failures"]) for r in runs), Counter()),
            "connect_p50_ms_median": statistics.median(r["connect_p50_ms"] for r in runs),
            "connect_p99_ms_max": max(r["connect_p99_ms"] for r in runs),
            "save_mean_ms_median": statistics.median(r["save_mean_ms"] for r in runs),
            "lag": lag,
            "rounds": runs,
        }

    return {
        "benchmark": "faults.slow",
        "delay_each_way_ms": ms(args.delay),
        "sockets": args.slow_sockets,
        "saves_per_socket": SLOW_SAVES,
        "slow": summary("slow"),
        "direct": summary("direct"),
        "control_blocking_store": control,
    }


# -- (c) killed mid-save -------------------------------------------------------------------


def state(session: dict[str, Any] | None, size: int) -> int | str:
    """The generation `session` holds whole; a description of what is wrong otherwise."""
    if session is None:
        return "missing"
    gen = session.get("gen")
    if not isinstance(gen, int):
        return f"no generation: {sorted(session)}"
    expected = {"user", "cookie", "a", "b", "gen"}
    if set(session) != expected:
        return f"keys {sorted(session)}"
    if session["a"] != blob(gen, size) or session["b"] != blob(gen, size):
        return f"MIXED at generation {gen}"
    return gen


@contextlib.asynccontextmanager
async def server_through(proxy_url: str) -> AsyncIterator[ServerProcess]:
    server = await asyncio.to_thread(ServerProcess, "--kind", "sessio", "--redis", proxy_url)
    try:
        yield server
    finally:
        await asyncio.to_thread(server.kill)


async def kill(args: argparse.Namespace) -> dict[str, Any]:
    server_redis = RedisServer(Path(tempfile.mkdtemp(prefix="sessio-kill-")))
    server_redis.start()
    proxy = LatencyProxy(server_redis.port, 0.0, bandwidth=args.bandwidth, record=True)
    await proxy.start()
    proxy_url = f"redis://127.0.0.1:{proxy.port}/0"
    rng = random.Random(args.seed)
    try:
        (cookie,) = mint_in_redis(server_redis.url, 1)
        sid = sid_of(cookie)
        gen = 0
        # Calibrate: undisturbed saves (the first makes the session big).
        durations = []
        async with server_through(proxy_url) as server:
            client = await connected(server.url, cookie)
            for _ in range(4):
                started = time.monotonic()
                answer = await client.call(
                    "bigsave", {"gen": gen + 1, "size": args.size}, timeout=6 * TIMEOUT
                )
                assert answer == {"saved": gen + 1}, answer
                durations.append(time.monotonic() - started)
                gen += 1
            await client.disconnect()
        await proxy.until_idle(TIMEOUT)
        window = 1.25 * statistics.median(durations[1:])
        outcomes: Counter[str] = Counter()
        by_wire: Counter[str] = Counter()
        mismatches = []
        for _ in range(args.kills):
            before = state(stored_session(server_redis.port, sid), args.size)
            assert before == gen, before
            proxy.streams.clear()
            async with server_through(proxy_url) as server:
                client = await connected(server.url, cookie)
                await client.emit("bigsave", {"gen": gen + 1, "size": args.size})
                delay = rng.uniform(0, window)
                await asyncio.sleep(delay)  # the kill's random moment
            # (the server is killed on leaving the block)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.disconnect(), TIMEOUT)
            await proxy.until_idle(TIMEOUT)
            after = state(stored_session(server_redis.port, sid), args.size)
            # What reached Redis of the save: nothing, part of its EVALSHA, or all of it.
            wire = "no EVALSHA sent"
            for stream in proxy.streams:
                names, partial = resp_commands(stream)
                if b"EVALSHA" in names or b"EVAL" in names:
                    wire = "EVALSHA sent whole"
                elif partial and command_name(partial) in (b"EVALSHA", b"EVAL", b""):
                    wire = "EVALSHA cut mid-way"
            if after == gen:
                outcome = "old"
            elif after == gen + 1:
                outcome = "new"
                gen += 1
            else:
                outcome = f"BAD: {after}"
            outcomes[outcome] += 1
            by_wire[f"{wire} -> {outcome}"] += 1
            expected_outcome = "new" if wire == "EVALSHA sent whole" else "old"
            if outcome != expected_outcome:
                mismatches.append({"delay_ms": ms(delay), "wire": wire, "outcome": outcome})
    finally:
        await proxy.close()
        server_redis.close()
    return {
        "benchmark": "faults.kill",
        "kills": args.kills,
        "session_bytes": 2 * args.size,
        "bandwidth_bytes_per_s": args.bandwidth,
        "undisturbed_save_ms": [ms(d) for d in durations],
        "kill_window_ms": ms(window),
        "outcomes": dict(outcomes),
        "by_what_reached_redis": dict(by_wire),
        "outcome_not_what_reached_redis": mismatches,
    }


async def run(args: argparse.Namespace) -> None:
    parts = args.only.split(",")
    for part in parts:
        began = time.monotonic()
        report = await {"outage": outage, "slow": slow, "kill": kill}[part](args)
        report["wall_s"] = round(time.monotonic() - began, 1)
        report["date"] = time.strftime("%Y-%m-%d")
        report["commit"] = git_commit()
        report["command"] = shlex.join([".venv/bin/python", "benchmarks/faults.py", *sys.argv[1:]])
        print(json.dumps(report), flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--only", default="outage,slow,kill")
    parser.add_argument("--outage", type=float, default=10.0)
    parser.add_argument("--traffic", type=int, default=10)
    parser.add_argument("--persistence", choices=["aof", "off"], default="aof")
    parser.add_argument("--delay", type=float, default=0.05)
    parser.add_argument("--slow-sockets", type=int, default=50)
    parser.add_argument("--slow-rounds", type=int, default=4)
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--size", type=int, default=4_000_000)
    parser.add_argument("--bandwidth", type=float, default=50e6)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    raise_fd_limit()
    asyncio.run(run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
