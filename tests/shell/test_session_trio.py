"""The async shell's session paths, with no socket.io server, under asyncio and under trio.

`AsyncSession`, `open_verdict` and `MemoryStore` are written with anyio, so they must behave
the same on both backends; only python-socketio itself is asyncio-bound. Time is a fake clock
shared by the store (expiry) and the sessions (``cookie.expires``, TTLs).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable

import anyio
import anyio.lowlevel
import pytest

from sessio import ClientSession, ConflictError, Failure, SessionError, formats, resolve
from sessio.aio import AsyncSession, MemoryStore
from sessio.aio._opening import open_verdict
from sessio.core import Minted, plan_create

pytestmark = pytest.mark.anyio

SECRET = "keyboard cat"
MAX_AGE = 60.0
START = 1_700_000_000.0

FMT = formats.express(secrets=[SECRET], cookie_max_age=MAX_AGE)


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    backend: str = request.param
    return backend


class Clock:
    """Unix seconds that move only when a test says so."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class YieldingStore(MemoryStore):
    """A memory store that lets other tasks run inside every read and write, as real I/O does."""

    def __init__(self, clock: Clock) -> None:
        super().__init__(clock)
        self.lost_races = 0

    async def get(self, key: str) -> bytes | None:
        await anyio.lowlevel.checkpoint()
        return await super().get(key)

    async def compare_and_set(
        self, key: str, expected: bytes | None, value: bytes | None, ttl: int | None
    ) -> tuple[bool, bytes | None]:
        await anyio.lowlevel.checkpoint()
        done, actual = await super().compare_and_set(key, expected, value, ttl)
        self.lost_races += not done
        return done, actual


class BrokenStore(MemoryStore):
    """A store that is down for reads."""

    async def get(self, key: str) -> bytes | None:
        raise ConnectionError("store at 10.0.0.1 is down")


async def mint(store: MemoryStore, clock: Clock, data: dict[str, object]) -> Minted:
    """Store a new session the way the shell's `create` does, and return its cookie."""
    creation = plan_create(FMT, secrets.token_bytes(24), data, clock())
    assert not isinstance(creation, Failure)
    write = creation.write
    assert write.value is not None
    await store.set(write.key, write.value, write.ttl)
    return creation.minted


async def open_from(cookie_header: str | None, store: MemoryStore, clock: Clock) -> AsyncSession:
    """What a socket's handshake with `cookie_header` loads; fails the test on a Failure."""
    opened = await open_verdict(resolve(cookie_header, FMT, clock()), store, FMT, clock)
    assert isinstance(opened, AsyncSession), opened
    return opened


async def stored_json(store: MemoryStore, sid: str) -> dict[str, object]:
    raw = await store.get(FMT.store_key(sid))
    assert raw is not None
    document: dict[str, object] = json.loads(raw)
    return document


async def test_open_save_reload() -> None:
    clock = Clock()
    store = MemoryStore(clock)
    minted = await mint(store, clock, {"user": "alice"})
    first = await open_from(minted.cookie, store, clock)
    second = await open_from(minted.cookie, store, clock)
    assert first.id == minted.session_id and not first.read_only
    assert dict(first) == {"user": "alice"}

    first["visits"] = 1
    await first.save()
    assert (await stored_json(store, minted.session_id))["visits"] == 1

    second["theme"] = "dark"  # unsaved: stays on top of what reload brings
    await second.reload()
    assert dict(second) == {"user": "alice", "visits": 1, "theme": "dark"}
    assert dict(second.changes.set) == {"theme": "dark"}


async def test_touch_slides_the_expiry() -> None:
    clock = Clock()
    store = MemoryStore(clock)
    minted = await mint(store, clock, {"user": "alice"})
    session = await open_from(minted.cookie, store, clock)
    key = FMT.store_key(minted.session_id)
    before = (await stored_json(store, minted.session_id))["cookie"]

    clock.now += 40
    assert await store.ttl(key) == pytest.approx(MAX_AGE - 40)
    await session.touch()
    assert await store.ttl(key) == pytest.approx(MAX_AGE)
    after = (await stored_json(store, minted.session_id))["cookie"]
    assert isinstance(before, dict) and isinstance(after, dict)
    assert after["expires"] > before["expires"]
    assert dict(session) == {"user": "alice"}

    # Untouched, it lapses: the handshake then finds nothing.
    clock.now += MAX_AGE + 1
    gone = await open_verdict(resolve(minted.cookie, FMT, clock()), store, FMT, clock)
    assert isinstance(gone, Failure) and gone.code == "session-not-found"


async def test_concurrent_saves_of_different_keys_merge() -> None:
    clock = Clock()
    store = YieldingStore(clock)
    minted = await mint(store, clock, {"user": "alice"})
    tabs = [await open_from(minted.cookie, store, clock) for _ in range(4)]
    for number, tab in enumerate(tabs):
        tab[f"tab{number}"] = number

    async with anyio.create_task_group() as group:
        for tab in tabs:
            group.start_soon(tab.save)
    assert store.lost_races > 0  # the saves did overlap, and the losers merged and retried

    document = await stored_json(store, minted.session_id)
    assert {k: v for k, v in document.items() if k != "cookie"} == {
        "user": "alice",
        "tab0": 0,
        "tab1": 1,
        "tab2": 2,
        "tab3": 3,
    }
    fresh = await open_from(minted.cookie, store, clock)
    assert dict(fresh) == {"user": "alice", "tab0": 0, "tab1": 1, "tab2": 2, "tab3": 3}


async def test_a_strict_save_refuses_to_overwrite_a_newer_value() -> None:
    clock = Clock()
    store = MemoryStore(clock)
    minted = await mint(store, clock, {"user": "alice"})
    first = await open_from(minted.cookie, store, clock)
    second = await open_from(minted.cookie, store, clock)
    first["cart"] = ["apple"]
    await first.save()

    second["cart"] = ["pear"]
    with pytest.raises(ConflictError) as caught:
        await second.save(strict=True)
    assert caught.value.code == "conflict"
    assert (await stored_json(store, minted.session_id))["cart"] == ["apple"]

    await second.save()  # not strict: this socket's value wins
    assert (await stored_json(store, minted.session_id))["cart"] == ["pear"]


async def test_destroy_then_save_is_session_not_found() -> None:
    clock = Clock()
    store = MemoryStore(clock)
    minted = await mint(store, clock, {"user": "alice"})
    session = await open_from(minted.cookie, store, clock)
    other = await open_from(minted.cookie, store, clock)

    await session.destroy()
    assert await store.get(FMT.store_key(minted.session_id)) is None
    assert dict(session) == {}

    session["user"] = "mallory"
    with pytest.raises(SessionError) as caught:
        await session.save()
    assert caught.value.code == "session-not-found"

    # Another socket's copy must not bring the logged-out session back either.
    other["visits"] = 1
    with pytest.raises(SessionError) as caught:
        await other.save()
    assert caught.value.code == "session-not-found"
    assert await store.get(FMT.store_key(minted.session_id)) is None


async def test_a_client_side_session_is_read_only() -> None:
    clock = Clock()
    store = MemoryStore(clock)
    opened = await open_verdict(ClientSession({"user": "alice"}), store, FMT, clock)
    assert isinstance(opened, AsyncSession)
    assert opened.read_only and opened.id is None
    assert dict(opened) == {"user": "alice"}

    # Refused where it is made, with the error save() gives; the dict is left as it was.
    with pytest.raises(SessionError) as at_write:
        opened["user"] = "mallory"
    with pytest.raises(SessionError) as at_save:
        await opened.save()
    assert at_write.value.code == at_save.value.code == "read-only"
    assert str(at_write.value) == str(at_save.value)
    writes: list[Callable[[], object]] = [
        lambda: opened.__delitem__("user"),
        lambda: opened.update(user="mallory"),
        lambda: opened.setdefault("role", "admin"),
        lambda: opened.pop("user"),
        lambda: opened.popitem(),
        lambda: opened.clear(),
        lambda: opened.__ior__({"user": "mallory"}),
    ]
    for write in writes:
        with pytest.raises(SessionError, match="read-only"):
            write()
    assert dict(opened) == {"user": "alice"}
    assert opened.setdefault("user", "x") == "alice"  # a read, not a write
    with pytest.raises(SessionError) as caught:
        await opened.destroy()
    assert caught.value.code == "read-only"
    await opened.touch()  # nothing to extend: a no-op, not an error
    await opened.reload()
    assert len(store.table) == 0


async def test_handshake_failures_are_values() -> None:
    clock = Clock()
    store = MemoryStore(clock)
    minted = await mint(store, clock, {"user": "alice"})

    no_cookie = await open_verdict(resolve("theme=dark", FMT, clock()), store, FMT, clock)
    assert isinstance(no_cookie, Failure) and no_cookie.code == "no-cookie"

    broken = await open_verdict(resolve(minted.cookie, FMT, clock()), BrokenStore(), FMT, clock)
    assert isinstance(broken, Failure) and broken.code == "store-unavailable"
    assert "10.0.0.1" not in broken.message
