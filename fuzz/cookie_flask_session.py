"""Flask-Session's ``session`` cookie: a bare sid, or one signed with ``SESSION_USE_SIGNER``.

Modes (the first byte): 0 the input is the Cookie header; 1 the input is a sid, signed by
itsdangerous's ``Signer`` as Flask-Session signs it. The signed format accepts exactly what
Flask-Session's ``_unsign`` accepts, with the same sid; the unsigned one takes any non-empty
value as the sid.
"""

from __future__ import annotations

import refs
from harness import SECRET, entry, expect, instrumented, split, text

with instrumented(exclude=["sessio.core._cookies"]):
    from cookies_common import Header, accepted, verdicts

    from sessio.core import SessionRef
    from sessio.formats import flask_session

SIGNED = flask_session(SECRET, use_signer=True)
UNSIGNED = flask_session()


def exercise(data: bytes) -> object:
    """resolve and read_cookie on the header, both formats."""
    now, mode, rest = split(data, 2)
    raw = text(rest)
    if mode == 1:
        raw = "session=" + text(refs.FLASK_SESSION_SIGNER.sign(rest))
    header = Header.of(raw, now)
    return header, verdicts(SIGNED, header), verdicts(UNSIGNED, header)


def check(data: bytes, result: object) -> None:
    """Flask-Session's verdicts."""
    header, (_, signed), (_, unsigned) = result  # type: ignore[misc]
    value = header.value(SIGNED)
    sid = refs.flask_session_sid(value) if value else refs.REJECT
    expect(accepted(signed) == (sid is not refs.REJECT), "flask_session:verdict-differs")
    if isinstance(signed, SessionRef):
        expect(signed.session_id == sid, "flask_session:sid-differs")
    expect(isinstance(unsigned, SessionRef) == bool(value), "flask_session:unsigned")
    if isinstance(unsigned, SessionRef):
        expect(unsigned.session_id == value, "flask_session:unsigned-sid")


if __name__ == "__main__":
    entry("cookie_flask_session", exercise, check)
