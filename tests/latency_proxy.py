"""A TCP proxy that slows a link down: for fault tests and scripts that need a slow Redis.

`LatencyProxy` listens on a free port of 127.0.0.1 and forwards every connection to a target
port, holding each chunk `delay` seconds in each direction. Chunks keep their order but are
not serialized behind one another: a request sent while another is in flight is delayed by
`delay`, not by the sum (a long link, not a busy one). With `bandwidth` (bytes per second) the
link is also narrow: each direction forwards at most that fast and pushes back on the sender
(a bounded queue, so the sender's socket buffers fill and its writes wait), as a real link
does.

With `record`, the bytes each connection sent towards the target are kept, in `streams`, once
the connection has closed: a test can tell whether a client that died stopped in the middle of
a request. When the client side closes (or dies), what the proxy already holds is still
delivered, then the target side is closed: what was on the wire arrives, nothing more.

Runs on the event loop that calls `start`; `close` drops every connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator

HOST = "127.0.0.1"
CHUNK = 64 * 1024
# Chunks a direction holds before it stops reading (with a bandwidth only).
QUEUE_CHUNKS = 4

_EOF = b""


class LatencyProxy:
    """Forwards 127.0.0.1:`port` to 127.0.0.1:`target_port`, `delay` seconds each way."""

    def __init__(
        self,
        target_port: int,
        delay: float,
        *,
        bandwidth: float | None = None,
        record: bool = False,
    ) -> None:
        self.target_port = target_port
        self.delay = delay
        self.bandwidth = bandwidth
        self.record = record
        self.port = 0
        #: Connections accepted so far.
        self.accepted = 0
        #: Per closed connection (with `record`): the bytes its client sent towards the target.
        self.streams: list[bytes] = []
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._open = 0
        self._changed = asyncio.Condition()

    async def start(self) -> int:
        """Listen on a free port; return it."""
        sock = socket.socket()
        if self.bandwidth is not None:
            # A narrow link has a small window too: the sender's writes wait sooner.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, CHUNK)
        sock.bind((HOST, 0))
        self._server = await asyncio.start_server(self._accept, sock=sock)
        self.port = sock.getsockname()[1]
        return self.port

    async def close(self) -> None:
        """Stop listening and drop every connection."""
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._server is not None:
            await self._server.wait_closed()

    async def until_idle(self, timeout: float) -> None:
        """Return once no connection is open (each has delivered what it held)."""
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: self._open == 0)

    @property
    def open_connections(self) -> int:
        """Connections not yet fully closed."""
        return self._open

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.get_running_loop().create_task(self._serve(reader, writer))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        self._open += 1
        sent: bytearray | None = bytearray() if self.record else None
        try:
            try:
                up_reader, up_writer = await asyncio.open_connection(HOST, self.target_port)
            except OSError:
                writer.close()
                return
            await asyncio.gather(
                self._pipe(reader, up_writer, sent),
                self._pipe(up_reader, writer, None),
                return_exceptions=True,
            )
        finally:
            if sent is not None:
                self.streams.append(bytes(sent))
            async with self._changed:
                self._open -= 1
                self._changed.notify_all()

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, sent: bytearray | None
    ) -> None:
        """One direction: read chunks, deliver each `delay` after it arrived, then close."""
        limit = QUEUE_CHUNKS if self.bandwidth is not None else 0
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue(limit)

        async def read() -> None:
            try:
                async for chunk in _chunks(reader):
                    if sent is not None:
                        sent.extend(chunk)
                    await queue.put((time.monotonic(), chunk))
            finally:
                await queue.put((time.monotonic(), _EOF))

        reading = asyncio.get_running_loop().create_task(read())
        free_at = 0.0
        try:
            while True:
                arrived, chunk = await queue.get()
                due = arrived + self.delay
                if self.bandwidth is not None and chunk:
                    free_at = max(free_at, time.monotonic()) + len(chunk) / self.bandwidth
                    due = max(due, free_at)
                if (wait := due - time.monotonic()) > 0:
                    await asyncio.sleep(wait)
                if not chunk:
                    break
                writer.write(chunk)
                await writer.drain()
            if writer.can_write_eof():
                writer.write_eof()
        except OSError:
            pass
        finally:
            reading.cancel()
            with contextlib.suppress(asyncio.CancelledError, OSError):
                await reading
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


async def _chunks(reader: asyncio.StreamReader) -> AsyncIterator[bytes]:
    """What `reader` receives, chunk by chunk, until end of file or a reset."""
    while True:
        try:
            chunk = await reader.read(CHUNK)
        except OSError:
            return
        if not chunk:
            return
        yield chunk


def resp_commands(stream: bytes) -> tuple[list[bytes], bytes]:
    """The names of the whole RESP commands (arrays of bulk strings) in `stream`, and what
    follows the last of them: ``b""`` unless the sender stopped in the middle of a command."""
    names: list[bytes] = []
    index = 0
    while index < len(stream):
        start = index
        end = stream.find(b"\r\n", index)
        if end < 0 or stream[index : index + 1] != b"*":
            return names, stream[start:]
        items = int(stream[index + 1 : end])
        index = end + 2
        name = b""
        for item in range(items):
            end = stream.find(b"\r\n", index)
            if end < 0:
                return names, stream[start:]
            size = int(stream[index + 1 : end])
            if item == 0:
                name = stream[end + 2 : end + 2 + size]
            index = end + 2 + size + 2
            if index > len(stream):
                return names, stream[start:]
        names.append(name.upper())
    return names, b""


def command_name(partial: bytes) -> bytes:
    """The name of the command a partial RESP command starts (``b""`` if it is cut before)."""
    parts = partial.split(b"\r\n")
    return parts[2].upper() if len(parts) > 3 else b""
