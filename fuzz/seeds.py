"""Write the seed corpora (``fuzz/seeds/<target>/``) with the real frameworks.

Cookies and store bytes come from Flask's session interface, itsdangerous, Django's signing,
Fernet, `http.cookies` (as aiohttp-session sets cookies), msgspec (as Flask-Session stores)
and express-session's layout; never from sessio's own signing. Their clocks are frozen at
`harness.NOW`, so the targets read them fresh. Run: ``.venv/bin/python fuzz/seeds.py``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.cookies
import json
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import django.core.signing
import msgspec
import refs
from harness import FERNET_KEY, NOW, SECRET, SECRET_OLD
from markupsafe import Markup

SEEDS = Path(__file__).resolve().parent / "seeds"
FRESH = b"\x00"  # the first byte: read at NOW, mode 0 (the input is the header / the bytes)


def mode(m: int) -> bytes:
    """The first byte for mode `m`, read at NOW."""
    return bytes([m * 6])


SESSIONS: list[dict[str, object]] = [
    {},
    {"user_id": 42},
    {"user": "alice", "cart": [1, 2, {"sku": "x", "qty": 3}], "flag": True, "none": None},
    {"unicode": "h\u00e9llo \u2603 \U0001f600", "quote": 'a"b\\c;d,e'},
    {"_session_expiry": 3600, "n": 1.5},
    {"_session_expiry": "2027-01-15T12:00:00+00:00"},
    {"big": "x" * 600},
    {"nested": {"a": {"b": {"c": [[[]]]}}}},
]


def write(target: str, seeds: list[bytes]) -> None:
    folder = SEEDS / target
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for seed in seeds:
        (folder / hashlib.sha1(seed).hexdigest()[:16]).write_bytes(seed)


def flask_cookies() -> list[bytes]:
    refs.at(NOW)
    tagged: list[dict[str, object]] = [
        *SESSIONS,
        {"t": (1, "a"), "b": b"\x00\xff", "m": Markup("<b>hi</b>"), "u": uuid.UUID(int=7)},
        {"d": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), " t": "looks like a tag"},
        {"_permanent": True, "_flashes": [("message", "hi")]},
    ]
    out = []
    for session in tagged:
        out.append(FRESH + b"session=" + refs.FLASK_SERIALIZER.dumps(session).encode())
        out.append(mode(1) + refs.FLASK_SERIALIZER.serializer.dumps(session).encode())
    old = refs.FLASK_OLD_SERIALIZER.dumps({"user_id": 1}).encode()
    out.append(FRESH + b"a=1; session=" + old + b"; b=2")
    return out


def starlette_cookies() -> list[bytes]:
    refs.at(NOW)
    out = []
    for session in SESSIONS:
        data = base64.b64encode(json.dumps(session).encode())
        out.append(FRESH + b"session=" + refs.STARLETTE_SIGNER.sign(data))
        out.append(mode(1) + json.dumps(session).encode())
    return out


def django_cookies() -> list[bytes]:
    refs.at(NOW)
    out = []
    for session in SESSIONS:
        cookie = django.core.signing.dumps(
            session, salt=refs.DJANGO_SALT, compress=True, key=SECRET
        )
        out.append(FRESH + b"sessionid=" + cookie.encode())
        out.append(mode(1) + json.dumps(session, separators=(",", ":")).encode())
    old = django.core.signing.dumps({"a": 1}, salt=refs.DJANGO_SALT, key=SECRET_OLD)
    out.append(FRESH + b"csrftoken=abc; sessionid=" + old.encode())
    out.append(FRESH + b"sessionid=" + b"abcdefghij0123456789klmnopqrstuv")
    return out


def flask_session_cookies() -> list[bytes]:
    out = []
    for sid in ("x" * 43, base64.urlsafe_b64encode(bytes(32)).decode().rstrip("=")):
        out.append(FRESH + b"session=" + sid.encode())
        out.append(FRESH + b"session=" + refs.FLASK_SESSION_SIGNER.sign(sid))
        out.append(mode(1) + sid.encode())
    return out


def express_cookies() -> list[bytes]:
    # cookie-signature's sign() and express-session's encodeURIComponent, step by step.
    out = []
    for sid in ("kX9fA-3bQ_zzYt0mW1r2s3t4u5v6w7x8", "a.b.c", "ünï"):
        for secret in (SECRET, SECRET_OLD):
            mac = hmac.new(secret.encode(), sid.encode(), hashlib.sha256).digest()
            signed = "s:" + sid + "." + base64.b64encode(mac).decode().rstrip("=")
            out.append(FRESH + b"connect.sid=" + quote(signed, safe="-_.!~*'()").encode())
        out.append(FRESH + b"connect.sid=" + sid.encode())
    out.append(FRESH + b'io=abc, connect.sid="s%3Aabc.def"; other=1')
    return out


def aiohttp_cookies() -> list[bytes]:
    out = []
    fernet = refs.FERNETS[0]
    for session in SESSIONS:
        document = json.dumps({"created": int(NOW), "session": session} if session else {})
        cookie = http.cookies.SimpleCookie()
        cookie["AIOHTTP_SESSION"] = document
        out.append(FRESH + cookie.output(header="", attrs=[]).strip().encode())
        token = fernet.encrypt_at_time(document.encode(), int(NOW)).decode()
        out.append(FRESH + b"AIOHTTP_SESSION=" + token.encode())
        out.append(mode(1) + document.encode())
    out.append(FRESH + b"AIOHTTP_SESSION=" + uuid.UUID(int=5).hex.encode())
    assert FERNET_KEY
    return out


def header_seeds() -> list[bytes]:
    cookie = http.cookies.SimpleCookie()
    cookie["AIOHTTP_SESSION"] = '{"created": 1, "session": {"a": "b;c"}}'
    return [
        b"a=1; b=2",
        b"session=abc;connect.sid=s%3Ax.y",
        b"io=x,session=y",
        b'a="quoted; value"; session="\\054\\"x"',
        cookie.output(header="", attrs=[]).strip().encode(),
        b"a=1,2; b",
        b"connect.sid=1; connect.sid=2",
    ]


def store_seeds() -> dict[str, list[bytes]]:
    express = []
    for session in SESSIONS:
        document = {
            "cookie": {
                "originalMaxAge": 3600000,
                "expires": "2027-01-15T08:00:00.000Z",
                "httpOnly": True,
                "path": "/",
            },
            **session,
        }
        express.append(FRESH + json.dumps(document, separators=(",", ":")).encode())
    express.append(FRESH + b'{"cookie":{"originalMaxAge":null,"expires":null},"n":1}')
    flask_session = []
    for session in SESSIONS:
        document = {"_permanent": True, **session}
        flask_session.append(FRESH + msgspec.msgpack.encode(document))
        flask_session.append(FRESH + msgspec.json.encode(document))
    refs.at(NOW)
    django_seeds = []
    for session in SESSIONS:
        data = django.core.signing.dumps(
            session, salt="django.contrib.sessions.SessionStore", compress=True, key=SECRET
        )
        django_seeds.append(FRESH + data.encode())
        canonical = json.dumps(session, sort_keys=True, separators=(",", ":"))
        django_seeds.append(mode(1) + canonical.encode())
    aiohttp = [
        FRESH + json.dumps({"created": int(NOW), "session": s} if s else {}).encode()
        for s in SESSIONS
    ]
    return {
        "store_express": express,
        "store_flask_session": flask_session,
        "store_django": django_seeds,
        "store_aiohttp": aiohttp,
    }


def main() -> None:
    """Write every target's seeds."""
    write("cookie_flask", flask_cookies())
    write("cookie_starlette", starlette_cookies())
    write("cookie_django", django_cookies())
    write("cookie_flask_session", flask_session_cookies())
    write("cookie_express", express_cookies())
    write("cookie_aiohttp", aiohttp_cookies())
    write("cookie_header", header_seeds())
    write(
        "uri_component",
        [quote(s, safe="-_.!~*'()").encode() for s in ("s:abc.def+/=", "ünï ☃ 😀", "%", "a%2")],
    )
    write(
        "control",
        [
            b'{"op": "disconnect", "room": "sessio:abc", "reason": "logout"}',
            b'{"op": "disconnect", "room": "sessio:x", "reason": "' + b"r" * 100 + b'"}',
            b'{"op": "other"}',
        ],
    )
    for target, seeds in store_seeds().items():
        write(target, seeds)


if __name__ == "__main__":
    main()
