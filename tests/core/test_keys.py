"""One rule for every factory's keys (`sessio.core._keys`), tested once for all of them.

Issue 7 §1: ``flask(key, fallbacks="old")`` took "old" as the keys "o", "l", "d" (a forged
cookie needed at most 62 guesses), and empty keys were taken too. Every factory that takes keys
is listed in `ARGUMENTS`, each key argument with its shape; every shape gets the same cases.
"""

from __future__ import annotations

import base64
import inspect
import re
from collections.abc import Callable
from typing import Any

import pytest
from attrs import frozen
from hypothesis import given
from hypothesis import strategies as st
from starlette.datastructures import Secret

from sessio import formats
from sessio.core._keys import key_list, one_key, one_or_more_keys
from sessio.core.formats._base import Format

FERNET_RAW = bytes(range(32))
FERNET_TEXT = base64.urlsafe_b64encode(bytes(range(1, 33))).decode()


@frozen
class Argument:
    """One key argument of one factory.

    `shape` is "one" (the framework takes one key), "list" (it takes a list: one str or bytes
    is a TypeError) or "one-or-more" (either, as express-session's ``secret``). `build` makes
    the format with the value in that argument; `kept` reads back, as bytes, the keys it kept
    for it; `keys` are two valid keys (str and bytes) for it.
    """

    factory: str
    name: str
    shape: str
    build: Callable[[Any], Format]
    kept: Callable[[Any], tuple[bytes, ...]]
    keys: tuple[str | bytes, str | bytes] = ("k1", b"k2")


def _utf8(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode()


def _fernet(value: str | bytes) -> bytes:
    return (
        value if len(value) == 32 and isinstance(value, bytes) else base64.b64decode(value, b"-_")
    )


ARGUMENTS = [
    Argument(
        "express",
        "secrets",
        "one-or-more",
        formats.express,
        lambda f: tuple(_utf8(k) for k in f.secrets),
    ),
    Argument("flask", "secret_key", "one", formats.flask, lambda f: f.secrets[:1]),
    Argument(
        "flask", "fallbacks", "list", lambda v: formats.flask("k", v), lambda f: f.secrets[1:]
    ),
    Argument(
        "flask_session",
        "secret_key",
        "one",
        lambda v: formats.flask_session(v, use_signer=True),
        lambda f: (f.secret_key,),
    ),
    Argument(
        "starlette", "secret_key", "one", formats.starlette, lambda f: (f.secret_key.encode(),)
    ),
    Argument("django", "secret_key", "one", formats.django, lambda f: f.secrets[:1]),
    Argument(
        "django", "fallbacks", "list", lambda v: formats.django("k", v), lambda f: f.secrets[1:]
    ),
    Argument(
        "aiohttp",
        "fernet_key",
        "one-or-more",
        lambda v: formats.aiohttp("encrypted", fernet_key=v),
        lambda f: f.fernet_keys,
        (FERNET_TEXT, FERNET_RAW),
    ),
]

#: Factories that take no key at all, and why.
KEYLESS = {"django_native": "the app's own session engine signs and verifies its data"}


def _expected(argument: Argument, keys: tuple[str | bytes, ...]) -> tuple[bytes, ...]:
    if argument.factory == "aiohttp":
        return tuple(_fernet(k) for k in keys)
    if argument.factory == "starlette":
        # SessionMiddleware signs with str(secret_key), bytes included.
        return tuple(str(k).encode() for k in keys)
    return tuple(_utf8(k) for k in keys)


def cases(argument: Argument) -> list[tuple[str, Any, type[Exception] | tuple[bytes, ...]]]:
    """(case, value, the exception it raises or the keys it keeps) for `argument`'s shape."""
    text, raw = argument.keys
    empty_inside = [text, ""] if argument.shape != "one" else None
    # An empty str or bytes is an empty key, or (where a list goes) not a list.
    empty = TypeError if argument.shape == "list" else ValueError
    table: list[tuple[str, Any, type[Exception] | tuple[bytes, ...]]] = [
        ("empty str", "", empty),
        ("empty bytes", b"", empty),
    ]
    if argument.shape == "list":
        table += [
            ("str where a list goes", "old", TypeError),
            ("bytes where a list goes", b"old", TypeError),
            ("empty key in a list", empty_inside, ValueError),
            ("empty bytes in a list", [b""], ValueError),
            ("not iterable", 3, TypeError),
            ("valid list", [text, raw], _expected(argument, (text, raw))),
            ("valid empty list", [], ()),
        ]
    elif argument.shape == "one-or-more":
        table += [
            ("empty key in a list", empty_inside, ValueError),
            ("empty bytes in a list", [b""], ValueError),
            ("empty list", [], ValueError),
            ("valid str", text, _expected(argument, (text,))),
            ("valid bytes", raw, _expected(argument, (raw,))),
            ("valid list", (text, raw), _expected(argument, (text, raw))),
        ]
    else:
        table += [
            ("list where one key goes", [text], TypeError),
            ("valid str", text, _expected(argument, (text,))),
            ("valid bytes", raw, _expected(argument, (raw,))),
        ]
    return table


@pytest.mark.parametrize(
    ("argument", "value", "outcome"),
    [
        pytest.param(argument, value, outcome, id=f"{argument.factory}-{argument.name}-{case}")
        for argument in ARGUMENTS
        for case, value, outcome in cases(argument)
    ],
)
def test_every_factory_checks_its_keys(
    argument: Argument, value: Any, outcome: type[Exception] | tuple[bytes, ...]
) -> None:
    if isinstance(outcome, tuple):
        assert argument.kept(argument.build(value)) == outcome
    else:
        with pytest.raises(outcome, match=re.escape(argument.name)):
            argument.build(value)


def test_every_factory_is_covered() -> None:
    factories = {
        name
        for name in formats.__all__
        if inspect.isfunction(getattr(formats, name)) and name != "by_name"
    }
    assert factories == {a.factory for a in ARGUMENTS} | set(KEYLESS)


def test_express_without_secrets_is_a_deliberate_none() -> None:
    # Unsigned ids on purpose: secrets=None, never an empty list or key.
    assert formats.express(None).secrets == ()
    with pytest.raises(ValueError, match="secrets=None"):
        formats.express([])


def test_starlette_takes_its_own_secret_type() -> None:
    assert formats.starlette(Secret("k")).secret_key == "k"  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="secret_key"):
        formats.starlette(Secret(""))  # type: ignore[arg-type]


def test_the_format_classes_refuse_empty_keys_too() -> None:
    with pytest.raises(ValueError, match="secrets"):
        formats.FlaskFormat((b"k", b""))
    with pytest.raises(TypeError, match="secrets"):
        formats.DjangoCookieFormat("old")
    with pytest.raises(TypeError, match="secrets"):
        formats.DjangoStoreFormat("old")
    with pytest.raises(ValueError, match="secret_key"):
        formats.StarletteFormat("")
    # Built directly, an empty list is a slip too, not unsigned ids: only None means that.
    with pytest.raises(ValueError, match="secrets"):
        formats.ExpressFormat([])
    assert formats.ExpressFormat(None).secrets == ()


# --- the helper itself --------------------------------------------------------------------

keys = st.text(min_size=1) | st.binary(min_size=1)


@given(value=st.text() | st.binary())
def test_one_str_or_bytes_is_never_a_list_of_keys(value: str | bytes) -> None:
    with pytest.raises(TypeError, match="fallbacks"):
        key_list(value, "fallbacks")


@given(values=st.lists(keys))
def test_a_list_of_keys_is_kept_as_it_is(values: list[str | bytes]) -> None:
    assert key_list(values, "fallbacks") == tuple(values)
    if values:
        assert one_or_more_keys(values, "secrets") == tuple(values)


@given(value=keys)
def test_one_key_is_one_key(value: str | bytes) -> None:
    assert one_key(value, "secret_key") == value
    assert one_or_more_keys(value, "secrets") == (value,)
    assert one_key(bytearray(_utf8(value)), "secret_key") == _utf8(value)


@given(values=st.lists(keys), at=st.integers(0, 10), empty=st.sampled_from(["", b""]))
def test_an_empty_key_anywhere_is_refused(
    values: list[str | bytes], at: int, empty: str | bytes
) -> None:
    values.insert(min(at, len(values)), empty)
    with pytest.raises(ValueError, match=re.escape(f"fallbacks[{min(at, len(values) - 1)}]")):
        key_list(values, "fallbacks")
