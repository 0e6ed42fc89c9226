"""`AsyncSession`: one socket's view of its HTTP session, with save, reload, touch, destroy."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from sessio._guarded import WriteGuardedDict
from sessio.aio._primitives import AsyncLock, ThreadLock
from sessio.aio._save_driver import drive
from sessio.aio._store_calls import call_store
from sessio.aio.stores._protocol import Store
from sessio.core import (
    Changes,
    Failure,
    Format,
    SessionRef,
    StoredSession,
    StoreFormat,
    apply,
    decode_stored,
    diff,
    snapshot,
)
from sessio.core._save_loop import Done, SaveLoop
from sessio.errors import SessionError, error_for
from sessio.metrics import Metrics

__all__ = ["AsyncSession"]

logger = logging.getLogger("sessio")

# Sessions make their locks when first needed; this makes that one step across threads.
_MAKING_LOCKS = ThreadLock()


class AsyncSession(WriteGuardedDict):
    """A socket's session: a dict of the user's keys plus the I/O to keep it in step.

    Edits stay local until `save`, which writes only the keys this socket changed, merged
    onto what the store holds at that moment (a compare-and-set, retried when someone else
    wrote in between). A session that lives in the browser cookie is `read_only`: a write to
    it raises `sessio.SessionError` (``read-only``) where it is made, as `save` would.
    """

    # Slots, not a __dict__: a server holds one of these per socket for as long as the socket
    # is open, and a __dict__ of ten names costs more than the session's data.
    __slots__ = (
        "_clock",
        "_decoded_at",
        "_destroyed",
        "_loaded",
        "_lock",
        "_raw",
        "_stored",
        "fmt",
        "metrics",
        "on_rebase",
        "ref",
        "store",
    )

    #: Told how each save and touch ended (`sessio.metrics`); the shell sets it.
    metrics: Metrics | None
    #: Called after every save, reload, touch and destroy with this session: the shell
    #: moves the socket to the room of the user the session names now.
    on_rebase: Callable[[AsyncSession], Awaitable[None]] | None

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
        decoded_at: float | None = None,
    ) -> None:
        """A session holding `data`, as loaded: `stored` is what the store held, as `raw`.

        With `decoded_at` (the time `stored` was decoded from `raw` at, by `fmt`, and `data`
        is ``stored.data``, decoded for this session alone and handed over), the session keeps
        only `raw` and decodes it again, at that same time, when a save needs what it loaded:
        nothing but the bytes stays per socket.
        """
        lazy = decoded_at is not None and raw is not None and ref is not None
        # Data decoded for this session alone is its own already; anything else is copied,
        # so that what the caller keeps and what the handlers edit are never shared.
        super().__init__(dict(data) if lazy else snapshot(data))
        self.fmt = fmt
        self.store = store
        self.ref = ref
        self._raw = raw
        self._decoded_at: float | None = None
        # What this socket loaded, to diff against: `_loaded` if it is not `_stored.data`
        # (None), and `_stored` if it is not decoded from `_raw` on demand (None). Neither
        # is ever shared with the dict the handlers edit.
        self._loaded: dict[str, Any] | None = None
        self._stored: StoredSession | None = None
        if lazy:
            self._decoded_at = decoded_at
        elif stored is None:
            self._stored = StoredSession(snapshot(data))
        else:
            self._stored = stored
            self._loaded = snapshot(data)
        self._clock = clock
        # Made at the first save, reload, touch or destroy: most sockets never write, and a
        # lock per socket would outweigh everything else the socket keeps here.
        self._lock: AsyncLock | None = None
        self._destroyed = False
        self.metrics = None
        self.on_rebase = None

    @property
    def id(self) -> str | None:
        """The session id (None for a session that lives in the cookie)."""
        return None if self.ref is None else self.ref.session_id

    @property
    def read_only(self) -> bool:
        """True when the session lives in the browser cookie and cannot be written here."""
        return self.ref is None or self.store is None

    def _writable(self) -> None:
        try:
            read_only = self.read_only
        except AttributeError:
            # Not yet initialised (a copy or an unpickling fills the dict first).
            return
        if read_only:
            raise SessionError(Failure.read_only(self.fmt.name))

    def _baseline(self) -> tuple[Mapping[str, Any], StoredSession]:
        """What this socket loaded (to diff against), and the store's session it came from."""
        stored = self._stored
        if stored is None:
            # Kept as bytes (`__init__`'s `decoded_at`): decoded as at load, so the same.
            assert self.ref is not None and self._decoded_at is not None
            decoded = decode_stored(self.ref, self._raw, self._store_format(), self._decoded_at)
            if isinstance(decoded, Failure):
                raise error_for(decoded)
            stored = decoded
        return (stored.data if self._loaded is None else self._loaded), stored

    @property
    def changes(self) -> Changes:
        """What this socket changed since the session was loaded or last saved."""
        return diff(self._baseline()[0], self)

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

    def _locked(self) -> AsyncLock:
        """This session's lock, made on first use."""
        lock = self._lock
        if lock is None:
            with _MAKING_LOCKS:  # two threads of the sync shell must not make two
                if self._lock is None:
                    self._lock = AsyncLock()
                lock = self._lock
        return lock

    async def save(self, *, strict: bool = False) -> None:
        """Write this socket's changes, merged onto the store's current session.

        With `strict`, raise `sessio.ConflictError` instead of overwriting a key that someone
        else changed since this socket loaded it. Raises `sessio.SessionError` when the
        session is read-only, gone from the store (``session-not-found``) or the store fails.
        """
        ref, store = self._refuse_if_read_only()
        async with self._locked():
            await self._write(ref, store, self._changes(), strict=strict, touch=False)
        await self._rebased()

    async def touch(self) -> None:
        """Extend the session's life as its framework does on activity (rolling expiry)."""
        if self.read_only:
            return
        ref, store = self._refuse_if_read_only()
        async with self._locked():
            await self._write(ref, store, Changes(), strict=False, touch=True)
        await self._rebased()

    async def reload(self) -> None:
        """Re-read the store; unsaved local changes stay on top of what it now holds."""
        if self.read_only:
            return
        ref, store = self._refuse_if_read_only()
        async with self._locked():
            now = self._clock()
            raw = await call_store(store.get, ref.key)
            stored = decode_stored(ref, raw, self._store_format(), now)
            if isinstance(stored, Failure):
                raise error_for(stored)
            self._rebase(stored, raw, self._changes(), decoded_at=now)
        await self._rebased()

    async def destroy(self) -> None:
        """Delete the session from the store (a logout) and empty this copy."""
        ref, store = self._refuse_if_read_only()
        async with self._locked():
            await call_store(store.delete, ref.key)
            self._rebase(StoredSession({}), None, Changes())
            self._destroyed = True
        await self._rebased()

    async def _rebased(self) -> None:
        if self.on_rebase is None:
            return
        try:
            await self.on_rebase(self)
        except Exception:
            # The write is done; what follows it (a room change) must not undo the caller's.
            logger.exception("after a session write: the shell's follow-up failed")

    async def _write(
        self, ref: SessionRef, store: Store, changes: Changes, *, strict: bool, touch: bool
    ) -> None:
        loaded, stored = self._baseline()
        loop = SaveLoop(
            self._store_format(),
            ref,
            loaded,
            stored,
            self._raw,
            changes,
            strict=strict,
            touch=touch,
        )
        if self.metrics is None:
            await drive(loop, store, self._clock, self, self._saved)
            return
        outcome = "error"  # anything but a SessionError: a bug, or the task cancelled
        try:
            saved = await drive(loop, store, self._clock, self, self._saved)
            outcome = "saved" if saved else "unchanged"
        except SessionError as error:
            outcome = error.code
            raise
        finally:
            self.metrics.save("touch" if touch else "save", outcome, loop.attempt)

    def _saved(self, done: Done) -> None:
        """Take what a save wrote as the new baseline."""
        self._rebase(done.stored, done.raw, done.pending)
        # A write past the session's lifetime deleted it: it must stay gone.
        self._destroyed = done.destroyed

    def _rebase(
        self,
        stored: StoredSession,
        raw: bytes | None,
        pending: Changes,
        *,
        decoded_at: float | None = None,
    ) -> None:
        """Take `stored` as the new baseline, with `pending` local edits kept on top.

        With `decoded_at`, `stored` was decoded from `raw` at that time (a reload): only the
        bytes are kept. Otherwise (a write) `stored` holds the values this socket wrote,
        which its handlers may still reach: the baseline is a copy of them.
        """
        self._raw, self._loaded = raw, None
        if decoded_at is not None and raw is not None:
            self._stored, self._decoded_at = None, decoded_at
        else:
            self._stored = StoredSession(snapshot(stored.data), stored.meta)
            self._decoded_at = None
        dict.clear(self)
        dict.update(self, snapshot(apply(stored.data, pending)))
