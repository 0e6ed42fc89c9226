"""`RedisStore`, sync and async, against a private redis-server (the `redis_server` fixture)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest
import redis
import redis.asyncio
import socketio
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff
from redis.retry import Retry

from redis_server import RedisServer
from servers import HOST
from sessio import SessionError, formats
from sessio.aio import AsyncSessionSockets
from sessio.aio._opening import open_verdict
from sessio.aio._session import AsyncSession
from sessio.aio.stores.redis import COMPARE_AND_SET
from sessio.aio.stores.redis import RedisStore as AsyncRedisStore
from sessio.core import Failure, resolve
from sessio.core._control import SUBSCRIBED
from sessio.sync.stores.redis import RedisStore

# Short enough that a dead server fails a call at once, long enough for a loaded CI machine.
SOCKET_TIMEOUT = 2.0
WORKERS = 8
INCREMENTS = 50


@pytest.fixture
def anyio_backend() -> str:
    # redis.asyncio runs on asyncio only.
    return "asyncio"


@pytest.fixture
def prefix() -> str:
    """A key prefix, so that every test also checks that the store applies it."""
    return f"test-{uuid.uuid4().hex}:"


def sync_client(server: RedisServer, **options: Any) -> redis.Redis:
    """A blocking client that fails fast while the server is down (one immediate retry, which
    is what lets a pooled connection that the server closed be replaced transparently)."""
    options.setdefault("retry", Retry(NoBackoff(), 1))
    return redis.Redis.from_url(
        server.url, socket_timeout=SOCKET_TIMEOUT, socket_connect_timeout=SOCKET_TIMEOUT, **options
    )


def async_client(server: RedisServer, **options: Any) -> redis.asyncio.Redis:
    """The asyncio twin of `sync_client`."""
    options.setdefault("retry", AsyncRetry(NoBackoff(), 1))
    return redis.asyncio.Redis.from_url(
        server.url, socket_timeout=SOCKET_TIMEOUT, socket_connect_timeout=SOCKET_TIMEOUT, **options
    )


@pytest.fixture
def client(redis_server: RedisServer) -> Iterator[redis.Redis]:
    with sync_client(redis_server) as connection:
        yield connection


@pytest.fixture
async def aclient(redis_server: RedisServer) -> AsyncIterator[redis.asyncio.Redis]:
    connection = async_client(redis_server)
    yield connection
    await connection.aclose()


def command_calls(stats: dict[str, dict[str, int]]) -> dict[str, int]:
    """Calls per command in ``INFO commandstats``, leaving out the test's own bookkeeping."""
    return {
        name.removeprefix("cmdstat_"): entry["calls"]
        for name, entry in stats.items()
        if name not in ("cmdstat_config|resetstat", "cmdstat_info")
    }


# -- plain operations ------------------------------------------------------------------


def test_get_set_delete_ttl(client: redis.Redis, prefix: str) -> None:
    store = RedisStore(client, key_prefix=prefix)
    assert store.get("k") is None
    assert store.ttl("k") is None

    store.set("k", b"\x00binary\xff", 60)
    assert store.get("k") == b"\x00binary\xff"
    assert client.get(prefix + "k") == b"\x00binary\xff"
    remaining = store.ttl("k")
    assert remaining is not None and 59 < remaining <= 60

    store.set("k", b"", None)
    assert store.get("k") == b""
    assert store.ttl("k") is None
    assert client.pttl(prefix + "k") == -1

    store.set("k", b"gone", 0)
    assert store.get("k") is None
    store.set("k", b"back", None)
    store.delete("k")
    assert store.get("k") is None
    store.delete("k")


@pytest.mark.anyio
async def test_async_get_set_delete_ttl(aclient: redis.asyncio.Redis, prefix: str) -> None:
    store = AsyncRedisStore(aclient, key_prefix=prefix)
    assert await store.get("k") is None
    await store.set("k", b"\x00binary\xff", 60)
    assert await store.get("k") == b"\x00binary\xff"
    assert await aclient.get(prefix + "k") == b"\x00binary\xff"
    remaining = await store.ttl("k")
    assert remaining is not None and 59 < remaining <= 60
    await store.set("k", b"forever", None)
    assert await store.ttl("k") is None
    await store.set("k", b"gone", -5)
    assert await store.get("k") is None
    await store.set("k", b"back", None)
    await store.delete("k")
    assert await store.get("k") is None


def test_refuses_a_client_that_decodes_responses(redis_server: RedisServer) -> None:
    with (
        redis.Redis.from_url(redis_server.url, decode_responses=True) as decoding,
        pytest.raises(ValueError, match="decode_responses"),
    ):
        RedisStore(decoding)


# -- compare-and-set -------------------------------------------------------------------


def test_compare_and_set(client: redis.Redis, prefix: str) -> None:
    store = RedisStore(client, key_prefix=prefix)
    # expected None: the key must be absent.
    assert store.compare_and_set("k", None, b"one", 60) == (True, b"one")
    assert store.get("k") == b"one"
    assert store.compare_and_set("k", None, b"two", 60) == (False, b"one")
    # a mismatch changes nothing and says what is there
    assert store.compare_and_set("k", b"other", b"two", 60) == (False, b"one")
    assert store.get("k") == b"one"
    # the TTL is applied, and None means no expiry
    remaining = store.ttl("k")
    assert remaining is not None and 59 < remaining <= 60
    assert store.compare_and_set("k", b"one", b"two", None) == (True, b"two")
    assert client.pttl(prefix + "k") == -1
    assert store.compare_and_set("k", b"two", b"three", 5) == (True, b"three")
    remaining = store.ttl("k")
    assert remaining is not None and 4 < remaining <= 5
    # empty bytes are a value, not an absence
    assert store.compare_and_set("k", b"three", b"", None) == (True, b"")
    assert store.compare_and_set("k", None, b"x", None) == (False, b"")
    # value None deletes; expecting something on a missing key fails with None
    assert store.compare_and_set("k", b"", None, None) == (True, None)
    assert store.get("k") is None
    assert store.compare_and_set("k", b"", b"x", None) == (False, None)
    # a TTL of 0 or less deletes, as for set
    store.set("k", b"v", None)
    assert store.compare_and_set("k", b"v", b"w", 0)[0]
    assert store.get("k") is None


@pytest.mark.anyio
async def test_async_compare_and_set(aclient: redis.asyncio.Redis, prefix: str) -> None:
    store = AsyncRedisStore(aclient, key_prefix=prefix)
    assert await store.compare_and_set("k", None, b"one", 60) == (True, b"one")
    assert await store.compare_and_set("k", None, b"two", 60) == (False, b"one")
    assert await store.compare_and_set("k", b"other", b"two", 60) == (False, b"one")
    remaining = await store.ttl("k")
    assert remaining is not None and 59 < remaining <= 60
    assert await store.compare_and_set("k", b"one", b"two", None) == (True, b"two")
    assert await store.ttl("k") is None
    assert await store.compare_and_set("k", b"two", None, None) == (True, None)
    assert await store.get("k") is None
    assert await store.compare_and_set("k", b"two", b"x", None) == (False, None)


def test_compare_and_set_is_atomic_across_threads(client: redis.Redis, prefix: str) -> None:
    store = RedisStore(client, key_prefix=prefix)
    errors: list[BaseException] = []

    def increment() -> None:
        try:
            for _ in range(INCREMENTS):
                current = store.get("counter")
                while True:
                    following = str(int(current or b"0") + 1).encode()
                    done, current = store.compare_and_set("counter", current, following, 60)
                    if done:
                        break
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=increment) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert store.get("counter") == str(WORKERS * INCREMENTS).encode()


@pytest.mark.anyio
async def test_compare_and_set_is_atomic_across_tasks(
    aclient: redis.asyncio.Redis, prefix: str
) -> None:
    store = AsyncRedisStore(aclient, key_prefix=prefix)

    async def increment() -> None:
        for _ in range(INCREMENTS):
            current = await store.get("counter")
            while True:
                following = str(int(current or b"0") + 1).encode()
                done, current = await store.compare_and_set("counter", current, following, 60)
                if done:
                    break

    await asyncio.gather(*(increment() for _ in range(WORKERS)))
    assert await store.get("counter") == str(WORKERS * INCREMENTS).encode()


# -- commands sent -----------------------------------------------------------------------


def test_each_operation_is_one_command(client: redis.Redis, prefix: str) -> None:
    store = RedisStore(client, key_prefix=prefix)
    store.compare_and_set("k", None, b"v", 60)  # loads the script on a fresh server

    client.config_resetstat()
    assert store.compare_and_set("k", b"v", b"w", 60) == (True, b"w")
    # Redis counts the GET and SET the script runs as well as the EVALSHA that ran it.
    assert command_calls(client.info("commandstats")) == {"evalsha": 1, "get": 1, "set": 1}

    client.config_resetstat()
    assert store.compare_and_set("k", b"stale", b"x", 60) == (False, b"w")
    assert command_calls(client.info("commandstats")) == {"evalsha": 1, "get": 1}

    client.config_resetstat()
    assert store.get("k") == b"w"
    assert command_calls(client.info("commandstats")) == {"get": 1}

    client.config_resetstat()
    store.set("k", b"v", 60)
    assert command_calls(client.info("commandstats")) == {"set": 1}


def test_script_is_reloaded_when_redis_forgot_it(client: redis.Redis, prefix: str) -> None:
    store = RedisStore(client, key_prefix=prefix)
    store.compare_and_set("k", None, b"v", 60)
    client.script_flush()
    client.config_resetstat()
    assert store.compare_and_set("k", b"v", b"w", 60) == (True, b"w")
    calls = command_calls(client.info("commandstats"))
    # EVALSHA answered NOSCRIPT, the script was loaded, the EVALSHA repeated.
    assert calls["script|load"] == 1
    assert calls["evalsha"] == 2
    assert "eval" not in calls


# -- Redis down and back -----------------------------------------------------------------


def every_operation(store: RedisStore) -> list[Callable[[], object]]:
    return [
        lambda: store.get("k"),
        lambda: store.set("k", b"v", 60),
        lambda: store.delete("k"),
        lambda: store.ttl("k"),
        lambda: store.compare_and_set("k", None, b"v", 60),
    ]


def test_redis_down_then_back(redis_server: RedisServer, prefix: str) -> None:
    with sync_client(redis_server) as client:
        store = RedisStore(client, key_prefix=prefix)
        store.set("k", b"before", None)
        redis_server.stop()
        try:
            for operation in every_operation(store):
                started = time.monotonic()
                with pytest.raises(redis.exceptions.ConnectionError):
                    operation()
                assert time.monotonic() - started < SOCKET_TIMEOUT
        finally:
            redis_server.start()
        # The same store object works again, compare-and-set included (the restarted server
        # has an empty script cache).
        assert store.compare_and_set("k", None, b"after", 60) == (True, b"after")
        assert store.get("k") == b"after"


@pytest.mark.anyio
async def test_async_redis_down_then_back(redis_server: RedisServer, prefix: str) -> None:
    client = async_client(redis_server)
    store = AsyncRedisStore(client, key_prefix=prefix)
    try:
        await store.set("k", b"before", None)
        redis_server.stop()
        try:
            operations: list[Callable[[], Awaitable[object]]] = [
                lambda: store.get("k"),
                lambda: store.set("k", b"v", 60),
                lambda: store.delete("k"),
                lambda: store.ttl("k"),
                lambda: store.compare_and_set("k", None, b"v", 60),
            ]
            for operation in operations:
                with pytest.raises(redis.exceptions.ConnectionError):
                    await asyncio.wait_for(operation(), SOCKET_TIMEOUT)
        finally:
            redis_server.start()
        assert await store.compare_and_set("k", None, b"after", 60) == (True, b"after")
    finally:
        await client.aclose()


def test_default_client_survives_a_restart(redis_server: RedisServer, prefix: str) -> None:
    """A pooled connection that a Redis restart closed is replaced without an error."""
    with redis.Redis(host=HOST, port=redis_server.port) as client:
        store = RedisStore(client, key_prefix=prefix)
        store.compare_and_set("k", None, b"v", 60)
        redis_server.stop()
        redis_server.start()
        assert store.compare_and_set("k", None, b"again", 60) == (True, b"again")


@pytest.mark.anyio
async def test_default_async_client_survives_a_restart(
    redis_server: RedisServer, prefix: str
) -> None:
    # redis.asyncio.Redis(host=..., port=...) retries by default; a client made with
    # from_url() does not, and its first call after the restart would fail (see docs/stores.md).
    client = redis.asyncio.Redis(host=HOST, port=redis_server.port)
    try:
        store = AsyncRedisStore(client, key_prefix=prefix)
        await store.compare_and_set("k", None, b"v", 60)
        redis_server.stop()
        redis_server.start()
        assert await store.compare_and_set("k", None, b"again", 60) == (True, b"again")
    finally:
        await client.aclose()


# -- end to end through the async shell -----------------------------------------------------


async def load(sessions: AsyncSessionSockets, cookie: str) -> AsyncSession:
    verdict = resolve(cookie, sessions.fmt, sessions.clock())
    session = await open_verdict(verdict, sessions.store, sessions.fmt, sessions.clock)
    assert isinstance(session, AsyncSession), session
    return session


@pytest.mark.anyio
async def test_sessions_saved_in_redis(aclient: redis.asyncio.Redis) -> None:
    fmt = formats.express(secrets=["keyboard cat"])
    sio = socketio.AsyncServer(async_mode="asgi")
    sessions = AsyncSessionSockets(sio, AsyncRedisStore(aclient), fmt)
    minted = await sessions.create({"user": "alice"})
    key = f"sess:{minted.session_id}"

    await aclient.config_resetstat()
    session = await load(sessions, minted.cookie)
    assert command_calls(await aclient.info("commandstats")) == {"get": 1}
    assert session["user"] == "alice"

    session["visits"] = 1
    await aclient.script_load(COMPARE_AND_SET)  # as after any earlier save on this server
    await aclient.config_resetstat()
    await session.save()
    assert command_calls(await aclient.info("commandstats")) == {
        "evalsha": 1,
        "get": 1,
        "set": 1,
    }
    raw = await aclient.get(key)
    assert raw is not None
    stored = json.loads(raw)
    assert stored["user"] == "alice"
    assert stored["visits"] == 1
    assert "cookie" in stored
    remaining = await aclient.ttl(key)
    assert 0 < remaining <= 86400

    # Two sockets of the same browser save different keys at once: both land.
    first, second = await load(sessions, minted.cookie), await load(sessions, minted.cookie)
    first["theme"] = "dark"
    second["lang"] = "fr"
    await asyncio.gather(first.save(), second.save())
    raw = await aclient.get(key)
    assert raw is not None
    merged = json.loads(raw)
    assert (merged["theme"], merged["lang"], merged["visits"]) == ("dark", "fr", 1)


@pytest.mark.anyio
async def test_redis_down_is_store_unavailable(redis_server: RedisServer) -> None:
    client = async_client(redis_server)
    try:
        fmt = formats.express(secrets=["keyboard cat"])
        sio = socketio.AsyncServer(async_mode="asgi")
        sessions = AsyncSessionSockets(sio, AsyncRedisStore(client), fmt)
        minted = await sessions.create({"user": "alice"})
        session = await load(sessions, minted.cookie)
        session["visits"] = 1
        redis_server.stop()
        try:
            verdict = resolve(minted.cookie, fmt, time.time())
            failed = await open_verdict(verdict, sessions.store, fmt, time.time)
            assert isinstance(failed, Failure)
            assert failed.code == "store-unavailable"
            with pytest.raises(SessionError) as raised:
                await session.save()
            assert raised.value.code == "store-unavailable"
        finally:
            redis_server.start()
        # Back up: the same store serves new sessions again.
        minted = await sessions.create({"user": "bob"})
        session = await load(sessions, minted.cookie)
        session["visits"] = 1
        await session.save()
        assert (await load(sessions, minted.cookie))["visits"] == 1
    finally:
        await client.aclose()


def test_subscribe_says_each_time_it_is_live(redis_server: RedisServer, prefix: str) -> None:
    # Also when redis-py reconnects and resubscribes by itself: what was published in the gap
    # is lost, and the listener must know to re-check.
    store = RedisStore(redis.Redis(port=redis_server.port), key_prefix=prefix)
    admin = sync_client(redis_server)
    items = store.subscribe("chan")
    try:
        assert next(items) == SUBSCRIBED
        admin.publish(prefix + "chan", b"one")
        assert b"one" in (next(items), next(items))
        admin.client_kill_filter(_type="pubsub")
        seen: list[bytes | None] = []
        with contextlib.suppress(redis.ConnectionError):
            for item in items:
                seen.append(item)
                if item == SUBSCRIBED or len(seen) > 5:
                    break
        # Either the same subscription says it is live again, or it ends with an error and
        # the listener starts a new one (which says so first).
        assert seen == [] or SUBSCRIBED in seen
    finally:
        items.close()
