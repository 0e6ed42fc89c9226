"""Socket tickets: a session cookie handed to a socket through socket.io's ``auth`` payload.

Where the browser will not send the session cookie on the socket.io handshake (a socket
server on another site, where third-party cookies are blocked; native and mobile clients;
proxies that drop cookies), the web app, in a request that has the session, stores a ticket
that names the request's session cookie value, and the client sends the ticket instead:
``io(url, {auth: {ticket}})``. A handshake without the session cookie whose ``auth`` holds a
ticket redeems it (takes it out of the store, atomically) and goes on with that cookie value
exactly as if the browser had sent it: signature, expiry and store checks all still apply.

The layout, which an app in another language can write (docs/tickets.md):

* the ticket is 32 random bytes in URL-safe base64 without padding (43 characters);
* its store key is ``sessioticket`` and the first 28 hex digits of the SHA-256 of the
  ticket's ASCII text (40 characters, ``[a-z0-9]``: a Django session key too), so the store
  never holds the bearer ticket itself; a `RedisStore`'s ``key_prefix`` goes in front;
* its value is compact JSON: ``{"v": 1, "name": <cookie name>, "cookie": <cookie value as
  the request carried it>, "expires": <Unix seconds>, "_session_expiry": <store TTL>}``,
  stored with a TTL of ``ttl + TICKET_GRACE`` seconds (``_session_expiry`` tells a Django
  engine the same), so that a ticket redeemed a little late is told ``ticket-expired``
  rather than ``bad-ticket``.

Everything here is pure: the shells supply the randomness and the time.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
from typing import Any

from attrs import field, frozen

from sessio.core._cookies import unquote
from sessio.core._failures import Failure
from sessio.core._handshake import MAX_COOKIE_HEADER, resolve_value
from sessio.core._verdicts import ClientSession, SessionRef
from sessio.core.formats._base import Format

__all__ = [
    "MAX_TICKET_TTL",
    "TICKET_BYTES",
    "TICKET_GRACE",
    "TICKET_KEY_PREFIX",
    "TicketPlan",
    "plan_ticket",
    "redeem",
    "ticket_in",
    "ticket_key",
]

#: Random bytes in a ticket: 256 bits, as many as the strongest session ids sessio reads.
TICKET_BYTES = 32
#: The store keys of tickets start with this (then 28 hex digits of the ticket's SHA-256).
TICKET_KEY_PREFIX = "sessioticket"
#: How long the store keeps a ticket past its expiry, so that a late redemption is told
#: ``ticket-expired``; an expired ticket is never redeemed.
TICKET_GRACE = 60
#: The longest lifetime a ticket may have, in seconds: a ticket is a bearer credential in a
#: URL-less payload, meant to cross from one request to the connect that follows it.
MAX_TICKET_TTL = 3600
#: The ticket format version this code writes and reads.
TICKET_VERSION = 1

# 43 characters of URL-safe base64; anything else is no ticket of sessio's, and is refused
# before the store is asked.
_TICKET = re.compile(r"[A-Za-z0-9_-]{43}")
# A stored record is small: the cookie (at most MAX_COOKIE_HEADER) plus a little JSON. Any
# more is not one of ours, and is not parsed.
_MAX_RECORD = MAX_COOKIE_HEADER + 512


def ticket_key(ticket: str) -> str:
    """The store key of `ticket`: `TICKET_KEY_PREFIX` and 28 hex digits of its SHA-256."""
    digest = hashlib.sha256(ticket.encode("ascii", "replace")).hexdigest()
    return TICKET_KEY_PREFIX + digest[:28]


@frozen
class TicketPlan:
    """A ticket to hand the client, and the store write that makes it redeemable.

    The repr shows neither the ticket nor the cookie: both are bearer credentials.
    """

    ticket: str = field(repr=False)
    key: str = field(repr=False)
    value: bytes = field(repr=False)
    ttl: int


def plan_ticket(
    fmt: Format, cookie_value: str, entropy: bytes, ttl: float, now: float
) -> TicketPlan | Failure:
    """A ticket for session cookie value `cookie_value`, good for `ttl` seconds from `now`.

    `cookie_value` is the value of `fmt`'s cookie as the request carried it; it must verify
    (`fmt.read_cookie`) now, or its failure is returned: a ticket for a cookie that no socket
    could use would only fail later, farther from the mistake. `entropy` is `TICKET_BYTES`
    random bytes from the shell. A `ttl` that is not between 0 and `MAX_TICKET_TTL` seconds
    is a ValueError: that is configuration, not input.
    """
    if not isinstance(ttl, int | float) or not 0 < ttl <= MAX_TICKET_TTL:
        raise ValueError(f"a ticket's ttl must be more than 0 and at most {MAX_TICKET_TTL} s")
    if len(entropy) < TICKET_BYTES:
        raise ValueError(f"a ticket needs {TICKET_BYTES} random bytes")
    if not isinstance(cookie_value, str):
        return Failure.malformed(fmt.key, "the value to issue a ticket for is not a string")
    verdict = resolve_value(unquote(cookie_value), fmt, now)
    if not isinstance(verdict, SessionRef | ClientSession):
        return verdict
    ticket = base64.urlsafe_b64encode(entropy[:TICKET_BYTES]).rstrip(b"=").decode("ascii")
    kept = math.ceil(ttl) + TICKET_GRACE
    record = {
        "v": TICKET_VERSION,
        "name": fmt.key,
        "cookie": cookie_value,
        "expires": now + ttl,
        "_session_expiry": kept,
    }
    value = json.dumps(record, sort_keys=True, separators=(",", ":")).encode("ascii")
    return TicketPlan(ticket, ticket_key(ticket), value, kept)


def ticket_in(auth: Any) -> str | Failure | None:
    """The ticket in a handshake's ``auth`` payload: None when it carries none.

    Only an object with a ``"ticket"`` member carries one (anything else a client may send,
    a list, a string of any size, None, is simply no ticket). A ticket that is not a string
    of 43 URL-safe base64 characters is ``bad-ticket``, refused before any store is asked.
    """
    if not isinstance(auth, dict) or "ticket" not in auth:
        return None
    ticket = auth["ticket"]
    if not isinstance(ticket, str) or len(ticket) != 43 or not _TICKET.fullmatch(ticket):
        return Failure.bad_ticket("it is not a ticket sessio issues (43 URL-safe characters)")
    return ticket


def redeem(raw: bytes | None, fmt: Format, now: float) -> str | Failure:
    """The cookie value a ticket's store record names, unquoted, judged at `now`.

    `raw` is what the store gave up when the ticket was taken (None: nothing there). Never
    raises: nothing there (never issued, already used, long expired) and anything that is no
    record of ours (another format's cookie name included) are ``bad-ticket``; a record past
    its expiry is ``ticket-expired``.
    """
    if raw is None:
        return Failure.bad_ticket("no such ticket (never issued, already used, or expired)")
    if len(raw) > _MAX_RECORD:
        return Failure.bad_ticket("its stored record is not one of sessio's")
    try:
        record: Any = json.loads(raw)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return Failure.bad_ticket("its stored record is not JSON")
    if not isinstance(record, dict) or record.get("v") != TICKET_VERSION:
        return Failure.bad_ticket("its stored record is not a version-1 ticket")
    cookie, name, expires = record.get("cookie"), record.get("name"), record.get("expires")
    if not isinstance(cookie, str) or not isinstance(expires, int | float) or name != fmt.key:
        return Failure.bad_ticket(f"it was not issued for cookie {fmt.key!r}")
    if isinstance(expires, bool) or not math.isfinite(expires):
        return Failure.bad_ticket("its stored expiry is not a time")
    if expires <= now:
        return Failure.ticket_expired(now - expires)
    return unquote(cookie)
