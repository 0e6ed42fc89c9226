"""The handshake: from a ``Cookie`` header to a verdict on the session it carries."""

from __future__ import annotations

from sessio.core._changes import MAX_NESTING, TOO_DEEP, nested_too_deep
from sessio.core._cookies import find_cookie, parse_cookie_header
from sessio.core._failures import Failure
from sessio.core._stored import StoredSession
from sessio.core._verdicts import ClientSession, SessionRef
from sessio.core.formats._base import Format, StoreFormat

__all__ = ["MAX_COOKIE_HEADER", "Verdict", "decode_stored", "resolve", "resolve_value"]

Verdict = SessionRef | ClientSession | Failure

#: The longest ``Cookie`` header `resolve` reads, in characters (a WSGI or ASGI server hands
#: the header over as Latin-1: one character per byte). Node's HTTP server refuses requests
#: with more than 16 KiB of headers in all, and nginx and Apache refuse a header line over
#: 8 KiB, so a longer header never reached the web app that set the cookie. Refusing it up
#: front bounds the work a hostile handshake can cause.
MAX_COOKIE_HEADER = 16 * 1024


def resolve(cookie_header: str | None, fmt: Format, now: float) -> Verdict:
    """Read `fmt`'s cookie from `cookie_header` and verify it at time `now` (Unix seconds).

    Returns `SessionRef` (a server-side session to load), `ClientSession` (the session is the
    cookie) or a `Failure`; never raises. A header longer than `MAX_COOKIE_HEADER` is a
    ``malformed-cookie`` failure, whatever it holds.
    """
    header = cookie_header or ""
    if len(header) > MAX_COOKIE_HEADER:
        return Failure.header_too_long(fmt.key, len(header), MAX_COOKIE_HEADER)
    value = find_cookie(header, fmt.key)
    if value is None:
        return Failure.no_cookie(fmt.key, parse_cookie_header(header))
    # `resolve_value`'s body, without its length check (the value is part of a header that
    # passed it): one call less on every handshake.
    try:
        verdict = fmt.read_cookie(value, now)
    except Exception as error:  # a format bug must not become a server crash
        return _unreadable(fmt, error)
    if (
        isinstance(verdict, ClientSession)
        and not fmt.checks_nesting
        and nested_too_deep(verdict.data)
    ):
        return _too_deep(fmt)
    return verdict


def resolve_value(value: str, fmt: Format, now: float) -> Verdict:
    """`resolve` for the value of `fmt`'s cookie itself (unquoted), found by other means.

    A socket ticket names a cookie value rather than a header (`sessio.core._tickets`): from
    here on it is judged exactly as if the browser had sent it. A value longer than
    `MAX_COOKIE_HEADER` is ``malformed-cookie``.
    """
    if len(value) > MAX_COOKIE_HEADER:
        return Failure.header_too_long(fmt.key, len(value), MAX_COOKIE_HEADER)
    try:
        verdict = fmt.read_cookie(value, now)
    except Exception as error:  # a format bug must not become a server crash
        return _unreadable(fmt, error)
    if (
        isinstance(verdict, ClientSession)
        and not fmt.checks_nesting
        and nested_too_deep(verdict.data)
    ):
        return _too_deep(fmt)
    return verdict


def _unreadable(fmt: Format, error: Exception) -> Failure:
    return Failure.malformed(
        fmt.key, f"the {fmt.name} format could not read it ({type(error).__name__})"
    )


def _too_deep(fmt: Format) -> Failure:
    return Failure.malformed(fmt.key, TOO_DEEP)


def decode_stored(
    ref: SessionRef, raw: bytes | None, fmt: StoreFormat, now: float
) -> StoredSession | Failure:
    """What the store answered for `ref` (None: nothing there), decoded by `fmt` at `now`.

    Never raises: no bytes are ``session-not-found``, bytes the format cannot read (or that
    nest too deeply) are ``corrupt-session``, and the format's own refusals pass through.
    """
    if raw is None:
        return Failure.not_found(ref.key, fmt.store_key(""))
    try:
        stored = fmt.decode(raw, now)
    except Exception as error:  # corrupt bytes must not crash the server
        return Failure.corrupt(f"the {fmt.name} decoder failed ({type(error).__name__})")
    if not isinstance(stored, StoredSession):
        return stored
    bound = fmt.nesting_bound(raw)
    if (bound is None or bound > MAX_NESTING) and (
        nested_too_deep(stored.data) or nested_too_deep(stored.meta)
    ):
        return Failure.corrupt(f"it nests more than {MAX_NESTING} levels deep")
    return stored
