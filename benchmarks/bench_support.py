"""What the benchmarks share: free ports, waiting for a server, a private redis-server.

The benchmarks run as scripts (``python benchmarks/NAME.py``), so this directory is on the
path and they import this module by name.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator

import redis

__all__ = ["free_port", "private_redis", "wait_listening"]


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
