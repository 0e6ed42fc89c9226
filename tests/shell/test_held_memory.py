"""What a held session keeps: its load as the store's bytes, no lock until it writes.

A server holds a session per open socket (benchmarks/memory.py measures it), so a session
opened from the store keeps only the bytes it loaded and decodes them again when a save needs
what it loaded; these check that it does, and that saving by difference is unchanged by it.
"""

from __future__ import annotations

import asyncio
import threading

import socketio

import sessio.aio
import sessio.sync
from sessio import formats

FMT = formats.express(secrets=["keyboard cat"])


def test_a_loaded_session_keeps_bytes_and_still_saves_by_difference() -> None:
    async def main() -> None:
        store = sessio.aio.MemoryStore()
        server = socketio.AsyncServer(async_mode="asgi")
        minted = await sessio.aio.AsyncSessionSockets(server, store, FMT).create(
            {"user": "ann", "cart": [1]}
        )
        session = await sessio.aio.open_session(minted.cookie, store, FMT)
        other = await sessio.aio.open_session(minted.cookie, store, FMT)
        assert isinstance(session, sessio.aio.AsyncSession)
        assert isinstance(other, sessio.aio.AsyncSession)
        assert not hasattr(session, "__dict__")
        assert session._stored is None and session._loaded is None and session._lock is None
        assert not session.changes
        session["cart"].append(2)  # a nested edit is a change against what was loaded
        assert dict(session.changes.set) == {"cart": [1, 2]}
        other["theme"] = "dark"
        await other.save()
        await session.save()  # merged onto the other writer's save
        again = await sessio.aio.open_session(minted.cookie, store, FMT)
        assert again == {"user": "ann", "cart": [1, 2], "theme": "dark"}
        assert session == again and not session.changes
        # After a write the baseline is a private copy: a stale reference cannot move it.
        assert session._stored is not None
        session["cart"].append(3)
        assert dict(session.changes.set) == {"cart": [1, 2, 3]}
        await session.reload()  # unsaved edits stay on top; the load is bytes again
        assert session._stored is None and dict(session.changes.set) == {"cart": [1, 2, 3]}

    asyncio.run(main())


def test_threads_share_one_lock_made_on_first_use() -> None:
    store = sessio.sync.MemoryStore()
    sockets = sessio.sync.SessionSockets(socketio.Server(async_mode="threading"), store, FMT)
    minted = sockets.create({"user": "ann"})
    session = sessio.sync.open_session(minted.cookie, store, FMT)
    assert isinstance(session, sessio.sync.Session) and session._lock is None
    start = threading.Barrier(8)
    locks: list[object] = []

    def take() -> None:
        start.wait(timeout=10)
        locks.append(session._locked())

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(locks) == 8 and all(lock is locks[0] for lock in locks)
