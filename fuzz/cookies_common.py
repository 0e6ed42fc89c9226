"""The checks every cookie target runs: `resolve` on the header, `read_cookie` on the value.

`resolve` catches what a format raises (a bug must not crash the server), which would hide a
format's bug from a fuzzer: so each format's `read_cookie` is also called directly, and must
not raise either.
"""

from __future__ import annotations

from typing import Any

import attrs
from harness import expect, expect_no_leak, expect_session_data, expect_verdict

from sessio.core import ClientSession, CookieFormat, Format, SessionRef, StoreFormat, resolve
from sessio.core._cookies import parse_cookie_header


@attrs.frozen
class Header:
    """One input as a Cookie header, parsed once for every format a target runs it through."""

    text: str
    now: float
    cookies: dict[str, str]

    @classmethod
    def of(cls, header: str, now: float) -> Header:
        """The header and its cookies (`find_cookie` agrees: the cookie_header target checks)."""
        return cls(header, now, parse_cookie_header(header))

    def value(self, fmt: Format) -> str:
        """What `read_cookie` is given: the format's cookie, else the whole input."""
        found = self.cookies.get(fmt.key)
        return self.text if found is None else found


def verdicts(fmt: Format, header: Header) -> tuple[Any, Any]:
    """`resolve(header)` and `read_cookie(value)`, checked; both are returned."""
    now = header.now
    verdict = resolve(header.text, fmt, now)
    expect_verdict(verdict)
    found = header.cookies.get(fmt.key)
    # Cookie values, but not those that are also (part of) a cookie name: a no-cookie failure
    # lists the names, and a hostile header can make a name out of any value.
    names = list(header.cookies)
    values = [v for v in header.cookies.values() if not any(v in n for n in names)]
    expect_no_leak(verdict, values if found is None else [*values, found])
    value = header.value(fmt)
    direct = fmt.read_cookie(value, now)
    expect_verdict(direct)
    expect_no_leak(direct, [value])
    if found is not None:
        expect(
            verdict == direct or repr(verdict) == repr(direct),
            f"{fmt.name}:resolve-vs-read_cookie",
            f"{verdict!r} != {direct!r}"[:300],
        )
    for answer in (verdict, direct):
        if isinstance(answer, SessionRef):
            # Only a store format names a stored session.
            expect(isinstance(fmt, StoreFormat), f"{fmt.name}:ref-from-cookie-format")
            if isinstance(fmt, StoreFormat):
                expect(answer.key == fmt.store_key(answer.session_id), f"{fmt.name}:store-key")
        if isinstance(answer, ClientSession):
            # A socket cannot write a cookie session: only a cookie format, which has nothing
            # to write with, gives one.
            expect(isinstance(fmt, CookieFormat), f"{fmt.name}:client-session-writable")
            expect_session_data(answer.data, fmt.name)
    return verdict, direct


def accepted(verdict: object) -> bool:
    """A verdict that gives the socket a session."""
    return isinstance(verdict, SessionRef | ClientSession)
