"""Every cookie format: sessio's `resolve_value` against the framework's own decoder.

Run: .venv/bin/python benchmarks/formats_vs_frameworks.py [--cookies N] [--rounds R]
     [--instructions] [--only NAME ...]

For each format, N distinct cookies are made at start-up by the real framework (Flask's
session interface, Flask-Session's signer, Starlette's ``SessionMiddleware`` signer,
``django.core.signing``, aiohttp-session's ``EncryptedCookieStorage``), then decoded by the
framework exactly as it does on a request (below) and by ``sessio.core.resolve_value(value,
fmt, now)``, which verifies, decodes and hands out a verdict. Both sides must accept every
cookie and agree on the session data, or the script fails.

* time: the two sides take turns, R rounds of one pass over the N cookies each, and the
  figure is the median of the rounds' ratios (sessio / framework), with their spread;
* ``--instructions``: each side in its own process under valgrind's callgrind, once with 1
  pass and once with 4 passes over the same cookies, so that start-up (imports, making the
  cookies) cancels: (I(4) - I(1)) / (3 N) per cookie, a figure that load does not change.

What "the framework's own decoder" is, per format:

* flask: ``SecureCookieSessionInterface().get_signing_serializer(app).loads(value,
  max_age=PERMANENT_SESSION_LIFETIME)`` (itsdangerous ``URLSafeTimedSerializer`` with Flask's
  ``TaggedJSONSerializer``), as ``open_session`` does;
* flask_session: ``Signer(SECRET_KEY, salt="flask-session", key_derivation="hmac").unsign``,
  Flask-Session 0.8's signed session id (``use_signer``); sessio answers a `SessionRef`;
* starlette: ``json.loads(b64decode(middleware.signer.unsign(value, max_age)))``, the two
  lines of ``SessionMiddleware.__call__``, with the middleware's own signer;
* django / django_compressed: ``signing.loads(value, salt=..., serializer=JSONSerializer,
  max_age=SESSION_COOKIE_AGE)``, as the ``signed_cookies`` backend loads; the second with a
  session large enough that ``dumps`` compresses it;
* aiohttp: ``storage._decoder(storage._fernet.decrypt(value.encode(), ttl=max_age).decode())``,
  ``EncryptedCookieStorage.load_session``'s own lines.

Express's store values are not here: their framework decoder is Node's ``JSON.parse``, and
instructions or time across two runtimes compare the runtimes (`resolve_vs_node.py` compares
the handshake itself, where Node's modules do the same work).
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sessio import formats
from sessio.core import ClientSession, SessionRef
from sessio.core._handshake import resolve_value
from sessio.core.formats import Format

SECRET = "benchmark secret key that is long enough"
FORMATS = ("flask", "flask_session", "starlette", "django", "django_compressed", "aiohttp")

Decode = Callable[[str], Any]


class Case:
    """One format: its cookies, the framework's decoder and sessio's."""

    def __init__(
        self,
        cookies: list[str],
        framework: Decode,
        fmt: Format,
        now: float,
        data: Callable[[Any], Any],
    ) -> None:
        self.cookies = cookies
        self.framework = framework
        self.fmt = fmt
        self.now = now
        # What the framework's answer says the session is, to compare with sessio's.
        self.data = data

    def sessio(self, value: str) -> Any:
        return resolve_value(value, self.fmt, self.now)


def session(i: int) -> dict[str, Any]:
    """A small, realistic session: a user, a CSRF token, a few values; distinct per cookie."""
    return {
        "user_id": 1000 + i,
        "name": f"user-{i}",
        "csrf_token": secrets.token_hex(20),
        "cart": [i % 7, i % 11, 3],
        "dark_mode": bool(i % 2),
    }


def small_session(i: int) -> dict[str, Any]:
    """A login-sized session (a user id and a token) that ``dumps`` does not compress."""
    return {"_auth_user_id": str(1000 + i), "h": secrets.token_urlsafe(32)}


def large_session(i: int) -> dict[str, Any]:
    """A session that ``django.core.signing.dumps`` compresses: repetitive history."""
    return {
        **session(i),
        "history": [f"/products/{(i + k) % 50}/reviews?page={k % 3}" for k in range(24)],
    }


def flask_case(n: int) -> Case:
    import flask
    from flask.sessions import SecureCookieSessionInterface

    app = flask.Flask(__name__)
    app.secret_key = SECRET
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    assert serializer is not None
    cookies = [str(serializer.dumps(session(i))) for i in range(n)]
    max_age = int(app.permanent_session_lifetime.total_seconds())
    return Case(
        cookies,
        lambda value: serializer.loads(value, max_age=max_age),
        formats.flask(SECRET),
        time.time(),
        lambda answer: answer,
    )


def flask_session_case(n: int) -> Case:
    from itsdangerous import Signer

    # What flask_session.base.ServerSideSessionInterface._get_signer builds.
    signer = Signer(SECRET, salt="flask-session", key_derivation="hmac")
    cookies = [signer.sign(secrets.token_urlsafe(32)).decode() for _ in range(n)]
    return Case(
        cookies,
        lambda value: signer.unsign(value).decode(),
        formats.flask_session(SECRET, use_signer=True),
        time.time(),
        lambda answer: answer,
    )


def starlette_case(n: int) -> Case:
    from base64 import b64decode, b64encode

    from starlette.middleware.sessions import SessionMiddleware

    middleware = SessionMiddleware(None, secret_key=SECRET)  # type: ignore[arg-type]
    signer, max_age = middleware.signer, middleware.max_age
    # SessionMiddleware's send_wrapper, line by line.
    cookies = [
        signer.sign(b64encode(json.dumps(session(i)).encode("utf-8"))).decode("utf-8")
        for i in range(n)
    ]
    return Case(
        cookies,
        lambda value: json.loads(b64decode(signer.unsign(value.encode(), max_age=max_age))),
        formats.starlette(SECRET),
        time.time(),
        lambda answer: answer,
    )


def django_case(n: int, compressed: bool) -> Case:
    from django.conf import settings

    if not settings.configured:
        settings.configure(SECRET_KEY=SECRET)
    from django.contrib.sessions.serializers import JSONSerializer
    from django.core import signing

    salt = "django.contrib.sessions.backends.signed_cookies"
    # A session of a few keys does not shrink under zlib, so dumps leaves it as it is.
    make = large_session if compressed else small_session
    # SessionStore._get_session_key (signed_cookies): dumps(session, compress=True, ...).
    cookies: list[str] = []
    i = 0
    while len(cookies) < n:
        assert i < 100 * n, "dumps does not make this kind of cookie from these sessions"
        cookie = signing.dumps(make(i), compress=True, salt=salt, serializer=JSONSerializer)
        i += 1
        # zlib shrinks some small sessions by a byte or two: keep the kind this row measures.
        if cookie.startswith(".") == compressed:
            cookies.append(cookie)
    max_age = settings.SESSION_COOKIE_AGE
    return Case(
        cookies,
        lambda value: signing.loads(value, salt=salt, serializer=JSONSerializer, max_age=max_age),
        formats.django(SECRET, backend="signed_cookies"),
        time.time(),
        lambda answer: answer,
    )


def aiohttp_case(n: int) -> Case:
    from aiohttp_session.cookie_storage import EncryptedCookieStorage

    # aiohttp-session takes the raw 32 bytes (and base64-encodes them for Fernet itself).
    key = secrets.token_bytes(32)
    storage = EncryptedCookieStorage(key)
    fernet, encoder, decoder, max_age = (
        storage._fernet,
        storage._encoder,
        storage._decoder,
        storage.max_age,
    )
    # EncryptedCookieStorage.save_session: {"created": ..., "session": ...}, Fernet, text.
    cookies = [
        fernet.encrypt(
            encoder({"created": int(time.time()), "session": session(i)}).encode("utf-8")
        ).decode("utf-8")
        for i in range(n)
    ]
    return Case(
        cookies,
        lambda value: decoder(fernet.decrypt(value.encode("utf-8"), ttl=max_age).decode("utf-8")),
        formats.aiohttp("encrypted", fernet_key=key),
        time.time(),
        lambda answer: answer["session"],
    )


def make_case(name: str, n: int) -> Case:
    builders: dict[str, Callable[[], Case]] = {
        "flask": lambda: flask_case(n),
        "flask_session": lambda: flask_session_case(n),
        "starlette": lambda: starlette_case(n),
        "django": lambda: django_case(n, compressed=False),
        "django_compressed": lambda: django_case(n, compressed=True),
        "aiohttp": lambda: aiohttp_case(n),
    }
    return builders[name]()


def check(name: str, case: Case) -> None:
    """Both sides accept every cookie and see the same session."""
    for value in case.cookies:
        expected = case.data(case.framework(value))
        verdict = case.sessio(value)
        if isinstance(verdict, SessionRef):
            assert verdict.session_id == expected, name
        else:
            assert isinstance(verdict, ClientSession), f"{name}: {verdict}"
            assert json.loads(json.dumps(dict(verdict.data))) == expected, name


def one_pass(decode: Decode, cookies: list[str]) -> float:
    start = time.perf_counter_ns()
    for value in cookies:
        decode(value)
    return (time.perf_counter_ns() - start) / len(cookies)


def timed(name: str, n: int, rounds: int) -> dict[str, Any]:
    case = make_case(name, n)
    check(name, case)
    one_pass(case.framework, case.cookies)  # warm-up, both sides
    one_pass(case.sessio, case.cookies)
    framework_ns: list[float] = []
    sessio_ns: list[float] = []
    for r in range(rounds):
        # Alternate who goes first, so that neither always follows the other.
        if r % 2:
            sessio_ns.append(one_pass(case.sessio, case.cookies))
            framework_ns.append(one_pass(case.framework, case.cookies))
        else:
            framework_ns.append(one_pass(case.framework, case.cookies))
            sessio_ns.append(one_pass(case.sessio, case.cookies))
    ratios = sorted(s / f for s, f in zip(sessio_ns, framework_ns, strict=True))
    return {
        "framework_ns_per_cookie": round(statistics.median(framework_ns)),
        "sessio_ns_per_cookie": round(statistics.median(sessio_ns)),
        "time_ratio_sessio_over_framework": round(statistics.median(ratios), 3),
        "time_ratio_quartiles": [
            round(ratios[len(ratios) // 4], 3),
            round(ratios[(3 * len(ratios)) // 4], 3),
        ],
        "rounds": rounds,
    }


def child(name: str, side: str, n: int, passes: int) -> None:
    """Make the cookies, then `passes` untimed passes of one side (run under callgrind)."""
    case = make_case(name, n)
    decode = case.framework if side == "framework" else case.sessio
    for _ in range(passes):
        for value in case.cookies:
            decode(value)


def instructions(name: str, side: str, n: int, passes: int) -> int:
    result = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            str(Path(__file__).resolve()),
            "--child",
            name,
            side,
            str(n),
            str(passes),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    found = re.search(r"I\s+refs:\s+([\d,]+)", result.stderr)
    assert found, result.stderr[-2000:]
    return int(found[1].replace(",", ""))


def counted(name: str, n: int) -> dict[str, Any]:
    per = {
        side: (instructions(name, side, n, 4) - instructions(name, side, n, 1)) / (3 * n)
        for side in ("framework", "sessio")
    }
    return {
        "framework_instructions_per_cookie": round(per["framework"]),
        "sessio_instructions_per_cookie": round(per["sessio"]),
        "instruction_ratio_sessio_over_framework": round(per["sessio"] / per["framework"], 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--cookies", type=int, default=2000, help="distinct cookies per format")
    parser.add_argument("--rounds", type=int, default=41, help="timed rounds per side")
    parser.add_argument("--instructions", action="store_true", help="callgrind counts instead")
    parser.add_argument("--only", nargs="*", choices=FORMATS, default=list(FORMATS))
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        name, side, n, passes = args.child
        child(name, side, int(n), int(passes))
        return 0
    for name in args.only:
        if args.instructions:
            n = min(args.cookies, 500)  # callgrind is ~50x slower; the count does not need more
            check(name, make_case(name, n))
            report = {"format": name, "cookies": n, **counted(name, n)}
        else:
            report = {
                "format": name,
                "cookies": args.cookies,
                **timed(name, args.cookies, args.rounds),
            }
        report["target"] = "<= 1.0"
        print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
