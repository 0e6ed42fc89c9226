"""Socket tickets in the async shell: `issue_ticket` for the web app, redemption at connect.

The ticket's format, layout and verdicts are the core's (`sessio.core._tickets`); this does
the two store operations: one write to issue, one atomic take to redeem.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, MutableMapping
from typing import Any

from sessio.aio._opening import open_verdict
from sessio.aio._session import AsyncSession
from sessio.aio._store_calls import call_store
from sessio.aio.stores._protocol import Store
from sessio.core import Failure, Format
from sessio.core._handshake import resolve, resolve_value
from sessio.core._tickets import TICKET_BYTES, plan_ticket, redeem, ticket_in, ticket_key
from sessio.errors import SessionError, error_for

__all__ = ["SOCKET_COOKIE", "issue_ticket", "open_handshake"]

logger = logging.getLogger("sessio")

#: The environ key where sessio keeps the session cookie value a socket stands on when it
#: came by another way than the handshake's ``Cookie`` header (a ticket, a rotation). Not an
#: ``HTTP_`` key: no client can set it.
SOCKET_COOKIE = "sessio.cookie"


async def issue_ticket(
    store: Store,
    fmt: Format,
    cookie_value: str,
    ttl: float = 30,
    *,
    clock: Callable[[], float] = time.time,
) -> str:
    """A single-use ticket that opens, at one socket.io connect, the session `cookie_value` names.

    Call it in the web request that has the session: `cookie_value` is the value of `fmt`'s
    cookie as the request carried it (Flask: ``request.cookies[...]``; Django:
    ``request.COOKIES[...]``). The client sends the ticket as ``auth: {ticket}``; a handshake
    without the session cookie redeems it, once, within `ttl` seconds (at most an hour). The
    cookie must verify now; otherwise, and when the store fails, `sessio.SessionError` says
    why. Works from any process that reaches `store`, with or without a socket.io server.
    """
    plan = plan_ticket(fmt, cookie_value, secrets.token_bytes(TICKET_BYTES), ttl, clock())
    if isinstance(plan, Failure):
        raise error_for(plan)
    await call_store(store.set, plan.key, plan.value, plan.ttl, doing="ticket")
    return plan.ticket


async def open_handshake(
    environ: MutableMapping[str, Any],
    auth: Any,
    store: Store,
    fmt: Format,
    clock: Callable[[], float],
) -> AsyncSession | Failure:
    """The session a socket.io handshake carries: its cookie, or else its ticket.

    A cookie value sessio settled on earlier for this socket (`SOCKET_COOKIE`: a redeemed
    ticket's, a rotation's) comes first, then the ``Cookie`` header. Only when that has no
    session cookie (``no-cookie``) is a ticket in `auth` redeemed; the cookie value it names
    is then kept in `environ`, so that a later fresh load of this socket's session (`auth`
    None) reads the same. Never raises.
    """
    kept = environ.get(SOCKET_COOKIE)
    if isinstance(kept, str):
        return await open_verdict(resolve_value(kept, fmt, clock()), store, fmt, clock)
    verdict = resolve(environ.get("HTTP_COOKIE"), fmt, clock())
    if not isinstance(verdict, Failure) or verdict.code != "no-cookie":
        return await open_verdict(verdict, store, fmt, clock)
    ticket = ticket_in(auth)
    if ticket is None:
        return verdict
    if isinstance(ticket, Failure):
        return ticket
    try:
        raw = await call_store(store.take, ticket_key(ticket), doing="ticket")
    except SessionError as error:
        return error.failure
    value = redeem(raw, fmt, clock())
    if isinstance(value, Failure):
        return value
    environ[SOCKET_COOKIE] = value
    return await open_verdict(resolve_value(value, fmt, clock()), store, fmt, clock)
