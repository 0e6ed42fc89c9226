"""`sessio.contrib.django_engine`: Django session engines that save by difference.

Django is configured once per process (`django_setup`); each test picks an engine with
``override_settings``: the stock ``db``, ``cached_db`` and ``cache`` (over a private
``LocMemCache``), or sessio's merging twin of it. Requests go through Django's own
``SessionMiddleware``. Each race is made by the view itself: it reads the session, then
(inside the view, so in a known order) a socket's save or a second request runs from start to
end, then the view changes its own key and the middleware saves. With the stock engine the
earlier write is lost (asserted: it shows the race is real); with sessio's, both stay.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django_setup import setup_django

from sessio.core import resolve
from sessio.sync import DjangoStore
from sessio.sync._opening import open_verdict
from sessio.sync._session import Session

ENGINES = ["db", "cached_db", "cache"]
BOTH = [(name, mode) for name in ENGINES for mode in ("merging", "stock")]
LOGGED_IN = {
    "_auth_user_id": "42",
    "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
}


@pytest.fixture(scope="session")
def django_ready(tmp_path_factory: pytest.TempPathFactory) -> None:
    setup_django(tmp_path_factory.mktemp("django-merging"))


def engine_path(name: str, mode: str) -> str:
    if mode == "merging":
        return f"sessio.contrib.django_engine.{name}"
    return f"django.contrib.sessions.backends.{name}"


@pytest.fixture
def engine(request: pytest.FixtureRequest, django_ready: None, tmp_path: Path) -> Iterator[str]:
    """``(name, mode)`` from the test's parameter, configured; yields the mode."""
    from django.test.utils import override_settings  # type: ignore[import-untyped]

    name, mode = request.param
    override = override_settings(
        SESSION_ENGINE=engine_path(name, mode),
        CACHES={
            "default": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "LOCATION": f"sessio-merging-{tmp_path.name}",
            }
        },
    )
    override.enable()
    try:
        yield str(mode)
    finally:
        override.disable()


def each(pairs: list[tuple[str, str]]) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("engine", pairs, indirect=True, ids=["-".join(p) for p in pairs])


def serve(view: Callable[[Any], None], cookie: str | None = None) -> str:
    """One request through Django's SessionMiddleware; the session cookie after it."""
    from django.conf import settings  # type: ignore[import-untyped]
    from django.contrib.sessions.middleware import (  # type: ignore[import-untyped]
        SessionMiddleware,
    )
    from django.http import HttpResponse  # type: ignore[import-untyped]
    from django.test import RequestFactory  # type: ignore[import-untyped]

    def get_response(request: Any) -> Any:
        view(request.session)
        return HttpResponse("ok")

    headers = {} if cookie is None else {"HTTP_COOKIE": cookie}
    response = SessionMiddleware(get_response)(RequestFactory().get("/", **headers))
    morsel = response.cookies.get(settings.SESSION_COOKIE_NAME)
    after = cookie if morsel is None else f"{morsel.key}={morsel.coded_value}"
    return after or ""


def login(**data: Any) -> str:
    """A login view (``cycle_key``, as ``auth.login`` does): the new session's cookie."""

    def view(session: Any) -> None:
        session.cycle_key()
        session.update(data)

    return serve(view)


def reads(cookie: str) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    serve(lambda session: seen.update(session.items()), cookie)
    return seen


def changing(key: str, value: Any, during: Callable[[], object]) -> Callable[[Any], None]:
    """A view that reads the session, lets `during` happen, then sets `key` (None: deletes)."""

    def view(session: Any) -> None:
        session.get("_auth_user_id")  # loaded here
        during()
        if value is None:
            del session[key]
        else:
            session[key] = value

    return view


def socket_saves(cookie: str, key: str, value: Any) -> Callable[[], None]:
    """What a socket of this session does: open it (as at connect), set `key`, save."""

    def save() -> None:
        store = DjangoStore()
        fmt = store.format()
        session = open_verdict(resolve(cookie, fmt, time.time()), store, fmt, time.time)
        assert isinstance(session, Session), session
        session[key] = value
        session.save()

    return save


@each(BOTH)
def test_a_request_holding_a_stale_copy_keeps_what_a_socket_saved(engine: str) -> None:
    cookie = login(**LOGGED_IN)
    serve(changing("theme", "dark", socket_saves(cookie, "from_socket", 1)), cookie)
    seen = reads(cookie)
    assert seen["theme"] == "dark" and seen["_auth_user_id"] == "42"
    if engine == "merging":
        assert seen["from_socket"] == 1
    else:
        assert "from_socket" not in seen  # the race is real: the stock engine erases it


@each(BOTH)
def test_two_requests_changing_different_keys_keep_both(engine: str) -> None:
    cookie = login(**LOGGED_IN)
    other = lambda: serve(changing("b", 2, lambda: None), cookie)  # noqa: E731
    serve(changing("a", 1, other), cookie)
    seen = reads(cookie)
    assert seen["a"] == 1
    assert (seen.get("b") == 2) is (engine == "merging")


@each([(name, "merging") for name in ENGINES])
def test_a_key_deleted_over_http_stays_deleted(engine: str) -> None:
    cookie = login(**LOGGED_IN, cart=[1, 2])
    serve(changing("cart", None, socket_saves(cookie, "from_socket", 1)), cookie)
    assert reads(cookie) == {**LOGGED_IN, "from_socket": 1}


@each([(name, "merging") for name in ENGINES])
def test_an_in_place_edit_counts_as_a_change(engine: str) -> None:
    cookie = login(**LOGGED_IN, cart=[1])

    def view(session: Any) -> None:
        cart = session["cart"]
        socket_saves(cookie, "from_socket", 1)()
        cart.append(2)
        session.modified = True  # Django saves only when told; the merge finds what changed

    serve(view, cookie)
    assert reads(cookie) == {**LOGGED_IN, "cart": [1, 2], "from_socket": 1}


@each([(name, "merging") for name in ENGINES])
def test_a_session_deleted_meanwhile_is_not_brought_back(engine: str) -> None:
    from django.contrib.sessions.exceptions import (  # type: ignore[import-untyped]
        SessionInterrupted,
    )

    cookie = login(**LOGGED_IN)
    key = cookie.split("=", 1)[1]
    with pytest.raises(SessionInterrupted):
        serve(changing("theme", "dark", lambda: DjangoStore().delete(key)), cookie)
    assert DjangoStore().get(key) is None


@each([(name, "merging") for name in ENGINES])
def test_switching_it_on_and_off_loses_no_session(engine: str) -> None:
    from django.conf import settings
    from django.test.utils import override_settings

    name = settings.SESSION_ENGINE.rsplit(".", 1)[1]
    cookie = login(**LOGGED_IN)
    serve(changing("a", 1, lambda: None), cookie)
    with override_settings(SESSION_ENGINE=engine_path(name, "stock")):
        assert reads(cookie) == {**LOGGED_IN, "a": 1}
        serve(changing("b", 2, lambda: None), cookie)
    assert reads(cookie) == {**LOGGED_IN, "a": 1, "b": 2}


@each([("db", "merging"), ("db", "stock")])
def test_sign_out_everywhere_with_the_index_beside_django(engine: str) -> None:
    """`DjangoStore` keeps no user index: one beside it (here a `MemoryStore`) takes the
    login's `register_session`, and `revoke_user` finds every session there."""
    from sessio.sync import MemoryStore, register_session, revoke_user

    index, store = MemoryStore(), DjangoStore()
    fmt = store.format()
    cookies = []
    for _ in range(2):

        def view(session: Any) -> None:
            session.cycle_key()  # auth.login
            session.update(LOGGED_IN)
            # The one line at login (in a user_logged_in receiver: request.session, user.pk):
            assert register_session(store, fmt, session.session_key, 42, index=index) is None

        cookies.append(serve(view))
    other = login(_auth_user_id="7")
    register_session(store, fmt, other.split("=", 1)[1], 42, index=index)  # changed hands since
    assert revoke_user(store, fmt, 42, index=index) == 2  # the default key: _auth_user_id
    assert [reads(cookie) for cookie in cookies] == [{}, {}]
    assert reads(other) == {"_auth_user_id": "7"}


@each([("db", "merging"), ("cache", "merging")])
def test_the_async_session_api_merges_too(engine: str) -> None:
    """``aget``/``asave`` (Django's async session API) load and save the same way."""
    import asyncio

    from django.contrib.sessions.backends.base import (  # type: ignore[import-untyped]
        SessionBase,
    )
    from django.utils.module_loading import import_string  # type: ignore[import-untyped]

    cookie = login(**LOGGED_IN)
    key = cookie.split("=", 1)[1]
    from django.conf import settings

    store_class: type[SessionBase] = import_string(settings.SESSION_ENGINE + ".SessionStore")

    async def request() -> None:
        session = store_class(session_key=key)
        assert await session.aget("_auth_user_id") == "42"  # loaded (aload)
        await asyncio.to_thread(socket_saves(cookie, "from_socket", 1))
        await session.aset("theme", "dark")
        await session.asave()

    asyncio.run(request())
    assert reads(cookie) == {**LOGGED_IN, "from_socket": 1, "theme": "dark"}
