"""A private ``redis-server`` per test (or per session), for stores and client managers.

Tests never touch the machine's shared Redis (port 6379): each fixture starts its own server on
a free port, with persistence off, in a temporary directory, and kills it at teardown.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from servers import HOST, free_port

REDIS_BINARY = "/usr/bin/redis-server"
SHARED_REDIS_PORT = 6379
START_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0


class RedisServer:
    """A ``redis-server`` process this test suite owns, on 127.0.0.1.

    ``stop()`` and ``start()`` let fault tests take it down and bring it back on the same port
    (its data is lost: persistence is off). With `appendonly`, every write is in its
    append-only file, fsynced before Redis answers (``--appendfsync always``), so a restart,
    even after SIGKILL, brings back every write Redis acknowledged. ``client()`` hands out
    ``redis.Redis`` clients that are closed at teardown.
    """

    def __init__(
        self,
        workdir: Path,
        port: int | None = None,
        binary: str = REDIS_BINARY,
        *,
        appendonly: bool = False,
    ) -> None:
        self.workdir = workdir
        self.binary = binary
        self.appendonly = appendonly
        self.port = port if port is not None else free_port()
        if self.port == SHARED_REDIS_PORT:
            raise ValueError("refusing to run a test Redis on the shared port 6379")
        self._process: subprocess.Popen[bytes] | None = None
        self._clients: list[redis.Redis] = []

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:PORT/0``."""
        return f"redis://{HOST}:{self.port}/0"

    @property
    def running(self) -> bool:
        """Whether the process is alive (not whether it answers yet)."""
        return self._process is not None and self._process.poll() is None

    @property
    def log_path(self) -> Path:
        """Where redis-server writes its log; shown when it fails to start."""
        return self.workdir / "redis.log"

    def start(self, timeout: float = START_TIMEOUT) -> None:
        """Start the server on ``self.port`` and return once it answers PING."""
        if self.running:
            raise RuntimeError(f"redis-server on port {self.port} is already running")
        command = [
            self.binary,
            "--port", str(self.port),
            "--bind", HOST,
            "--save", "",
            *(["--appendonly", "yes", "--appendfsync", "always"] if self.appendonly
              else ["--appendonly", "no"]),
            "--dir", str(self.workdir),
            "--logfile", str(self.log_path),
            "--daemonize", "no",
        ]  # fmt: skip
        self._process = subprocess.Popen(
            command,
            cwd=self.workdir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while not self.ping():
            if not self.running:
                raise RuntimeError(
                    f"redis-server exited while starting on port {self.port}: {self._log_tail()}"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"redis-server did not answer on port {self.port}")
            time.sleep(0.01)

    def stop(self, *, kill: bool = False) -> None:
        """Stop the server (SIGTERM, or SIGKILL for a crash) and wait until it has exited."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT)

    def ping(self) -> bool:
        """Whether the server answers PING right now."""
        # No retries: redis-py's default Retry backs off for ~3 s before admitting it is down.
        probe = redis.Redis(
            host=HOST,
            port=self.port,
            socket_connect_timeout=0.5,
            socket_timeout=0.5,
            retry=Retry(NoBackoff(), 0),
        )
        try:
            return bool(probe.ping())
        except redis.RedisError:
            return False
        finally:
            probe.close()

    def client(self, **kwargs: Any) -> redis.Redis:
        """A ``redis.Redis`` on this server (database 0), closed at teardown."""
        client = redis.Redis.from_url(self.url, **kwargs)
        self._clients.append(client)
        return client

    def close(self) -> None:
        """Close the clients handed out and stop the server."""
        for client in self._clients:
            client.close()
        self._clients.clear()
        self.stop(kill=True)

    def _log_tail(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-2000:]
        except OSError:
            return "(no log)"


def _started(workdir: Path, *, appendonly: bool = False) -> RedisServer:
    # free_port() can race with another process taking the port: retry on a fresh one.
    error: Exception | None = None
    for _ in range(3):
        server = RedisServer(workdir, appendonly=appendonly)
        try:
            server.start()
        except (RuntimeError, TimeoutError) as exc:
            error = exc
            server.close()
            continue
        return server
    raise RuntimeError("could not start a private redis-server") from error


def _require_binary() -> None:
    # Fail, not skip: a skipped Redis test would hide a missing install step in CI.
    if shutil.which(REDIS_BINARY) is None:
        pytest.fail(f"{REDIS_BINARY} is not installed (apt-get install redis-server)")


@pytest.fixture
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A private, empty redis-server for one test; free to stop() and start()."""
    _require_binary()
    server = _started(tmp_path_factory.mktemp("redis"))
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def persistent_redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A private redis-server for one test that keeps every acknowledged write across a
    restart, a SIGKILL included (append-only file, fsync before each answer)."""
    _require_binary()
    server = _started(tmp_path_factory.mktemp("redis-aof"), appendonly=True)
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="session")
def redis_server_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A private redis-server shared by the whole session: cheaper, but never stop() it and
    use keys (or a FLUSHDB) of your own, since other tests see the same data."""
    _require_binary()
    server = _started(tmp_path_factory.mktemp("redis-session"))
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def redis_port(redis_server_session: RedisServer) -> int:
    """The port of the run's shared private redis-server (never 6379).

    Tests that use it keep apart by their own session ids and keys.
    """
    return redis_server_session.port
