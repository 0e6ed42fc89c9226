# Generated from src/sessio/aio/_opening.py by scripts/unasync.py: edit that file instead.
"""Opening a session: from a handshake's verdict, or from a ``Cookie`` header, to an
`Session` (one store read for a stored session) or the `Failure` that says why not."""

from __future__ import annotations

import time
from collections.abc import Callable

from sessio.core import (
    ClientSession,
    Failure,
    Format,
    SessionRef,
    StoreFormat,
    decode_stored,
    resolve,
)
from sessio.errors import SessionError
from sessio.sync._session import Session
from sessio.sync._store_calls import call_store
from sessio.sync.stores._protocol import Store

__all__ = ["open_session", "open_verdict"]


def open_verdict(
    verdict: SessionRef | ClientSession | Failure,
    store: Store,
    fmt: Format,
    clock: Callable[[], float],
) -> Session | Failure:
    """Load the session a handshake `verdict` names (one store read for a `SessionRef`).

    Never raises: whatever goes wrong becomes a classified `Failure`.
    """
    if isinstance(verdict, Failure):
        return verdict
    if isinstance(verdict, ClientSession):
        try:
            return Session(verdict.data, fmt=fmt, store=None, ref=None, clock=clock)
        except Exception as error:
            # The core refuses what it knows to be unreadable; this is the net under it.
            return Failure.malformed(
                fmt.key, f"its session cannot be copied ({type(error).__name__})"
            )
    if not isinstance(fmt, StoreFormat):
        # Only a store format names a stored session; a cookie format never gives a ref.
        return Failure.read_only(fmt.name)
    try:
        raw = call_store(store.get, verdict.key, doing="load")
    except SessionError as error:
        return error.failure
    now = clock()
    stored = decode_stored(verdict, raw, fmt, now)
    if isinstance(stored, Failure):
        return stored
    try:
        return Session(
            stored.data,
            fmt=fmt,
            store=store,
            ref=verdict,
            stored=stored,
            raw=raw,
            clock=clock,
            decoded_at=now,
        )
    except Exception as error:
        return Failure.corrupt(f"the session cannot be copied ({type(error).__name__})")


def open_session(
    cookie_header: str | None,
    store: Store,
    fmt: Format,
    *,
    clock: Callable[[], float] = time.time,
) -> Session | Failure:
    """The session that a ``Cookie`` header carries, opened: for code that is no socket handler.

    `cookie_header` is the request's ``Cookie`` header as the web server hands it over (None
    or "" when there is none). The cookie is verified as `fmt` says, and a server-side session
    is read from `store` (one read). Returns the session, or the `Failure` that a connect
    handler would get as ``err``; never raises.
    """
    verdict = resolve(cookie_header, fmt, clock())
    return open_verdict(verdict, store, fmt, clock)
