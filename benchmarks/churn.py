"""Churn: tens of thousands of connect/disconnect cycles, some cut off mid-connect.

Run: .venv/bin/python benchmarks/churn.py [--cycles 20000] [--workers 32] [--sessions 500]
     [--kind sessio|bare] [--seed 1]

One server (``load_server.py``: an ``AsyncServer`` under uvicorn with `AsyncSessionSockets` over
a `RedisStore` on a private redis-server) in its own process; this process runs ``--workers``
clients in parallel, each doing cycles one after another with one of ``--sessions`` sessions
(minted in Redis beforehand; several sockets of a session are often connected at once). Each
cycle is, at random (seeded):

- ``normal`` (45 %): a python-socketio ``AsyncClient`` connects over websocket, asks
  ``whoami`` (acknowledged; it must name its own session) and disconnects;
- ``reset-mid-connect`` (15 %): a raw websocket client (wsproto) opens the engine.io
  connection, sends socket.io's CONNECT and at once resets the TCP connection (``SO_LINGER``
  0);
- ``fin-mid-connect`` (10 %): the same, but the TCP connection is closed (FIN) without a
  websocket close;
- ``reset-before-connect`` (10 %): reset right after engine.io's open packet;
- ``reset-connected`` (10 %): reset once socket.io's CONNECT was answered;
- ``polling-close-mid-connect`` (10 %): over HTTP long-polling (aiohttp), the engine.io
  handshake, then socket.io's CONNECT and engine.io's CLOSE posted at the same moment on two
  connections.

Over a websocket, python-socketio reads a socket's next packet only once its connect handler
has returned, so a websocket that goes away mid-connect is noticed after the connect: it
exercises the disconnect of a socket that has only just connected. Over polling, the CLOSE is
handled while the CONNECT's handler still waits for Redis: that is the socket that leaves
during its session's read, which sessio must drop without keeping anything of it.

The run is cut into ``--checkpoints`` parts; before the first and after each, the workers stop,
and the script waits (at most 60 s) until the server holds no engine.io socket, sessio's
`tables()` are all 0 and engine.io's ping timers of closed sockets have run out (each sleeps
25 s, holding its socket), then reads the RSS (after ``gc.collect()``) and the objects the
collector tracks. A warm-up part of 1,000
cycles comes first and is not counted. The counters show how many sockets left while their
session was being read (store reads minus connect-handler calls).

Prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import shlex
import socket
import struct
import sys
import time
from collections import Counter
from typing import Any

import aiohttp
import socketio
from bench_support import ServerProcess, git_commit, private_redis, raise_fd_limit
from load import mint_in_redis
from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    CloseConnection,
    Message,
    Ping,
    RejectConnection,
    Request,
    TextMessage,
)

TIMEOUT = 30.0
# engine.io's ping interval (25 s) and then some.
QUIET_TIMEOUT = 60.0
PING_TASK = "AsyncSocket._send_ping"
WARM_UP = 1000
MODES = {
    "normal": 45,
    "reset-mid-connect": 15,
    "fin-mid-connect": 10,
    "reset-before-connect": 10,
    "reset-connected": 10,
    "polling-close-mid-connect": 10,
}


class RawSocket:
    """engine.io v4 over a websocket, by hand: enough to stop at any step of a connect."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.ws = WSConnection(ConnectionType.CLIENT)
        self.pending: list[str] = []
        self.text = ""

    @classmethod
    async def open(cls, port: int, cookie: str) -> RawSocket:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        raw = cls(reader, writer)
        request = Request(
            host=f"127.0.0.1:{port}",
            target="/socket.io/?EIO=4&transport=websocket",
            extra_headers=[(b"cookie", cookie.encode())],
        )
        writer.write(raw.ws.send(request))
        return raw

    async def receive(self) -> str:
        """The next engine.io packet."""
        while not self.pending:
            data = await self.reader.read(65536)
            if not data:
                raise ConnectionError("closed by the server")
            self.ws.receive_data(data)
            for event in self.ws.events():
                if isinstance(event, Message):
                    self.text += str(event.data)
                    if event.message_finished:
                        self.pending.append(self.text)
                        self.text = ""
                elif isinstance(event, Ping):
                    self.writer.write(self.ws.send(event.response()))
                elif isinstance(event, CloseConnection | RejectConnection):
                    raise ConnectionError(f"closed: {event}")
                # AcceptConnection: the upgrade went through; the open packet follows.
        return self.pending.pop(0)

    async def receive_socketio(self) -> str:
        """The next socket.io packet (engine.io "4..."), answering pings meanwhile."""
        while True:
            packet = await self.receive()
            if packet == "2":
                self.send("3")
            elif packet.startswith("4"):
                return packet[1:]

    def send(self, text: str) -> None:
        self.writer.write(self.ws.send(TextMessage(data=text)))

    def reset(self) -> None:
        """Drop the TCP connection with a reset, as a crashed client or a cut network does."""
        sock = self.writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.writer.transport.abort()

    async def fin(self) -> None:
        """Close the TCP connection (FIN) without a websocket close."""
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()


async def raw_cycle(port: int, cookie: str, mode: str) -> None:
    raw = await RawSocket.open(port, cookie)
    try:
        opened = await raw.receive()
        if not opened.startswith("0"):
            raise RuntimeError(f"engine.io open expected, got {opened!r}")
        if mode == "reset-before-connect":
            raw.reset()
            return
        raw.send("40")
        await raw.writer.drain()
        if mode == "reset-mid-connect":
            raw.reset()
            return
        if mode == "fin-mid-connect":
            await raw.fin()
            return
        answer = await raw.receive_socketio()
        if not answer.startswith("0"):
            raise RuntimeError(f"socket.io CONNECT expected, got {answer!r}")
        raw.reset()
    except BaseException:
        raw.reset()
        raise


async def polling_cycle(http: aiohttp.ClientSession, base: str, cookie: str) -> None:
    """engine.io handshake over polling; then CONNECT and CLOSE posted at once."""
    query = "/socket.io/?EIO=4&transport=polling"
    async with http.get(base + query, headers={"Cookie": cookie}) as answer:
        opened = await answer.text()
    if not opened.startswith("0"):
        raise RuntimeError(f"engine.io open expected, got {opened!r}")
    url = f"{base}{query}&sid={json.loads(opened[1:])['sid']}"

    async def post(body: str) -> int:
        async with http.post(url, data=body) as answer:
            await answer.read()
            return answer.status

    # The CONNECT's answer may be 400 when the CLOSE got there first: both orders are fine.
    await asyncio.gather(post("40"), post("1"))


async def normal_cycle(url: str, cookie: str, expect: str) -> None:
    client = socketio.AsyncClient(reconnection=False, handle_sigint=False)
    await client.connect(
        url, headers={"Cookie": cookie}, transports=["websocket"], wait_timeout=TIMEOUT
    )
    try:
        who = await client.call("whoami", timeout=TIMEOUT)
        if who != expect:
            raise RuntimeError(f"whoami answered {who!r}, expected {expect!r}")
    finally:
        await client.disconnect()


class Churn:
    def __init__(self, server: ServerProcess, cookies: list[str], kind: str, seed: int) -> None:
        self.server = server
        self.cookies = cookies
        self.kind = kind
        self.random = random.Random(seed)
        self.modes: Counter[str] = Counter()
        self.failures: Counter[str] = Counter()
        self.done = 0
        self.http: aiohttp.ClientSession | None = None

    def pick(self) -> tuple[str, int]:
        mode = self.random.choices(list(MODES), weights=list(MODES.values()))[0]
        return mode, self.random.randrange(len(self.cookies))

    async def cycle(self) -> None:
        mode, index = self.pick()
        cookie = self.cookies[index]
        expect = "bare" if self.kind == "bare" else f"user-{index}"
        try:
            async with asyncio.timeout(TIMEOUT):
                if mode == "normal":
                    await normal_cycle(self.server.url, cookie, expect)
                elif mode == "polling-close-mid-connect":
                    assert self.http is not None
                    await polling_cycle(self.http, self.server.url, cookie)
                else:
                    await raw_cycle(self.server.port, cookie, mode)
        except Exception as error:
            self.failures[f"{mode}: {type(error).__name__}: {str(error)[:80]}"] += 1
        self.modes[mode] += 1
        self.done += 1

    async def run(self, cycles: int, workers: int) -> float:
        """Run `cycles` cycles on `workers` parallel workers; seconds taken."""
        left = cycles

        async def worker() -> None:
            nonlocal left
            while left > 0:
                left -= 1
                await self.cycle()

        started = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(workers)))
        return time.monotonic() - started

    async def quiet(self) -> dict[str, Any]:
        """Wait until the server holds no socket, sessio no row, and engine.io no ping timer
        of a closed socket; its stats then.

        engine.io keeps each socket's ping task asleep for ``ping_interval`` (25 s) after the
        socket closed, and the task holds the socket: RSS read before they end counts the last
        25 s of sockets as if they were alive.
        """
        deadline = time.monotonic() + QUIET_TIMEOUT
        while True:
            stats = await self.server.astats("gc&types")
            if (
                stats["socketio"]["eio_sockets"] == 0
                and not any(stats["tables"].values())
                and not stats["tasks"].get(PING_TASK)
            ):
                stats["drained"] = True
                return stats
            if time.monotonic() > deadline:
                stats["drained"] = False
                return stats
            await asyncio.sleep(0.2)


def checkpoint(stats: dict[str, Any], done: int) -> dict[str, Any]:
    return {
        "cycles": done,
        "rss_kb": stats["rss_kb"],
        "drained": stats["drained"],
        "tables": stats["tables"],
        "socketio": stats["socketio"],
        "tasks": stats["tasks"],
        "objects": stats["objects"],
        "types": stats["types"],
    }


async def measure(args: argparse.Namespace, server: ServerProcess, cookies: list[str]) -> dict:
    churn = Churn(server, cookies, args.kind, args.seed)
    async with aiohttp.ClientSession() as churn.http:
        return await measure_with(args, churn, cookies)


async def measure_with(args: argparse.Namespace, churn: Churn, cookies: list[str]) -> dict:
    await churn.run(WARM_UP, args.workers)
    churn.modes.clear()
    churn.failures.clear()
    churn.done = 0
    first = await churn.quiet()
    gets0 = first["store_gets"]
    calls0 = first["counters"].get("connect_calls", 0)
    points = [checkpoint(first, 0)]
    seconds = 0.0
    part = args.cycles // args.checkpoints
    for k in range(args.checkpoints):
        size = part if k < args.checkpoints - 1 else args.cycles - part * k
        seconds += await churn.run(size, args.workers)
        stats = await churn.quiet()
        points.append(checkpoint(stats, churn.done))
    last = stats
    return {
        "benchmark": "churn",
        "kind": args.kind,
        "cycles": churn.done,
        "workers": args.workers,
        "sessions": len(cookies),
        "modes": dict(churn.modes),
        "unexpected_failures": dict(churn.failures),
        "cycles_per_s": round(churn.done / seconds, 1),
        "left_during_session_read": (last["store_gets"] - gets0)
        - (last["counters"].get("connect_calls", 0) - calls0),
        "server_counters": last["counters"],
        "server_logs": last["logs"],
        "server_last_errors": last["last_errors"],
        "checkpoints": points,
        "rss_growth_kb_first_to_last": points[-1]["rss_kb"] - points[0]["rss_kb"],
        "rss_growth_kb_middle_to_last": points[-1]["rss_kb"] - points[len(points) // 2]["rss_kb"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cycles", type=int, default=20000)
    parser.add_argument("--workers", type=int, default=32)
    parser.add_argument("--sessions", type=int, default=500)
    parser.add_argument("--checkpoints", type=int, default=4)
    parser.add_argument("--kind", choices=["sessio", "bare"], default="sessio")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    raise_fd_limit()
    began = time.monotonic()
    with private_redis() as redis_url:
        cookies = mint_in_redis(redis_url, args.sessions)
        server = ServerProcess("--kind", args.kind, "--redis", redis_url)
        try:
            report = asyncio.run(measure(args, server, cookies))
        finally:
            server.close()
    report["wall_s"] = round(time.monotonic() - began, 1)
    report["date"] = time.strftime("%Y-%m-%d")
    report["commit"] = git_commit()
    report["command"] = shlex.join([".venv/bin/python", "benchmarks/churn.py", *sys.argv[1:]])
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
