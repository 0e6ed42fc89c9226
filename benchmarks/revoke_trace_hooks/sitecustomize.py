"""Timestamps for `benchmarks/revoke_trace.py`, in every process it starts (nodes included).

On the path (``PYTHONPATH``) of a process whose environment names ``SESSIO_TRACE`` (a
directory), Python imports this at start-up; it wraps the few functions a revoke passes through
and appends one JSON line per event to ``<dir>/events-<pid>.jsonl``, with ``time.time()``
(one clock for every process of the machine):

- ``published`` (the logout worker): `RedisStore.publish` returned;
- ``received`` (node): the control listener took a message (``room``), before acting on it;
- ``disconnect_start`` / ``disconnect_end`` (node): python-socketio's ``Server.disconnect`` /
  ``AsyncServer.disconnect`` for socket ``sid`` (sending the DISCONNECT packet, running the
  disconnect handlers);
- ``written`` (node): the DISCONNECT packet (``"41"``) was handed to the websocket, i.e. to
  the kernel (simple-websocket under werkzeug, uvicorn's ASGI websocket);
- ``client_read`` (the benchmark's clients): an engine.io client read a DISCONNECT packet
  (``eio_sid``), before python-socketio runs the client's disconnect handler.

With ``SESSIO_TRACE_NAGLE=1`` the servers' accepted sockets keep Nagle's algorithm (no
TCP_NODELAY), as `sessio.testing` had them before 2026-12-01: the stall it caused can be seen
again.
"""

from __future__ import annotations

import json
import os
import threading
import time
from typing import Any

_DIRECTORY = os.environ.get("SESSIO_TRACE")


def _install(directory: str) -> None:
    import engineio.async_client
    import engineio.async_drivers.asgi
    import simple_websocket.ws
    import socketio

    import sessio.aio._control_listener
    import sessio.aio.stores.redis
    import sessio.sync._control_listener
    from sessio.core._control import decode_control

    out = open(f"{directory}/events-{os.getpid()}.jsonl", "a", buffering=1)  # noqa: SIM115
    lock = threading.Lock()

    def record(event: str, **fields: Any) -> None:
        line = json.dumps({"event": event, "t": time.time(), **fields})
        with lock:
            out.write(line + "\n")

    def room_of(raw: bytes) -> str | None:
        return getattr(decode_control(raw), "room", None)

    async_on_message = sessio.aio._control_listener.AsyncControlListener.on_message
    sync_on_message = sessio.sync._control_listener.ControlListener.on_message

    async def on_message_async(self: Any, raw: bytes) -> None:
        record("received", kind="async", room=room_of(raw))
        await async_on_message(self, raw)

    def on_message_sync(self: Any, raw: bytes) -> None:
        record("received", kind="sync", room=room_of(raw))
        sync_on_message(self, raw)

    sessio.aio._control_listener.AsyncControlListener.on_message = on_message_async  # type: ignore[method-assign]
    sessio.sync._control_listener.ControlListener.on_message = on_message_sync  # type: ignore[method-assign]

    async_disconnect = socketio.AsyncServer.disconnect
    sync_disconnect = socketio.Server.disconnect

    async def disconnect_async(self: Any, sid: str, *args: Any, **kwargs: Any) -> None:
        record("disconnect_start", kind="async", sid=sid)
        await async_disconnect(self, sid, *args, **kwargs)
        record("disconnect_end", kind="async", sid=sid)

    def disconnect_sync(self: Any, sid: str, *args: Any, **kwargs: Any) -> None:
        record("disconnect_start", kind="sync", sid=sid)
        sync_disconnect(self, sid, *args, **kwargs)
        record("disconnect_end", kind="sync", sid=sid)

    socketio.AsyncServer.disconnect = disconnect_async  # type: ignore[method-assign]
    socketio.Server.disconnect = disconnect_sync  # type: ignore[method-assign]

    publish = sessio.aio.stores.redis.RedisStore.publish

    async def published(self: Any, channel: str, message: bytes) -> None:
        await publish(self, channel, message)
        record("published", room=room_of(message))

    sessio.aio.stores.redis.RedisStore.publish = published  # type: ignore[method-assign]

    ws_send = simple_websocket.ws.Base.send
    asgi_send = engineio.async_drivers.asgi.WebSocket.send

    def written_sync(self: Any, data: Any) -> None:
        ws_send(self, data)
        if data == "41":
            record("written", kind="sync")

    async def written_async(self: Any, message: Any) -> None:
        await asgi_send(self, message)
        if message == "41":
            record("written", kind="async")

    simple_websocket.ws.Base.send = written_sync  # type: ignore[method-assign]
    engineio.async_drivers.asgi.WebSocket.send = written_async  # type: ignore[method-assign]

    receive = engineio.async_client.AsyncClient._receive_packet

    async def client_read(self: Any, pkt: Any) -> None:
        if pkt.packet_type == 4 and pkt.data == "1":  # MESSAGE carrying socket.io DISCONNECT
            record("client_read", eio_sid=self.sid)
        await receive(self, pkt)

    engineio.async_client.AsyncClient._receive_packet = client_read  # type: ignore[method-assign]

    if os.environ.get("SESSIO_TRACE_NAGLE") == "1":
        import asyncio.base_events

        import sessio.testing._wsgi_server

        sessio.testing._wsgi_server._no_delay = lambda sock: None
        asyncio.base_events._set_nodelay = lambda sock: None  # type: ignore[attr-defined]


if _DIRECTORY:
    _install(_DIRECTORY)
