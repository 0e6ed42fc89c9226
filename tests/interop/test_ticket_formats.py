"""Socket tickets for every format, through real servers and clients in both shells.

For each format the session cookie comes from the framework itself where the framework makes
it (Flask, Starlette and Django's signed cookies, aiohttp's cookie storages by their own
rules) or from sessio's ``create`` for the store formats (whose cookies the interop modules
check against the frameworks). The web worker issues a ticket with the cookie value (the
module function, no socket.io server), a client with no cookie connects with
``auth={"ticket": ...}``, and the server's connect handler gets the session; the same ticket
a second time is ``bad-ticket``.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import socketio
from cryptography.fernet import Fernet
from django_setup import SECRET as DJANGO_SECRET
from django_setup import setup_django
from test_flask import flask_cookie, make_app
from test_starlette import starlette_cookie

import sessio.aio
import sessio.sync
from servers import run_asgi, run_wsgi, sync_client
from sessio import Failure, formats
from sessio.core import Format

SECRET = "ticket-formats-secret"
FERNET_KEY = base64.urlsafe_b64encode(bytes(range(32)))
TIMEOUT = 5.0
USER = {"user": "ann"}


@pytest.fixture(scope="module")
def django_ready(tmp_path_factory: pytest.TempPathFactory) -> None:
    setup_django(tmp_path_factory.mktemp("django-tickets"))


def django_signed_cookie() -> str:
    from django.contrib.sessions.backends.signed_cookies import (  # type: ignore[import-untyped]
        SessionStore,
    )

    session = SessionStore()
    session.update(USER)
    session.save()
    key: str = session.session_key
    return key


def aiohttp_document() -> str:
    return json.dumps({"created": int(time.time()), "session": USER})


# (format, store kind, how to make the cookie value: None = sessio's create)
Case = tuple[Callable[[], Format], str, Callable[[], str] | None]
CASES: dict[str, Case] = {
    "express": (lambda: formats.express(secrets=[SECRET]), "memory", None),
    "flask_session": (lambda: formats.flask_session(serializer="json"), "memory", None),
    "flask_session_signed": (
        lambda: formats.flask_session(secret_key=SECRET, use_signer=True),
        "memory",
        None,
    ),
    "aiohttp_redis": (lambda: formats.aiohttp(storage="redis"), "memory", None),
    "django_native": (lambda: sessio.sync.DjangoStore().format(), "django", None),
    "flask": (
        lambda: formats.flask(SECRET),
        "memory",
        lambda: flask_cookie(make_app(SECRET), USER),
    ),
    "starlette": (
        lambda: formats.starlette(SECRET),
        "memory",
        lambda: starlette_cookie(USER, secret=SECRET),
    ),
    "django_signed": (
        lambda: formats.django(DJANGO_SECRET),
        "memory",
        django_signed_cookie,
    ),
    "aiohttp_simple": (lambda: formats.aiohttp(storage="simple"), "memory", aiohttp_document),
    "aiohttp_encrypted": (
        lambda: formats.aiohttp(storage="encrypted", fernet_key=FERNET_KEY),
        "memory",
        lambda: Fernet(FERNET_KEY).encrypt(aiohttp_document().encode()).decode(),
    ),
}


def connect_with(url: str, ticket: str) -> tuple[socketio.Client | None, Any]:
    """Connect with only the ticket: the client and what it heard, or None and the refusal."""
    errors: list[Any] = []
    client = sync_client()
    client.on("connect_error", errors.append)
    try:
        client.connect(url, auth={"ticket": ticket}, transports=["websocket"], wait_timeout=TIMEOUT)
    except socketio.exceptions.ConnectionError:
        return None, errors
    return client, client.call("whoami", timeout=TIMEOUT)


def check(url: str, ticket: str) -> None:
    client, heard = connect_with(url, ticket)
    assert client is not None, heard
    client.disconnect()
    assert heard == USER
    again, refusal = connect_with(url, ticket)
    assert again is None
    assert refusal == [{"message": "bad-ticket", "data": {"code": "bad-ticket"}}]


@pytest.fixture(params=sorted(CASES))
def case(request: pytest.FixtureRequest, django_ready: None) -> Iterator[Case]:
    yield CASES[request.param]


def test_sync_shell(case: Case) -> None:
    make_format, kind, make_cookie = case
    fmt = make_format()
    store: sessio.sync.Store = (
        sessio.sync.DjangoStore() if kind == "django" else sessio.sync.MemoryStore()
    )
    sio = socketio.Server(async_mode="threading")
    sessions = sessio.sync.SessionSockets(sio, store, fmt, require_session=True)

    @sessions.on("whoami")
    def whoami(sid: str, session: Any) -> Any:
        return {k: v for k, v in session.items() if k in USER}

    cookie = (
        sessions.create(USER).cookie.partition("=")[2] if make_cookie is None else make_cookie()
    )
    ticket = sessio.sync.issue_ticket(store, fmt, cookie)
    with run_wsgi(socketio.WSGIApp(sio)) as url:
        check(url, ticket)


def test_async_shell(case: Case) -> None:
    make_format, kind, make_cookie = case
    fmt = make_format()
    store: sessio.aio.Store = (
        sessio.aio.DjangoStore() if kind == "django" else sessio.aio.MemoryStore()
    )
    sio = socketio.AsyncServer(async_mode="asgi")
    sessions = sessio.aio.AsyncSessionSockets(sio, store, fmt, require_session=True)

    @sessions.on("whoami")
    async def whoami(sid: str, session: Any) -> Any:
        return {k: v for k, v in session.items() if k in USER}

    if make_cookie is None:
        cookie = asyncio.run(sessions.create(USER)).cookie.partition("=")[2]
    else:
        cookie = make_cookie()
    ticket = asyncio.run(sessio.aio.issue_ticket(store, fmt, cookie))
    with run_asgi(socketio.ASGIApp(sio)) as url:
        check(url, ticket)


def test_a_ticket_is_refused_for_a_cookie_that_does_not_verify(django_ready: None) -> None:
    fmt = formats.flask(SECRET)
    cookie = flask_cookie(make_app("another secret"), USER)
    with pytest.raises(sessio.SessionError) as raised:
        sessio.sync.issue_ticket(sessio.sync.MemoryStore(), fmt, cookie)
    assert raised.value.code == "bad-signature"
    assert isinstance(raised.value.failure, Failure)
