"""Django's ``session_data`` (``db`` and ``file`` backends) and `django_native`'s canonical
JSON: `stores_common` on any bytes.

Modes (the first byte): 0 the input is the stored bytes; 1 and 2 the input is the session
JSON, signed as ``SessionBase.encode`` signs it, by Django's own ``TimestampSigner`` (2:
zlib-compressed first). `django_native` always decodes the input itself.
"""

from __future__ import annotations

import django.core.signing
import refs
from harness import NOW, SECRET, SECRET_OLD, entry, instrumented, split

with instrumented(exclude=["sessio.core._cookies"]):
    from stores_common import roundtrip

    from sessio.formats import django as django_format
    from sessio.formats import django_native

DB = django_format(SECRET, fallbacks=[SECRET_OLD], backend="db")
FILE = django_format(SECRET, fallbacks=[SECRET_OLD], backend="file")
NATIVE = django_native()
_SALT = "django.contrib.sessions.SessionStore"


def session_data(mode: int, rest: bytes) -> bytes:
    """The stored bytes the mode makes of the input."""
    if mode == 0:
        return rest
    if mode == 2:
        base64d = "." + django.core.signing.b64_encode(refs.compress(rest)).decode()
    else:
        base64d = django.core.signing.b64_encode(rest).decode()
    refs.at(NOW)
    return django.core.signing.TimestampSigner(key=SECRET, salt=_SALT).sign(base64d).encode()


def exercise(data: bytes) -> object:
    """Decode, round-trip and save, for the three formats."""
    now, mode, rest = split(data, 6)
    raw = session_data(mode % 3, rest)
    flags = mode // 3 * 3
    return (
        roundtrip(DB, raw, now, flags),
        roundtrip(FILE, raw, now, flags),
        roundtrip(NATIVE, rest, now, flags),
    )


if __name__ == "__main__":
    entry("store_django", exercise)
