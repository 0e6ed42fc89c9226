"""Django's ``sessionid``: ``signed_cookies`` against ``django.core.signing``, and the
session-key cookies of the ``db`` backend and of `django_native`.

Modes (the first byte): 0 the input is the Cookie header; 1 and 2 the input is the session
JSON, signed by Django's own ``TimestampSigner`` (2: zlib-compressed first); 3 the input is
the payload, signed as it is; 4 like 1 under the fallback key. sessio accepts exactly what
``signed_cookies.SessionStore.load`` accepts, with the same data and secret index; a session
key is accepted exactly when it is 8+ characters of ``[a-z0-9]``.
"""

from __future__ import annotations

import string

import django.core.signing
import refs
from harness import NOW, SECRET, SECRET_OLD, entry, expect, instrumented, split, text

with instrumented(exclude=["sessio.core._cookies"]):
    from cookies_common import Header, accepted, verdicts

    from sessio.core import SessionRef
    from sessio.formats import django as django_format
    from sessio.formats import django_native

SIGNED = django_format(SECRET, fallbacks=[SECRET_OLD])
DB = django_format(SECRET, fallbacks=[SECRET_OLD], backend="db")
NATIVE = django_native()
_KEY_CHARS = frozenset(string.ascii_lowercase + string.digits)


def header_for(mode: int, rest: bytes) -> str:
    """The Cookie header the mode makes of the input."""
    if mode == 0:
        return text(rest)
    if mode == 3:
        base64d = rest.decode("latin-1")  # Django signs text; keep every byte
    elif mode == 2:
        base64d = "." + django.core.signing.b64_encode(refs.compress(rest)).decode()
    else:
        base64d = django.core.signing.b64_encode(rest).decode()
    key = SECRET_OLD if mode == 4 else SECRET
    refs.at(NOW)
    signer = django.core.signing.TimestampSigner(key=key, salt=refs.DJANGO_SALT)
    return "sessionid=" + signer.sign(base64d)


def exercise(data: bytes) -> object:
    """resolve and read_cookie on the header, for the three formats."""
    now, mode, rest = split(data, 5)
    header = Header.of(header_for(mode, rest), now)
    return header, mode, verdicts(SIGNED, header), verdicts(DB, header), verdicts(NATIVE, header)


def check(data: bytes, result: object) -> None:
    """Django's verdicts."""
    header, mode, (_, direct), (_, db), (_, native) = result  # type: ignore[misc]
    value = header.value(SIGNED)
    loaded = refs.django_loads(value, header.now)
    accepts = isinstance(loaded, dict)
    expect(accepted(direct) == accepts, "django:verdict-differs", f"{direct!r}"[:300])
    if accepts:
        expect(refs.same(dict(direct.data), loaded), "django:data-differs")
        if mode:  # seeds in mode 0 may be signed with either key
            expect(direct.secret_index == (1 if mode == 4 else 0), "django:secret-index")
    is_key = len(value) >= 8 and _KEY_CHARS.issuperset(value)
    for verdict in (db, native):
        expect(isinstance(verdict, SessionRef) == is_key, "django:session-key")
        if is_key:
            expect(verdict.session_id == value, "django:session-key-sid")


if __name__ == "__main__":
    entry("cookie_django", exercise, check)
