"""``sessio inspect``: real frameworks' cookies, a real store, the documented exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from typing import Any

import flask
import pytest
import redis
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from redis_server import RedisServer
from sessio import formats
from sessio.cli.inspect import main
from sessio.core._failures import id_tag
from sessio.sync import RedisStore, SessionSockets


def inspect_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code = main([*argv, "--json"])
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1, out  # exactly one JSON object
    document: dict[str, Any] = json.loads(out[0])
    return code, document


def flask_cookie(secret: str, data: dict[str, Any]) -> str:
    app = flask.Flask(__name__)
    app.secret_key = secret

    @app.route("/login")
    def login() -> str:
        flask.session.update(data)
        return "ok"

    response = app.test_client().get("/login")
    return response.headers["Set-Cookie"].split(";")[0]


def test_flask_cookie_read_only_with_tagged_values(capsys: pytest.CaptureFixture[str]) -> None:
    marker = uuid.UUID("12345678123456781234567812345678")
    cookie = flask_cookie("s3cret", {"user": "zoë", "pair": (1, 2), "id": marker, "raw": b"\x00"})
    code, doc = inspect_json(
        capsys, "--format", "flask", "--cookie", f"x=1; {cookie}", "--secret", "s3cret"
    )
    assert code == 0
    assert doc == {
        "ok": True,
        "sid": None,
        "data": {
            "user": "zoë",
            "pair": {"$tuple": [1, 2]},
            "id": {"$uuid": marker.hex},
            "raw": {"$bytes": "AA=="},
        },
        "read_only": True,
    }


def test_rotated_secret_is_accepted_and_wrong_one_refused(
    capsys: pytest.CaptureFixture[str],
) -> None:
    cookie = flask_cookie("old", {"user": "a"})
    code, doc = inspect_json(
        capsys, "--format", "flask", "--cookie", cookie, "--secret", "old", "--secret", "new"
    )
    assert (code, doc["ok"]) == (0, True)
    code, doc = inspect_json(capsys, "--format", "flask", "--cookie", cookie, "--secret", "other")
    assert (code, doc["ok"], doc["code"]) == (1, False, "bad-signature")
    assert "other" not in doc["message"] and cookie.split("=", 1)[1] not in doc["message"]


def test_starlette_age_check_can_be_turned_off(capsys: pytest.CaptureFixture[str]) -> None:
    async def login(request: Request) -> JSONResponse:
        request.session["user"] = "bob"
        return JSONResponse({})

    app = Starlette(
        routes=[Route("/login", login)],
        middleware=[Middleware(SessionMiddleware, secret_key="k", max_age=60)],
    )
    cookie = TestClient(app).get("/login").headers["set-cookie"].split(";")[0]
    later = str(time.time() + 3600)
    args = ["--format", "starlette", "--cookie", cookie, "--secret", "k", "--now", later]
    code, doc = inspect_json(capsys, *args, "--option", "max_age=60")
    assert (code, doc["code"]) == (1, "expired")
    code, doc = inspect_json(capsys, *args, "--option", "max_age=none")
    assert (code, doc["data"]) == (0, {"user": "bob"})


def test_missing_cookie_names_what_was_there(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--format", "express", "--cookie", "sid=abc; theme=dark", "--secret", "k"])
    out = capsys.readouterr().out
    assert code == 1
    assert "no-cookie" in out and "'sid'" in out and "'theme'" in out and "abc" not in out


def test_express_session_in_a_real_redis(
    capsys: pytest.CaptureFixture[str], redis_server: RedisServer
) -> None:
    import socketio

    fmt = formats.express(secrets=["new", "old"], prefix="app:")
    sessions = SessionSockets(
        socketio.Server(async_mode="threading"), RedisStore(redis_server.client()), fmt
    )
    minted = sessions.create({"user": "carol"})
    base = ["--format", "express", "--cookie", minted.cookie, "--secret", "old", "--secret", "new"]
    code, doc = inspect_json(capsys, *base, "--option", "prefix=app:", "--store", redis_server.url)
    assert code == 0
    # The id is a credential: inspect names it by its tag only.
    tag = id_tag(minted.session_id)
    assert doc == {"ok": True, "sid": "…" + tag, "data": {"user": "carol"}, "read_only": False}

    code = main([*base, "--option", "prefix=app:", "--store", redis_server.url])
    out = capsys.readouterr().out
    assert code == 0 and "secret #1" in out and "expires in" in out
    assert f"'app:…{tag}'" in out and minted.session_id not in out

    code, doc = inspect_json(capsys, *base, "--store", redis_server.url)  # wrong prefix
    assert (code, doc["code"]) == (1, "session-not-found")
    redis.Redis.from_url(redis_server.url).delete(f"app:{minted.session_id}")
    code, doc = inspect_json(capsys, *base, "--option", "prefix=app:", "--store", redis_server.url)
    assert (code, doc["code"]) == (1, "session-not-found")


def test_store_down_is_store_unavailable(capsys: pytest.CaptureFixture[str]) -> None:
    from servers import free_port

    fmt = formats.express(secrets=["k"])
    cookie = f"connect.sid={fmt.cookie_value('abc')}"
    url = f"redis://127.0.0.1:{free_port()}/0"
    code, doc = inspect_json(
        capsys, "--format", "express", "--cookie", cookie, "--secret", "k", "--store", url
    )
    assert (code, doc["code"]) == (1, "store-unavailable")


@pytest.mark.parametrize(
    "argv",
    [
        ["--format", "express", "--cookie", "a=b", "--option", "nonsense"],
        ["--format", "express", "--cookie", "a=b", "--option", "no_such_option=1"],
        ["--format", "starlette", "--cookie", "a=b", "--secret", "a", "--secret", "b"],
        ["--format", "nope", "--cookie", "a=b"],
    ],
)
def test_bad_arguments_exit_2(argv: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sessio", "inspect", *argv], capture_output=True, text=True
    )
    assert result.returncode == 2, result.stdout + result.stderr


FERNET_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="  # base64url of bytes(range(32))


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        # A string where a list of keys goes: one-character keys, so it is refused.
        (["--format", "flask", "--secret", "k", "--option", "fallbacks=old"], "fallbacks"),
        (["--format", "django", "--secret", "k", "--option", "fallbacks=old"], "fallbacks"),
        (["--format", "flask", "--secret", ""], "secret_key"),
        # aiohttp-session has no default storage, and a Fernet key is no use to the others.
        (["--format", "aiohttp"], "storage"),
        (["--format", "aiohttp", "--secret", FERNET_KEY, "--option", "storage=simple"], "fernet"),
    ],
)
def test_configuration_that_would_trust_forged_cookies_exits_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], named: str
) -> None:
    assert main([*argv, "--cookie", "a=b"]) == 2
    assert named in capsys.readouterr().err


def test_aiohttp_storage_comes_from_the_options_or_the_secret(
    capsys: pytest.CaptureFixture[str],
) -> None:
    forged = 'AIOHTTP_SESSION={"session":{"user":"admin"}}'
    code, doc = inspect_json(
        capsys, "--format", "aiohttp", "--cookie", forged, "--secret", FERNET_KEY
    )
    assert (code, doc["code"]) == (1, "malformed-cookie")
    code, doc = inspect_json(
        capsys, "--format", "aiohttp", "--cookie", forged, "--option", "storage=simple"
    )
    assert (code, doc["data"]) == (0, {"user": "admin"})


# --- explaining itself ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        # Starlette calls the cookie name session_cookie; sessio calls every cookie name key=.
        (
            ["--format", "starlette", "--secret", "k", "--option", "session_cookie=s"],
            "--option session_cookie: the starlette format has no option 'session_cookie' (the "
            "framework's session_cookie is key= here); its options: max_age, key",
        ),
        (
            ["--format", "flask-session", "--option", "SESSION_KEY_PREFIX=app:"],
            "(the framework's SESSION_KEY_PREFIX is prefix= here); its options: use_signer, "
            "prefix, serializer, lifetime, key, allow_pickle, permanent",
        ),
        (["--format", "flask", "--option", "secret_key=k"], "give secret_key as --secret"),
        (["--format", "starlette"], "--format starlette needs --secret (the app's secret_key)"),
        (["--format", "django"], "--format django needs --secret"),
        (
            ["--format", "flask-session", "--option", "lifetime=soon"],
            "--format flask-session --option lifetime=soon: ",
        ),
        (
            ["--format", "express", "--secret", "k", "--option", "key=a", "--option", "key=b"],
            "--option key: given twice",
        ),
    ],
)
def test_argument_errors_name_the_flag(
    capsys: pytest.CaptureFixture[str], argv: list[str], said: str
) -> None:
    assert main([*argv, "--cookie", "a=b"]) == 2
    err = capsys.readouterr().err
    assert said in err
    assert "Traceback" not in err and "unexpected keyword" not in err


def test_a_signed_flask_session_cookie_read_with_defaults_suggests_use_signer(
    redis_server: RedisServer, capsys: pytest.CaptureFixture[str]
) -> None:
    from flask_session import Session  # type: ignore[import-untyped]

    app = flask.Flask(__name__)
    app.config.update(
        SECRET_KEY="fs-secret",
        SESSION_TYPE="redis",
        SESSION_REDIS=redis_server.client(),
        SESSION_USE_SIGNER=True,
    )
    Session(app)

    @app.route("/login")
    def login() -> str:
        flask.session["user"] = "alice"
        return "ok"

    cookie = app.test_client().get("/login").headers["Set-Cookie"].split(";")[0]
    store = ["--store", redis_server.url]
    # The defaults: the signature becomes part of a store key that nothing is under.
    code, doc = inspect_json(capsys, "--format", "flask-session", "--cookie", cookie, *store)
    assert (code, doc["code"]) == (1, "session-not-found")
    assert "--option use_signer=true" in doc["hints"][0]
    # A secret without use_signer: the signature step says the secret went unused.
    assert (
        main(["--format", "flask-session", "--cookie", cookie, "--secret", "fs-secret", *store])
        == 1
    )
    out = capsys.readouterr().out
    assert "not checked: --secret is not used here" in out
    assert "not signed (no secrets configured)" not in out
    assert "hint: the cookie looks signed (id.signature)" in out
    # What the hint says to do works.
    code, doc = inspect_json(
        capsys,
        "--format",
        "flask-session",
        "--cookie",
        cookie,
        "--secret",
        "fs-secret",
        "--option",
        "use_signer=true",
        *store,
    )
    assert (code, doc["data"], "hints" in doc) == (0, {"user": "alice"}, False)


@pytest.mark.parametrize(
    "command",
    [["-m", "sessio", "--help"], ["-m", "sessio", "inspect", "--help"]],
)
def test_help_shows_no_markup(command: list[str]) -> None:
    result = subprocess.run([sys.executable, *command], capture_output=True, text=True, check=True)
    assert "``" not in result.stdout and "`" not in result.stdout
    if "inspect" in command:
        # Every format's --option names are listed.
        assert "starlette: max_age, key" in result.stdout
        assert "flask-session: use_signer, prefix" in result.stdout
