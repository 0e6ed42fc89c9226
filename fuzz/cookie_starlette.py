"""Starlette's ``SessionMiddleware`` cookie, against itsdangerous + Starlette's own decoding.

Modes (the first byte): 0 the input is the Cookie header; 1 the input is the session JSON,
base64-encoded and signed with itsdangerous's ``TimestampSigner`` as the middleware does; 2
the input is the payload, signed as it is. sessio accepts exactly what Starlette accepts.
"""

from __future__ import annotations

import base64

import refs
from harness import NOW, SECRET, entry, expect, instrumented, split, text

with instrumented(exclude=["sessio.core._cookies"]):
    from cookies_common import Header, accepted, verdicts

    from sessio.formats import starlette

FMT = starlette(SECRET)


def header_for(mode: int, rest: bytes) -> str:
    """The Cookie header the mode makes of the input."""
    if mode == 0:
        return text(rest)
    payload = base64.b64encode(rest) if mode == 1 else rest
    refs.at(NOW)
    return "session=" + text(refs.STARLETTE_SIGNER.sign(payload))


def exercise(data: bytes) -> object:
    """resolve and read_cookie on the header."""
    now, mode, rest = split(data, 3)
    header = Header.of(header_for(mode, rest), now)
    return header, verdicts(FMT, header)


def check(data: bytes, result: object) -> None:
    """Starlette's verdict."""
    header, (_, direct) = result  # type: ignore[misc]
    loaded = refs.starlette_loads(header.value(FMT), header.now)
    accepts = isinstance(loaded, dict)
    expect(accepted(direct) == accepts, "starlette:verdict-differs", f"{direct!r}"[:300])
    if accepts:
        expect(refs.same(dict(direct.data), loaded), "starlette:data-differs")


if __name__ == "__main__":
    entry("cookie_starlette", exercise, check)
