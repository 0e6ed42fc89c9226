"""`sessio.testing.cookie_header` reads what each framework's test client holds after a login
through the app's own login view, and what sessio then reads as the session."""

from __future__ import annotations

import http.cookiejar
import time
from collections.abc import Iterator
from http.cookies import SimpleCookie
from pathlib import Path

import httpx
import pytest
import requests
from kit_apps import SECRET, configure_django, django_settings, flask_app, starlette_app
from starlette.testclient import TestClient

from servers import run_wsgi
from sessio import ClientSession, SessionRef, formats, resolve
from sessio.testing import cookie_header, cookie_pairs


def test_flask_test_client() -> None:
    web = flask_app().test_client()
    web.post("/login", data={"user": "alice"})
    header = cookie_header(web)
    assert header.startswith("session=") and cookie_header(web, "session") == header
    verdict = resolve(header, formats.flask(SECRET), time.time())
    assert isinstance(verdict, ClientSession) and verdict.data == {"user": "alice"}
    web.post("/logout")  # Flask deletes the cookie of an emptied session
    with pytest.raises(LookupError, match="did the login work"):
        cookie_header(web)


def test_a_client_without_cookies_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="cannot read cookies"):
        cookie_header(flask_app().test_client(use_cookies=False))
    with pytest.raises(TypeError, match="cannot read cookies"):
        cookie_header(object())


def test_starlette_test_client() -> None:
    web = TestClient(starlette_app())
    web.post("/login?user=bob")
    header = cookie_header(web, "session")
    verdict = resolve(header, formats.starlette(SECRET), time.time())
    assert isinstance(verdict, ClientSession) and verdict.data == {"user": "bob"}


@pytest.fixture
def django_ready(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    configure_django(tmp_path_factory.mktemp("django"))
    from django.test.utils import override_settings  # type: ignore[import-untyped]

    with override_settings(**django_settings()):
        yield


def test_django_client(django_ready: None) -> None:
    from django.test import Client  # type: ignore[import-untyped]

    fresh = Client()  # reading its cookies must not make a session (Client.session would)
    with pytest.raises(LookupError):
        cookie_header(fresh)
    assert not fresh.cookies
    web = Client()
    web.post("/login", {"user": "carol"})
    header = cookie_header(web)
    verdict = resolve(header, formats.django_native(), time.time())
    assert isinstance(verdict, SessionRef)
    assert verdict.session_id == web.cookies["sessionid"].value
    web.post("/logout")  # the cookie stays in Django's client, emptied: no session
    assert cookie_pairs(web.cookies) == []
    with pytest.raises(LookupError):
        cookie_header(web, "sessionid")


def test_requests_and_httpx_against_a_real_server() -> None:
    with run_wsgi(flask_app()) as url:
        with requests.Session() as browser:
            browser.post(f"{url}/login", data={"user": "dave"})
            header = cookie_header(browser)
        with httpx.Client() as browser:
            browser.post(f"{url}/login", data={"user": "dave"})
            assert cookie_header(browser).startswith("session=")
            assert cookie_header(browser.cookies) == cookie_header(browser)
    verdict = resolve(header, formats.flask(SECRET), time.time())
    assert isinstance(verdict, ClientSession) and verdict.data == {"user": "dave"}


@pytest.mark.anyio
async def test_httpx_async_client(anyio_backend: str) -> None:
    transport = httpx.ASGITransport(app=starlette_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as web:
        await web.post("/login?user=erin")
        assert cookie_header(web).startswith("session=")


def test_jars_and_simple_cookies() -> None:
    simple = SimpleCookie()
    simple["a"] = "1"
    simple["gone"] = ""
    assert cookie_pairs(simple) == [("a", "1")]
    jar = http.cookiejar.CookieJar()
    jar.set_cookie(_cookie("b", "2"))
    assert cookie_header(jar) == "b=2"
    with pytest.raises(LookupError, match="named 'c'"):
        cookie_header(jar, "c")


def _cookie(name: str, value: str) -> http.cookiejar.Cookie:
    return http.cookiejar.Cookie(
        0,
        name,
        value,
        None,
        False,
        "example.com",
        False,
        False,
        "/",
        False,
        False,
        None,
        False,
        None,
        None,
        {},
    )


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_aiohttp_test_client() -> None:
    from aiohttp import web
    from aiohttp.test_utils import TestClient as AiohttpClient
    from aiohttp.test_utils import TestServer

    async def login(request: web.Request) -> web.Response:
        response = web.json_response({"ok": True})
        response.set_cookie("AIOHTTP_SESSION", "a-session-value")
        return response

    app = web.Application()
    app.router.add_post("/login", login)
    async with AiohttpClient(TestServer(app)) as client:
        await client.post("/login")
        assert cookie_header(client) == "AIOHTTP_SESSION=a-session-value"
        assert cookie_header(client.session.cookie_jar) == cookie_header(client)


def test_django_root_is_a_path(tmp_path: Path) -> None:
    # configure_django reuses the process's configuration: any directory will do after.
    configure_django(tmp_path)
