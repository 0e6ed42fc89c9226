"""Flask's signed cookie session, against Flask's own ``SecureCookieSessionInterface``.

Modes (the first byte): 0 the input is the Cookie header; 1 and 2 the input is the session
JSON, which Flask's own signer signs (2: zlib-compressed first, as Flask does for long
sessions); 3 the input is the payload, signed as it is; 4 like 1 under the fallback key.
sessio accepts exactly what Flask accepts, with the same data and secret index.
"""

from __future__ import annotations

import itsdangerous.encoding
import refs
from harness import NOW, SECRET, SECRET_OLD, entry, expect, instrumented, split, text

with instrumented(exclude=["sessio.core._cookies"]):
    from cookies_common import Header, accepted, verdicts

    from sessio.formats import flask

FMT = flask(SECRET, fallbacks=[SECRET_OLD])


def header_for(mode: int, rest: bytes) -> str:
    """The Cookie header the mode makes of the input."""
    if mode == 0:
        return text(rest)
    if mode == 3:
        payload = rest
    elif mode == 2:
        payload = b"." + itsdangerous.encoding.base64_encode(refs.compress(rest))
    else:
        payload = itsdangerous.encoding.base64_encode(rest)
    serializer = refs.FLASK_OLD_SERIALIZER if mode == 4 else refs.FLASK_SERIALIZER
    refs.at(NOW)
    signed = serializer.make_signer(serializer.salt).sign(payload)
    return "session=" + text(signed)


def exercise(data: bytes) -> object:
    """resolve and read_cookie on the header."""
    now, mode, rest = split(data, 5)
    header = Header.of(header_for(mode, rest), now)
    return header, mode, verdicts(FMT, header)


def check(data: bytes, result: object) -> None:
    """Flask's verdict."""
    header, mode, (_, direct) = result  # type: ignore[misc]
    loaded = refs.flask_loads(header.value(FMT), header.now)
    flask_accepts = isinstance(loaded, dict)
    expect(accepted(direct) == flask_accepts, "flask:verdict-differs", f"{direct!r}"[:300])
    if flask_accepts:
        expect(refs.same(dict(direct.data), refs.plain(loaded)), "flask:data-differs")
        if mode:  # seeds in mode 0 may be signed with either key
            expect(direct.secret_index == (1 if mode == 4 else 0), "flask:secret-index")


if __name__ == "__main__":
    entry("cookie_flask", exercise, check)
