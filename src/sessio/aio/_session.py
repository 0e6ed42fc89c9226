"""`AsyncSession`: one socket's view of its HTTP session, with save, reload, touch, destroy."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from sessio.aio._primitives import AsyncLock, sleep
from sessio.aio.stores._protocol import Store
from sessio.core import (
    Changes,
    ClientSession,
    Failure,
    Format,
    SessionRef,
    StoredSession,
    StoreFormat,
    apply,
    diff,
    load,
    plan_save,
    snapshot,
)
from sessio.errors import SessionError, error_for

__all__ = ["AsyncSession", "open_session"]

logger = logging.getLogger("sessio")

# Each retry means another writer saved in between; past this many (about a second of
# backing off), something is spinning.
MAX_SAVE_ATTEMPTS = 32
# The first retry goes at once, with what the store's reply said it holds. Later ones wait a
# random moment (up to 1 ms, doubling per retry, at most 50 ms) and read the store afresh:
# retrying at once lets the quickest writers win every race, and with six sockets of one
# session saving on two nodes a socket on the busier event loop lost 16 races in a row.
BACKOFF_FIRST = 0.001
BACKOFF_MAX = 0.05


class AsyncSession(dict[str, Any]):
    """A socket's session: a dict of the user's keys plus the I/O to keep it in step.

    Edits stay local until `save`, which writes only the keys this socket changed, merged
    onto what the store holds at that moment (a compare-and-set, retried when someone else
    wrote in between). A session that lives in the browser cookie is `read_only`.
    """

    def __init__(
        self,
        data: Mapping[str, Any],
        *,
        fmt: Format,
        store: Store | None,
        ref: SessionRef | None,
        stored: StoredSession | None = None,
        raw: bytes | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(snapshot(data))
        self.fmt = fmt
        self.store = store
        self.ref = ref
        self._stored = stored if stored is not None else StoredSession(data)
        self._loaded = snapshot(data)
        self._raw = raw
        self._clock = clock
        self._lock = AsyncLock()
        self._destroyed = False

    @property
    def id(self) -> str | None:
        """The session id (None for a session that lives in the cookie)."""
        return None if self.ref is None else self.ref.session_id

    @property
    def read_only(self) -> bool:
        """True when the session lives in the browser cookie and cannot be written here."""
        return self.ref is None or self.store is None

    @property
    def changes(self) -> Changes:
        """What this socket changed since the session was loaded or last saved."""
        return diff(self._loaded, self)

    def _changes(self) -> Changes:
        try:
            return self.changes
        except RecursionError as error:
            # Comparing recurses once per level: data nested this deep cannot be stored anyway.
            raise error_for(Failure.unserializable(self.fmt.name, "it nests too deeply")) from error

    def _store_format(self) -> StoreFormat:
        # A session opened from a ClientSession has a cookie format: nothing to write with.
        if not isinstance(self.fmt, StoreFormat):
            raise SessionError(Failure.read_only(self.fmt.name))
        return self.fmt

    def _refuse_if_read_only(self) -> tuple[SessionRef, Store]:
        if self.ref is None or self.store is None:
            raise SessionError(Failure.read_only(self.fmt.name))
        if self._destroyed:
            # Writing now would bring a logged-out session back to life.
            prefix = self._store_format().store_key("")
            raise SessionError(Failure.not_found(self.ref.key, prefix))
        return self.ref, self.store

    async def save(self, *, strict: bool = False) -> None:
        """Write this socket's changes, merged onto the store's current session.

        With `strict`, raise `sessio.ConflictError` instead of overwriting a key that someone
        else changed since this socket loaded it. Raises `sessio.SessionError` when the
        session is read-only, gone from the store (``session-not-found``) or the store fails.
        """
        ref, store = self._refuse_if_read_only()
        async with self._lock:
            await self._write(ref, store, self._changes(), strict=strict, touch=False)

    async def touch(self) -> None:
        """Extend the session's life as its framework does on activity (rolling expiry)."""
        if self.read_only:
            return
        ref, store = self._refuse_if_read_only()
        async with self._lock:
            await self._write(ref, store, Changes(), strict=False, touch=True)

    async def reload(self) -> None:
        """Re-read the store; unsaved local changes stay on top of what it now holds."""
        if self.read_only:
            return
        ref, store = self._refuse_if_read_only()
        async with self._lock:
            now = self._clock()
            raw = await call_store(store.get, ref.key)
            stored = load(ref, raw, self._store_format(), now)
            if isinstance(stored, Failure):
                raise error_for(stored)
            self._rebase(stored, raw, self._changes())

    async def destroy(self) -> None:
        """Delete the session from the store (a logout) and empty this copy."""
        ref, store = self._refuse_if_read_only()
        async with self._lock:
            await call_store(store.delete, ref.key)
            self._rebase(StoredSession({}), None, Changes())
            self._destroyed = True

    async def _write(
        self, ref: SessionRef, store: Store, changes: Changes, *, strict: bool, touch: bool
    ) -> None:
        fmt = self._store_format()
        current, expected = self._stored, self._raw
        for attempt in range(MAX_SAVE_ATTEMPTS):
            if attempt > 1:
                await sleep(random.uniform(0, _backoff(attempt)))
                # What the last reply said the store held is stale after the pause.
                expected = await call_store(store.get, ref.key)
                fresh = load(ref, expected, fmt, self._clock())
                if isinstance(fresh, Failure):
                    raise error_for(fresh)
                current = fresh
            now = self._clock()
            plan = plan_save(
                fmt,
                ref.session_id,
                self._loaded,
                current,
                changes,
                now,
                strict=strict,
                touch=touch,
            )
            if plan is None:
                return
            if isinstance(plan, Failure):
                raise error_for(plan)
            done, actual = await call_store(
                store.compare_and_set, plan.key, expected, plan.value, plan.ttl
            )
            if done:
                self._rebase(plan.stored, plan.value, diff(apply(self._loaded, changes), self))
                # A write past the session's lifetime deleted it: it must stay gone.
                self._destroyed = plan.value is None
                return
            latest = load(ref, actual, fmt, now)
            if isinstance(latest, Failure):
                raise error_for(latest)
            current, expected = latest, actual
        raise error_for(Failure.conflict(changes.keys))

    def _rebase(self, stored: StoredSession, raw: bytes | None, pending: Changes) -> None:
        """Take `stored` as the new baseline, with `pending` local edits kept on top."""
        self._stored, self._raw = stored, raw
        self._loaded = snapshot(stored.data)
        self.clear()
        self.update(snapshot(apply(stored.data, pending)))


def _backoff(attempt: int) -> float:
    """The longest pause before try number `attempt` (counted from 0) of a save."""
    return min(BACKOFF_MAX, BACKOFF_FIRST * 2.0 ** (attempt - 2))


T = TypeVar("T")


async def call_store(operation: Callable[..., Awaitable[T]], *args: Any) -> T:
    try:
        return await operation(*args)
    except Exception as error:
        logger.warning("session store failed", exc_info=True)
        raise SessionError(Failure.store_unavailable(error)) from error


async def open_session(
    verdict: SessionRef | ClientSession | Failure,
    store: Store,
    fmt: Format,
    clock: Callable[[], float],
) -> AsyncSession | Failure:
    """Load the session a handshake `verdict` names (one store read for a `SessionRef`).

    Never raises: whatever goes wrong becomes a classified `Failure`.
    """
    if isinstance(verdict, Failure):
        return verdict
    if isinstance(verdict, ClientSession):
        try:
            return AsyncSession(verdict.data, fmt=fmt, store=None, ref=None, clock=clock)
        except Exception as error:
            # The core refuses what it knows to be unreadable; this is the net under it.
            return Failure.malformed(
                fmt.key, f"its session cannot be copied ({type(error).__name__})"
            )
    if not isinstance(fmt, StoreFormat):
        # Only a store format names a stored session; a cookie format never gives a ref.
        return Failure.read_only(fmt.name)
    try:
        raw = await store.get(verdict.key)
    except Exception as error:
        logger.warning("session store failed on load", exc_info=True)
        return Failure.store_unavailable(error)
    stored = load(verdict, raw, fmt, clock())
    if isinstance(stored, Failure):
        return stored
    try:
        return AsyncSession(
            stored.data, fmt=fmt, store=store, ref=verdict, stored=stored, raw=raw, clock=clock
        )
    except Exception as error:
        return Failure.corrupt(f"the session cannot be copied ({type(error).__name__})")
