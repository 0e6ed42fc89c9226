"""aiohttp-session's cookie: SimpleCookieStorage, EncryptedCookieStorage and RedisStorage.

Modes (the first byte): 0 the input is the Cookie header; 1 the input is the session JSON,
quoted by `http.cookies` as aiohttp sets it, and also encrypted with Fernet (2: under the
older key) for the encrypted storage. The cookie storages agree with aiohttp-session's own
``Session`` (and Fernet): the same data when it has any, and no session when it has none.
"""

from __future__ import annotations

import http.cookies

import refs
from harness import FERNET_KEY, FERNET_OLD_KEY, NOW, entry, expect, instrumented, split, text

with instrumented(exclude=["sessio.core._cookies"]):
    from cookies_common import Header, verdicts

    from sessio.core import ClientSession, Failure, SessionRef
    from sessio.formats import aiohttp

MAX_AGE = refs.AIOHTTP_MAX_AGE
SIMPLE = aiohttp("simple", max_age=MAX_AGE)
ENCRYPTED = aiohttp("encrypted", fernet_key=[FERNET_KEY, FERNET_OLD_KEY], max_age=MAX_AGE)
REDIS = aiohttp("redis", max_age=MAX_AGE)


def exercise(data: bytes) -> object:
    """resolve and read_cookie on the header(s), for the three storages."""
    now, mode, rest = split(data, 3)
    if mode == 0:
        plain = encrypted = Header.of(text(rest), now)
    else:
        quoted = http.cookies.SimpleCookie().value_encode(text(rest))[1]
        plain = Header.of(f"AIOHTTP_SESSION={quoted}", now)
        fernet = refs.FERNETS[mode - 1]
        token = fernet.encrypt_at_time(rest, int(NOW)).decode()
        encrypted = Header.of(f"AIOHTTP_SESSION={token}", now)
    return (
        plain,
        encrypted,
        verdicts(SIMPLE, plain),
        verdicts(ENCRYPTED, encrypted),
        verdicts(REDIS, plain),
    )


def _agrees(verdict: object, loaded: object, ident: str) -> None:
    if isinstance(verdict, ClientSession) and verdict.data:
        expect(loaded is not refs.REJECT, f"{ident}:accepts-what-aiohttp-rejects")
        expect(refs.same(dict(verdict.data), loaded), f"{ident}:data-differs")
    if isinstance(loaded, dict) and loaded and not _refused_on_purpose(verdict):
        expect(isinstance(verdict, ClientSession), f"{ident}:rejects-what-aiohttp-accepts")


def _refused_on_purpose(verdict: object) -> bool:
    # A deliberate difference: aiohttp-session takes a `created` of Infinity or NaN (which
    # Python's json reads) and, with max_age, such a session never expires; sessio refuses it.
    return isinstance(verdict, Failure) and "'created' is not a number" in verdict.message


def check(data: bytes, result: object) -> None:
    """aiohttp-session's verdicts."""
    plain, encrypted, (_, simple), (_, secret), (_, redis) = result  # type: ignore[misc]
    value = plain.value(SIMPLE)
    _agrees(simple, refs.aiohttp_session_data(value, plain.now, MAX_AGE), "aiohttp-simple")
    opened = refs.fernet_open(encrypted.value(ENCRYPTED), encrypted.now, MAX_AGE)
    loaded = (
        refs.REJECT
        if opened is refs.REJECT
        else refs.aiohttp_session_data(opened, encrypted.now, MAX_AGE)
    )
    _agrees(secret, loaded, "aiohttp-encrypted")
    expect(isinstance(redis, SessionRef) == bool(value), "aiohttp-redis:key")


if __name__ == "__main__":
    entry("cookie_aiohttp", exercise, check)
