"""The Cookie header parser: `parse_cookie_header`, `find_cookie`, `unquote`.

Invariants: nothing raises; `find_cookie(h, n)` is `parse_cookie_header(h).get(n)` (its
documented contract: the fast path must agree with the full parse); a value quoted by
`http.cookies` (how aiohttp-session sets its cookies) reads back as itself, whatever cookies
stand around it.
"""

from __future__ import annotations

import http.cookies

from harness import entry, expect, instrumented, text

with instrumented():
    from sessio.core._cookies import find_cookie, parse_cookie_header, unquote

# Two real cookie names (one with a dot), a one-letter one, and below the first two names the
# header itself holds: find_cookie treats every name alike, and each lookup scans the whole
# header, so more names per input cost executions without reaching new code.
_NAMES = ("session", "connect.sid", "a")


def exercise(data: bytes) -> object:
    """Parse the input as a header, look names up both ways, and round-trip it as a value."""
    header = text(data)
    cookies = parse_cookie_header(header)
    expect(isinstance(cookies, dict), "parse-type")
    for name in (*_NAMES, *list(cookies)[:2]):
        found = find_cookie(header, name)
        expect(found == cookies.get(name), "find-vs-parse", f"{name!r}: {found!r}")
    for piece in header.split(";")[:8]:
        expect(isinstance(unquote(piece.strip()), str), "unquote-type")
    # http.cookies quotes a value (octal escapes, double quotes) for Set-Cookie; the browser
    # sends it back verbatim. Put it between other cookies, as a browser would.
    quoted = http.cookies.SimpleCookie().value_encode(header)[1]
    joined = f"a=1; AIOHTTP_SESSION={quoted}; b=2"
    around = parse_cookie_header(joined)
    expect(around.get("AIOHTTP_SESSION") == header, "quote-roundtrip")
    expect(find_cookie(joined, "AIOHTTP_SESSION") == header, "quote-roundtrip-find")
    expect(around.get("b") == "2", "quote-roundtrip-next")
    return cookies


if __name__ == "__main__":
    entry("cookie_header", exercise)
