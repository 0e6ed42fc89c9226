"""What the benchmarks share: free ports, waiting for a server, a private redis-server.

The benchmarks run as scripts (``python benchmarks/NAME.py``), so this directory is on the
path and they import this module by name.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import redis

__all__ = [
    "ReadyProcess",
    "ServerProcess",
    "callgrind_total",
    "cpu_seconds",
    "free_port",
    "git_commit",
    "interleaved_connection_times",
    "percentile",
    "private_redis",
    "raise_fd_limit",
    "spread",
    "wait_listening",
]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def wait_listening(port: int, deadline: float) -> None:
    """Return once something accepts connections on `port`; TimeoutError past `deadline`."""
    while time.monotonic() < deadline:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.02)
    raise TimeoutError(f"server on {port} did not start")


@contextlib.contextmanager
def private_redis(timeout: float = 10.0) -> Iterator[str]:
    """A redis-server of the benchmark's own (never the shared one on 6379); yields its URL."""
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="sessio-bench-redis-")
    binary = shutil.which("redis-server") or "redis-server"
    args = ["--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    process = subprocess.Popen(
        [binary, *args, "--dir", workdir], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        probe = redis.Redis(port=port)
        deadline = time.monotonic() + timeout
        while True:
            try:
                probe.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.02)
        probe.close()
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)
        shutil.rmtree(workdir, ignore_errors=True)


class ServerProcess:
    """``load_server.py`` in a child process: its port once it prints READY, its ``/stats``."""

    def __init__(self, *args: str) -> None:
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "load_server.py")
        self.process = subprocess.Popen(
            [sys.executable, script, *args], stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().split()
        if not line or line[0] != "READY":
            self.process.kill()
            raise RuntimeError(f"server did not start: {line}")
        self.port = int(line[1])
        self.url = f"http://127.0.0.1:{self.port}"

    def stats(self, query: str = "") -> dict[str, Any]:
        """The server's ``/stats`` document (blocking: call it from a thread in async code)."""
        with urllib.request.urlopen(f"{self.url}/stats?{query}", timeout=30) as answer:
            document: dict[str, Any] = json.load(answer)
            return document

    async def astats(self, query: str = "") -> dict[str, Any]:
        """`stats`, from async code."""
        return await asyncio.to_thread(self.stats, query)

    def kill(self) -> None:
        """SIGKILL, and reap."""
        self.process.kill()
        self.process.wait(10)

    def close(self) -> None:
        """SIGTERM (SIGKILL if it lingers), and reap."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


def raise_fd_limit() -> int:
    """Raise this process's open-files limit to the hard limit; return it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def percentile(samples: list[float], fraction: float) -> float:
    """Nearest-rank percentile of `samples`."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def git_commit() -> str:
    """The commit the working tree is at (with ``+dirty`` when it has changes)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    head = subprocess.run(
        ["git", "-C", root, "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", root, "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return head + ("+dirty" if dirty else "")


def cpu_seconds(pid: int) -> float:
    """CPU time process `pid` has used so far (user + system, every thread), from /proc."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class ReadyProcess:
    """A server in a child process that prints ``READY <port> <cookie>`` once it listens.

    The child binds its own port (no race for a free one) and mints its own session cookie,
    so that a store that lives in the server process (a `MemoryStore`, express-session's
    MemoryStore) holds the session.
    """

    def __init__(self, args: list[str]) -> None:
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        # readline() blocks; the child either prints READY or dies (its stdout then closes).
        line = self.process.stdout.readline().split()
        if len(line) != 3 or line[0] != "READY":
            self.close()
            raise RuntimeError(f"server did not start: {args}: {line}")
        self.port = int(line[1])
        self.cookie = line[2]
        self.url = f"http://127.0.0.1:{self.port}"

    def cpu_seconds(self) -> float:
        """CPU time the server has used so far."""
        return cpu_seconds(self.process.pid)

    def close(self) -> None:
        """SIGTERM (SIGKILL if it lingers), and reap."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def callgrind_total(dump: str) -> int:
    """The instruction count in a callgrind dump's ``summary:`` line."""
    with open(dump) as lines:
        for line in lines:
            if line.startswith("summary:"):
                return int(line.split()[1])
    raise RuntimeError(f"no summary in {dump}")


def spread(values: list[float]) -> dict[str, float]:
    """Min, median and max of `values` (rounded to 4 places), to report beside a median."""
    return {
        "min": round(min(values), 4),
        "median": round(statistics.median(values), 4),
        "max": round(max(values), 4),
    }


async def interleaved_connection_times(
    targets: dict[str, tuple[str, str]], count: int, timeout: float = 5
) -> dict[str, list[float]]:
    """`count` connections to each of `targets` (name: (url, cookie)), taken in turns, one at a
    time; the seconds each took, by name.

    A connection is `benchmarks/connections.py`'s (websocket connect with the cookie, one
    acknowledged event, disconnect; one ``socketio.AsyncClient`` per target, reused). Taking
    the targets in turns, connection by connection, puts the machine's drift (other processes
    on the shared cores come and go within seconds) on every target alike, and the median
    per-connection time shrugs off the connections a burst of load fell on; a rate over a
    round of many connections takes in all of that round's load.
    """
    import socketio

    clients = {name: socketio.AsyncClient(reconnection=False) for name in targets}
    times: dict[str, list[float]] = {name: [] for name in targets}
    names = list(targets)
    for i in range(count):
        shift = i % len(names)
        for name in names[shift:] + names[:shift]:
            url, cookie = targets[name]
            client = clients[name]
            start = time.perf_counter()
            await client.connect(
                url, headers={"Cookie": cookie}, transports=["websocket"], wait_timeout=timeout
            )
            assert await client.call("ping", i, timeout=timeout) == i
            await client.disconnect()
            times[name].append(time.perf_counter() - start)
    return times
