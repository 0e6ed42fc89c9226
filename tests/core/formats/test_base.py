"""The two kinds of format: every format is exactly one, and a cookie format cannot be written."""

from __future__ import annotations

import inspect

import attrs
import pytest
import socketio
from hypothesis import given, settings
from hypothesis import strategies as st

import sessio.aio
import sessio.sync
from sessio import SessionError, formats
from sessio.core import CookieFormat, Format, SessionRef, StoreFormat, resolve

FERNET = b"k" * 32

#: Every format, in every configuration that changes its kind or its cookie, and its kind.
COOKIE_FORMATS: dict[str, CookieFormat] = {
    "flask": formats.flask("k"),
    "starlette": formats.starlette("k"),
    "django signed_cookies": formats.django("k"),
    "aiohttp simple": formats.aiohttp("simple"),
    "aiohttp encrypted": formats.aiohttp("encrypted", FERNET),
}
STORE_FORMATS: dict[str, StoreFormat] = {
    "express": formats.express(["k", "old"]),
    "express unsigned": formats.express(None),
    "flask_session": formats.flask_session(),
    "flask_session signed": formats.flask_session("k", use_signer=True),
    "django db": formats.django("k", backend="db"),
    "django file": formats.django("k", backend="file"),
    "django cache": formats.django("k", backend="cache"),
    "django_native": formats.django_native(),
    "aiohttp redis": formats.aiohttp("redis"),
}
FORMATS: dict[str, Format] = {**COOKIE_FORMATS, **STORE_FORMATS}

#: What only a store format has: what the write plans and `load` call.
STORE_ONLY = {
    "store_key",
    "nesting_bound",
    "decode",
    "encode",
    "fresh",
    "touch",
    "new_session_id",
    "cookie_value",
    "touches_on_save",
}


def test_the_store_only_members_are_these() -> None:
    # So that the test below cannot pass by checking nothing.
    assert set(dir(StoreFormat)) - set(dir(CookieFormat)) == STORE_ONLY
    assert set(dir(CookieFormat)) - set(dir(StoreFormat)) == set()


@pytest.mark.parametrize("label", FORMATS)
def test_every_format_is_exactly_one_kind(label: str) -> None:
    fmt = FORMATS[label]
    assert isinstance(fmt, Format)
    assert isinstance(fmt, CookieFormat) != isinstance(fmt, StoreFormat)
    assert isinstance(fmt, CookieFormat) is (label in COOKIE_FORMATS)
    assert fmt.writable is isinstance(fmt, StoreFormat)
    assert attrs.has(type(fmt)) and type(fmt).__setattr__ is not object.__setattr__


@pytest.mark.parametrize("label", COOKIE_FORMATS)
def test_a_cookie_format_has_no_store_methods(label: str) -> None:
    fmt = COOKIE_FORMATS[label]
    assert not [name for name in STORE_ONLY if hasattr(fmt, name)]


def test_every_exported_format_class_is_exactly_one_kind() -> None:
    classes = [
        value
        for name, value in vars(formats).items()
        if inspect.isclass(value) and name.endswith("Format") and not inspect.isabstract(value)
    ]
    assert len(classes) == 9
    for cls in classes:
        assert issubclass(cls, CookieFormat) != issubclass(cls, StoreFormat), cls
    # The framework-wide names cover both of that framework's kinds.
    assert formats.DjangoFormat == formats.DjangoCookieFormat | formats.DjangoStoreFormat
    assert formats.AiohttpFormat == formats.AiohttpCookieFormat | formats.AiohttpStoreFormat
    assert formats.Format == CookieFormat | StoreFormat


def test_the_factories_pick_the_kind_from_the_backend() -> None:
    assert isinstance(formats.django("k"), formats.DjangoCookieFormat)
    for backend in ("db", "file", "cache"):
        fmt = formats.django("k", backend=backend)
        assert isinstance(fmt, formats.DjangoStoreFormat) and fmt.backend == backend
    assert formats.django("k").backend == "signed_cookies"
    for storage in ("simple", "encrypted"):
        cookie = formats.aiohttp(storage, FERNET if storage == "encrypted" else None)
        assert isinstance(cookie, formats.AiohttpCookieFormat) and cookie.storage == storage
    redis = formats.aiohttp("redis")
    assert isinstance(redis, formats.AiohttpStoreFormat) and redis.storage == "redis"
    with pytest.raises(ValueError, match="backend"):
        formats.DjangoStoreFormat((b"k",), backend="signed_cookies")  # type: ignore[arg-type]


@settings(max_examples=60)
@given(
    label=st.sampled_from(sorted(STORE_FORMATS)),
    entropy=st.binary(min_size=24, max_size=32),
    now=st.floats(0, 2e9),
)
def test_a_new_session_cookie_names_that_session(label: str, entropy: bytes, now: float) -> None:
    # The store kind's contract: the cookie a new session gets reads back as that session.
    fmt = STORE_FORMATS[label]
    session_id = fmt.new_session_id(entropy)
    verdict = resolve(f"{fmt.key}={fmt.cookie_value(session_id)}", fmt, now)
    assert isinstance(verdict, SessionRef)
    assert (verdict.session_id, verdict.key) == (session_id, fmt.store_key(session_id))


@pytest.mark.parametrize("label", COOKIE_FORMATS)
def test_the_sync_shell_refuses_to_create_a_cookie_session(label: str) -> None:
    sessions = sessio.sync.SessionSockets(
        socketio.Server(), sessio.sync.MemoryStore(), COOKIE_FORMATS[label]
    )
    with pytest.raises(SessionError) as refused:
        sessions.create({"user": "ann"})
    assert refused.value.code == "read-only"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
@pytest.mark.parametrize("label", COOKIE_FORMATS)
async def test_the_async_shell_refuses_to_create_a_cookie_session(label: str) -> None:
    sessions = sessio.aio.AsyncSessionSockets(
        socketio.AsyncServer(), sessio.aio.MemoryStore(), COOKIE_FORMATS[label]
    )
    with pytest.raises(SessionError) as refused:
        await sessions.create({"user": "ann"})
    assert refused.value.code == "read-only"
