"""The real frameworks as references: what each makes of a cookie value at a given `now`.

Each ``*_loads`` returns the session the framework would hand its request handler, or
`REJECT` when it would give the request a new, empty session (a bad signature, an expired
cookie) or fail the request (an exception it lets through). Their clocks read `CLOCK`.
"""

from __future__ import annotations

import base64
import json
import math
import time
import zlib
from typing import Any

import aiohttp_session
import cryptography.fernet
import django
import django.core.signing
import itsdangerous
import itsdangerous.timed
from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from flask import Flask
from harness import FERNET_KEY, FERNET_OLD_KEY, NOW, SECRET, SECRET_OLD
from markupsafe import Markup

REJECT = object()
CLOCK = [NOW]


class _Clock:
    """Stands in for the ``time`` module inside the frameworks: `CLOCK` is the time."""

    @staticmethod
    def time() -> float:
        return CLOCK[0]

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


for _module in (itsdangerous.timed, django.core.signing, aiohttp_session, cryptography.fernet):
    _module.time = _Clock()  # type: ignore[attr-defined]

settings.configure(SECRET_KEY=SECRET, SECRET_KEY_FALLBACKS=[SECRET_OLD], USE_TZ=True)
django.setup()

FLASK_LIFETIME = 2678400
_app = Flask("fuzz")
_app.secret_key = SECRET
_app.config["SECRET_KEY_FALLBACKS"] = [SECRET_OLD]
FLASK_SERIALIZER = _app.session_interface.get_signing_serializer(_app)  # type: ignore[attr-defined]
assert FLASK_SERIALIZER is not None
FLASK_OLD_SIGNER = Flask("fuzz-old")
FLASK_OLD_SIGNER.secret_key = SECRET_OLD
FLASK_OLD_SERIALIZER = FLASK_OLD_SIGNER.session_interface.get_signing_serializer(  # type: ignore[attr-defined]
    FLASK_OLD_SIGNER
)

STARLETTE_SIGNER = itsdangerous.TimestampSigner(str(SECRET))
STARLETTE_MAX_AGE = 1209600

DJANGO_SALT = "django.contrib.sessions.backends.signed_cookies"
DJANGO_MAX_AGE = 1209600

FLASK_SESSION_SIGNER = itsdangerous.Signer(SECRET, salt="flask-session", key_derivation="hmac")

AIOHTTP_MAX_AGE = 86400
FERNETS = (
    Fernet(base64.urlsafe_b64encode(FERNET_KEY)),
    Fernet(base64.urlsafe_b64encode(FERNET_OLD_KEY)),
)


def at(now: float) -> None:
    """Set the frameworks' clock."""
    CLOCK[0] = now


def flask_loads(value: str, now: float) -> Any:
    """``SecureCookieSessionInterface.open_session`` for one cookie value."""
    at(now)
    try:
        return FLASK_SERIALIZER.loads(value, max_age=FLASK_LIFETIME)
    except Exception:  # BadSignature: an empty session; anything else fails the request
        return REJECT


def starlette_loads(value: str, now: float) -> Any:
    """``SessionMiddleware.__call__`` for one cookie value."""
    at(now)
    try:
        data = STARLETTE_SIGNER.unsign(value.encode("utf-8"), max_age=STARLETTE_MAX_AGE)
        return json.loads(base64.b64decode(data))
    except Exception:
        return REJECT


def django_loads(value: str, now: float) -> Any:
    """``signed_cookies.SessionStore.load`` for one cookie value (any error: empty session)."""
    at(now)
    try:
        return django.core.signing.loads(
            value,
            salt=DJANGO_SALT,
            serializer=django.core.signing.JSONSerializer,
            max_age=DJANGO_MAX_AGE,
        )
    except Exception:
        return REJECT


def flask_session_sid(value: str) -> Any:
    """Flask-Session 0.8's ``_unsign``: the sid, or REJECT (a new session)."""
    try:
        return FLASK_SESSION_SIGNER.unsign(value).decode()
    except Exception:
        return REJECT


def aiohttp_session_data(text: str, now: float, max_age: int | None) -> Any:
    """``Session(None, data=json.loads(text), new=False, max_age)``: its data, or REJECT."""
    at(now)
    try:
        session = aiohttp_session.Session(None, data=json.loads(text), new=False, max_age=max_age)
        return dict(session)
    except Exception:
        return REJECT


def fernet_open(token: str, now: float, max_age: int | None) -> Any:
    """EncryptedCookieStorage's decrypt with each key: the text, or REJECT."""
    at(now)
    for fernet in FERNETS:
        try:
            return fernet.decrypt(token.encode("utf-8"), ttl=max_age).decode("utf-8")
        except InvalidToken:
            continue
        except Exception:
            return REJECT
    return REJECT


def plain(value: Any) -> Any:
    """Markup as str, as sessio hands it out."""
    if isinstance(value, Markup):
        return str(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, tuple):
        return tuple(plain(v) for v in value)
    return value


def same(a: Any, b: Any) -> bool:
    """Equal, with the same types all the way down; NaN equals NaN."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


def compress(data: bytes) -> bytes:
    """zlib at the default level, as itsdangerous and Django compress."""
    return zlib.compress(data)
