"""A session id never shows in a message, a log line, an exception or a repr.

A session id is a bearer credential (for an unsigned format the whole cookie is the id).
Messages name a session as `redact_key` does: the store key's prefix, then 8 hex digits of
the SHA-256 of the id.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import inspect
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import socketio

from servers import run_wsgi, sync_client, wait_for
from sessio import SessionError, formats
from sessio.cli._explain import explain
from sessio.cli.inspect import main as inspect_main
from sessio.core import (
    ClientSession,
    CookieFormat,
    Failure,
    Format,
    Minted,
    SessionRef,
    StoredSession,
    StoreFormat,
    Write,
    decode_stored,
    resolve,
)
from sessio.core._failures import id_tag, redact_key
from sessio.core._rooms import session_room
from sessio.errors import error_for
from sessio.sync import MemoryStore, Session, SessionSockets
from sessio.testing import Refused, SocketClient

# A session id that every format accepts as one (django's keys: 8+ of [a-z0-9]). Each of its
# 8-character windows holds a letter past "f", so no hex digest can contain one by chance.
SECRET = "leakq7zxkw9m2vtr4yplh3nqjz8wum5c"
WINDOW = 8
TIMEOUT = 5.0


def windows(text: str) -> set[str]:
    """Every `WINDOW`-character piece of `text`: a partial id leaks too."""
    return {text[i : i + WINDOW] for i in range(len(text) - WINDOW + 1)}


def assert_no_id(text: str, session_id: str = SECRET) -> None:
    leaked = sorted(piece for piece in windows(session_id) if piece in text)
    assert not leaked, f"session id pieces {leaked} in: {text}"


def test_the_secret_cannot_hide_in_a_digest() -> None:
    assert all(set(piece) - set("0123456789abcdef") for piece in windows(SECRET))


# -- every Failure constructor ----------------------------------------------------------------

# A value for each constructor parameter: the id wherever a parameter can carry one (a store
# key, an exception's text). A new parameter must be classified here before the scan passes.
ARGUMENTS: dict[str, Any] = {
    "name": "connect.sid",
    "seen": ["theme", "lang"],
    "why": "the signature is not base64",
    "tried": 2,
    "key": "sess:" + SECRET,
    "prefix": "sess:",
    "error": KeyError("sess:" + SECRET),
    "fmt": "express",
    "package": "redis",
    "extra": "redis",
    "needed_for": "the redis store",
    "keys": ["user", "cart"],
    "length": 20_000,
    "limit": 16_384,
    "late": 12.5,
}


def constructors() -> Iterator[tuple[str, Any]]:
    for name, method in inspect.getmembers(Failure, inspect.ismethod):
        if not name.startswith("_"):
            yield name, method


def test_every_failure_constructor_keeps_the_id_out() -> None:
    built = []
    for name, method in constructors():
        params = inspect.signature(method).parameters
        unknown = set(params) - set(ARGUMENTS)
        assert not unknown, f"Failure.{name}: classify {unknown} in ARGUMENTS"
        failure = method(**{p: ARGUMENTS[p] for p in params})
        if "prefix" in params:
            built.append(method(**{p: ARGUMENTS[p] for p in params if p != "prefix"}))
        built.append(failure)
    assert len(built) >= 14
    for failure in built:
        for text in (
            str(failure),
            repr(failure),
            str(error_for(failure)),
            repr(error_for(failure)),
        ):
            assert_no_id(text)


def test_not_found_shows_the_prefix_and_the_tag() -> None:
    failure = Failure.not_found("sess:" + SECRET, "sess:")
    assert f"'sess:…{id_tag(SECRET)}'" in failure.message
    # Without the prefix the whole key is hashed, and nothing of it shows.
    failure = Failure.not_found("sess:" + SECRET)
    assert f"'…{id_tag('sess:' + SECRET)}'" in failure.message and "sess:" not in failure.message
    # A prefix the key does not start with is not trusted to split it.
    assert redact_key("sess:" + SECRET, "other:") == "…" + id_tag("sess:" + SECRET)


def test_the_tag_is_short_and_starts_the_session_room_digest() -> None:
    digest = hashlib.sha256(SECRET.encode()).hexdigest()
    assert id_tag(SECRET) == "#" + digest[:8]
    assert session_room(SECRET).startswith("sessio:" + digest[:8])
    assert id_tag("\udcff") == id_tag("\udcff")  # a lone surrogate does not raise


def test_reprs_of_values_hide_the_id() -> None:
    ref = SessionRef(SECRET, "sess:" + SECRET, 0)
    assert repr(ref) == (
        f"SessionRef(session_id='…{id_tag(SECRET)}', key='sess:…{id_tag(SECRET)}', secret_index=0)"
    )
    minted = Minted(SECRET, f"connect.sid=s%3A{SECRET}.sig")
    assert repr(minted) == f"Minted(session_id='…{id_tag(SECRET)}', cookie='connect.sid=…')"
    write = Write("sess:" + SECRET, b"{}", 60, StoredSession({}))
    for value in (ref, minted, write):
        assert_no_id(repr(value))
        assert_no_id(str(value))
    # The values themselves still hold the id: only their text hides it.
    assert (ref.session_id, minted.session_id, write.key) == (SECRET, SECRET, "sess:" + SECRET)


# -- every format, from a handshake to a load ---------------------------------------------------

FORMATS: dict[str, Format] = {
    "express": formats.express(secrets=["k"], prefix="myapp:"),
    "express unsigned": formats.express(secrets=None),
    "flask-session": formats.flask_session(),
    "flask-session signed": formats.flask_session("k", use_signer=True),
    "django db": formats.django("k", backend="db"),
    "django cache": formats.django("k", backend="cache"),
    "django file": formats.django("k", backend="file"),
    "django cookies": formats.django("k"),
    "flask": formats.flask("k"),
    "starlette": formats.starlette("k"),
    "aiohttp redis": formats.aiohttp("redis"),
    "aiohttp simple": formats.aiohttp("simple"),
    "aiohttp encrypted": formats.aiohttp("encrypted", b"k" * 32),
}


def cookie_values(fmt: Format) -> list[str]:
    """Cookie values built around the id: valid, tampered, mangled, wrapped."""
    encoded = base64.urlsafe_b64encode(SECRET.encode()).decode()
    values = [
        SECRET,
        SECRET.upper(),
        SECRET + ".",
        "." + SECRET,
        SECRET + "." + SECRET,
        "s:" + SECRET + ".AAAA",
        "s%3A" + SECRET + ".bad",
        "s%3A" + SECRET,
        f'"{SECRET}"',
        encoded,
        encoded + "." + encoded + "." + encoded,
        "{" + SECRET + "}",
        '{"session": "' + SECRET + '"}',
        SECRET + "%",
        SECRET + "\x00",
    ]
    if isinstance(fmt, StoreFormat):
        valid = fmt.cookie_value(SECRET)
        values += [valid, valid[:-3], valid + "x", valid.replace("s%3A", "")]
    return values


@pytest.mark.parametrize("label", FORMATS)
def test_no_verdict_load_or_explanation_shows_the_id(label: str) -> None:
    fmt = FORMATS[label]
    refs = 0
    for value in cookie_values(fmt):
        for header in (f"{fmt.key}={value}; theme=dark", f"other={value}"):
            verdict = resolve(header, fmt, 1_700_000_000.0)
            assert_no_id(str(verdict))
            assert_no_id(repr(verdict))
            for step in explain(header, fmt, 1_700_000_000.0).steps:
                assert_no_id(step.detail)
            if not isinstance(verdict, SessionRef):
                assert isinstance(verdict, Failure | ClientSession)
                continue
            # Only a store format names a stored session.
            assert isinstance(fmt, StoreFormat)
            refs += 1
            for raw in (None, b"", b"\x80garbage " + SECRET.encode(), SECRET.encode()):
                loaded = decode_stored(verdict, raw, fmt, 1_700_000_000.0)
                assert_no_id(str(loaded))
                if raw is None:
                    assert isinstance(loaded, Failure) and loaded.code == "session-not-found"
                    assert fmt.store_key("") + "…" + id_tag(verdict.session_id) in loaded.message
    # Every server-side format took the valid cookie for a session: the scan reached load.
    assert refs > 0 or isinstance(fmt, CookieFormat)


# -- sessio inspect -----------------------------------------------------------------------------


def test_inspect_shows_neither_the_id_nor_the_store_password(
    capsys: pytest.CaptureFixture[str],
) -> None:
    fmt = FORMATS["express"]
    assert isinstance(fmt, StoreFormat)
    cookie = f"connect.sid={fmt.cookie_value(SECRET)}"
    base = ["--format", "express", "--cookie", cookie, "--secret", "k", "--option", "prefix=myapp:"]
    assert inspect_main(base) == 1
    out = capsys.readouterr().out
    assert f"'myapp:…{id_tag(SECRET)}'" in out
    assert_no_id(out)
    # A store nobody listens on (port 9 is discard): the URL shows without its password.
    url = "redis://:hunter2pass@127.0.0.1:9/0?password=hunter2pass"
    assert inspect_main([*base, "--store", url]) == 1
    out = capsys.readouterr().out
    assert "redis://127.0.0.1:9/0" in out and "hunter2pass" not in out
    assert_no_id(out)


# -- a real server: connect, reload, save -------------------------------------------------------


def test_connect_reload_and_save_failures_never_show_the_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    fmt = formats.express(secrets=["k"])
    store = MemoryStore()
    sio = socketio.Server(async_mode="threading", ping_interval=0.2, ping_timeout=2.5)
    sessions = SessionSockets(sio, store, fmt)
    minted = sessions.create({"user": "ann"})
    seen: list[str] = []

    @sessions.on("connect")
    def connect(err: Failure | None, sid: str, session: Session | None) -> None:
        seen.extend([str(err), repr(err), repr(session.ref if session else None)])

    @sessions.on("probe")
    def probe(sid: str, session: Session) -> list[str]:
        codes = []
        store.delete(fmt.store_key(minted.session_id))  # logged out over HTTP meanwhile
        for attempt in (session.reload, session.destroy, session.save):
            try:
                attempt()
            except SessionError as error:
                codes.append(error.code)
                seen.extend([str(error), repr(error), str(error.failure)])
        return codes

    with run_wsgi(socketio.WSGIApp(sio)) as url:
        for cookie, session_id in (
            (f"connect.sid={fmt.cookie_value(SECRET)}", SECRET),
            (minted.cookie, minted.session_id),
        ):
            client = sync_client()
            client.connect(
                url, headers={"Cookie": cookie}, transports=["websocket"], wait_timeout=TIMEOUT
            )
            try:
                if session_id == minted.session_id:
                    codes = client.call("probe", timeout=TIMEOUT)
                    # reload finds nothing; destroy works; a save after it must not resurrect.
                    assert codes == ["session-not-found", "session-not-found"]
            finally:
                client.disconnect()

    assert any("session-not-found" in text for text in seen)
    logged = [record.getMessage() for record in caplog.records]
    logged += [caplog.text]
    for text in seen + logged:
        assert_no_id(text, SECRET)
        assert_no_id(text, minted.session_id)


# -- structured log records ----------------------------------------------------------------------


def record_texts(record: logging.LogRecord) -> list[str]:
    """Everything a handler could write of `record`: message, arguments, extras, traceback.

    Tracebacks below INFO are left out: the store's own exception text (which may hold a key)
    goes at DEBUG only, on purpose (`store_failed`).
    """
    texts = [record.getMessage(), repr(record.args)]
    texts += [repr(v) for k, v in vars(record).items() if k not in ("exc_info", "exc_text")]
    if record.exc_info and record.levelno >= logging.INFO:
        texts.append(logging.Formatter().formatException(record.exc_info))
    return texts


def test_log_records_carry_code_and_namespace_never_the_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="sessio")
    fmt = formats.express(secrets=["k"])
    store = MemoryStore()
    sio = socketio.Server(async_mode="threading", ping_interval=0.2, ping_timeout=2.5)
    sessions = SessionSockets(sio, store, fmt)
    minted = sessions.create({"user": "ann"})
    down = {"store": False}
    real_get = store.get

    def get(key: str) -> bytes | None:
        if down["store"]:
            raise ConnectionError(f"refused for {key}")  # the key (and id) in the text
        return real_get(key)

    store.get = get  # type: ignore[method-assign]

    @sessions.of("/chat").on("connect")
    def connect(err: Failure | None, sid: str, session: Session | None) -> bool:
        if session is not None and session.get("user") == "ann":
            raise RuntimeError("a bug in the application's connect handler")
        return True

    @sessions.of("/chat").on("disconnect")
    def disconnect(sid: str, session: Session | None, reason: str) -> None:
        raise RuntimeError("a bug in the application's disconnect handler")

    with run_wsgi(socketio.WSGIApp(sio)) as url:
        unknown = f"connect.sid={fmt.cookie_value(SECRET)}"  # signed, but no such session
        for cookie in (unknown, minted.cookie):
            with SocketClient() as client, contextlib.suppress(Refused):
                client.connect(url, cookie=cookie, namespaces=["/chat"], transports=["websocket"])
        down["store"] = True
        with SocketClient() as client:
            client.connect(url, cookie=minted.cookie, namespaces=["/chat"])
            client.disconnect()
        wait_for(lambda: any("disconnect handler" in r.getMessage() for r in caplog.records))

    no_session = [r for r in caplog.records if "has no session" in r.getMessage()]
    assert {(r.code, r.namespace) for r in no_session} == {  # type: ignore[attr-defined]
        ("session-not-found", "/chat"),
        ("store-unavailable", "/chat"),
    }
    failed_handler = [r for r in caplog.records if r.getMessage().startswith("connect handler")]
    assert [(r.code, r.namespace) for r in failed_handler] == [(None, "/chat")]  # type: ignore[attr-defined]
    store_down = [r for r in caplog.records if "session store failed" in r.getMessage()]
    assert store_down and all(
        (r.code, r.operation) == ("store-unavailable", "load")  # type: ignore[attr-defined]
        for r in store_down
    )
    gone = [r for r in caplog.records if "disconnect handler failed" in r.getMessage()]
    assert gone and all(r.namespace == "/chat" for r in gone)  # type: ignore[attr-defined]
    for record in caplog.records:
        for text in record_texts(record):
            assert_no_id(text, SECRET)
            assert_no_id(text, minted.session_id)
