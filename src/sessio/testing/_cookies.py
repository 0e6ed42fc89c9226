"""`cookie_header`: the ``Cookie`` header a framework's test client would send next.

Facts, from werkzeug 3.1.9 (``werkzeug/test.py``), under Flask 3.1's ``test_client()``:

* ``Client._cookies`` is a dict of ``Cookie`` objects, keyed ``(domain, path, key)``, or None
  when the client was made with ``use_cookies=False``. A response that deletes a cookie
  (``max_age=0`` or an ``expires`` at the epoch) removes it from the dict.
* ``Cookie.key`` and ``Cookie.value`` are "encoded as a client would see it"; the request
  header is ``f"{key}={value}"`` (``Cookie._to_request_header``).

Facts, from Django 5.2 (``django/test/client.py``):

* ``Client.cookies`` is an ``http.cookies.SimpleCookie``, updated from every response; the
  ``Cookie`` header is ``"; ".join(sorted(f"{m.key}={m.coded_value}"))`` over all morsels.
* A deleted cookie stays as a morsel with an empty value (``HttpResponse.delete_cookie``);
  Django's client then sends ``sessionid=``, which no session format takes for a session.

Facts, from httpx 0.28.1 and requests 2.32:

* ``httpx.Client.cookies`` (and ``AsyncClient``'s, and Starlette's ``TestClient``, which is an
  ``httpx.Client``) is an ``httpx.Cookies`` around an ``http.cookiejar.CookieJar`` (``.jar``).
* ``requests.Session.cookies`` is a ``RequestsCookieJar``, an ``http.cookiejar.CookieJar``.
* A jar's ``Cookie.name`` and ``Cookie.value`` are as the server set them; an expired cookie
  is dropped from the jar when the response that expires it is read.

Facts, from aiohttp 3.x (``aiohttp/cookiejar.py``, ``aiohttp/test_utils.py``):

* ``ClientSession.cookie_jar`` is an ``aiohttp.CookieJar``, which iterates over
  ``http.cookies.Morsel`` objects and has ``filter_cookies``; the test client's session is
  ``TestClient.session``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from http.cookiejar import CookieJar
from http.cookies import SimpleCookie
from typing import Any

__all__ = ["cookie_header", "cookie_pairs"]


def cookie_pairs(client: Any) -> list[tuple[str, str]]:
    """Each ``(name, value)`` that `client`'s cookie jar holds, as it would send them.

    `client` is a Flask/werkzeug test client, a Django ``Client``, a Starlette/FastAPI
    ``TestClient``, an ``httpx.Client`` or ``AsyncClient``, a ``requests.Session``, an
    aiohttp ``ClientSession`` or ``TestClient``, or a cookie jar itself
    (``http.cookiejar.CookieJar``, ``http.cookies.SimpleCookie``, ``httpx.Cookies``,
    ``aiohttp.CookieJar``). Cookies with an empty value (deleted) are left out.
    """
    return [(name, value) for name, value in _pairs(client) if value]


def cookie_header(client: Any, *names: str) -> str:
    """The ``Cookie`` header that `client` holds: every cookie, or those called `names`.

    Take it after a login made through the app's own login view, and hand it to a socket.io
    client (``headers={"Cookie": ...}``). Raises `LookupError` when the client holds no
    cookie (or none of `names`): a test that logs in and finds no cookie has found a bug.
    """
    pairs = [(name, value) for name, value in cookie_pairs(client) if not names or name in names]
    if not pairs:
        wanted = f" named {', '.join(map(repr, names))}" if names else ""
        raise LookupError(f"{type(client).__name__} holds no cookie{wanted}: did the login work?")
    return "; ".join(f"{name}={value}" for name, value in pairs)


def _pairs(client: Any) -> Iterator[tuple[str, str]]:
    # Jars first, then the clients that hold one. Attributes are read only where they are a
    # plain value: Django's ``Client.session``, for one, creates a session when read.
    if isinstance(client, SimpleCookie):
        # An emptied morsel's coded value is '""': judge emptiness by the value itself.
        yield from ((m.key, m.coded_value if m.value else "") for m in client.values())
    elif isinstance(client, CookieJar):
        yield from _jar(client)
    elif isinstance(getattr(client, "jar", None), CookieJar):  # httpx.Cookies
        yield from _jar(client.jar)
    elif hasattr(client, "filter_cookies") and hasattr(client, "__iter__"):  # aiohttp.CookieJar
        yield from ((m.key, m.coded_value if m.value else "") for m in client)
    elif isinstance(getattr(client, "_cookies", None), dict):  # werkzeug / Flask
        yield from ((cookie.key, cookie.value) for cookie in client._cookies.values())
    elif getattr(client, "cookie_jar", None) is not None:  # aiohttp.ClientSession
        yield from _pairs(client.cookie_jar)
    elif getattr(client, "cookies", None) not in (None, client):  # Django, httpx, requests
        yield from _pairs(client.cookies)
    elif type(client).__module__.startswith("aiohttp") and hasattr(client, "session"):
        yield from _pairs(client.session)  # aiohttp's TestClient
    else:
        raise TypeError(
            f"cannot read cookies from a {type(client).__name__}: pass a Flask, Django,"
            " Starlette, httpx, requests or aiohttp test client, or a cookie jar"
        )


def _jar(jar: Iterable[Any]) -> Iterator[tuple[str, str]]:
    for cookie in jar:
        if cookie.value is not None:
            yield cookie.name, cookie.value
