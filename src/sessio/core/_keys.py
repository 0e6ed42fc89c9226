"""The one rule for the secrets every format's factory takes.

A secret that verifies cookies must be a real key. Two configuration slips make a format trust
forged cookies without a word, and both are refused here, with the argument's name:

* an empty key (``""``, ``b""``): an HMAC under it is one anybody can compute;
* a single ``str`` or ``bytes`` where a list of keys is expected (``fallbacks="old"``): Python
  iterates it into one-character keys, and a forged cookie then needs at most a few dozen
  guesses.

Where the framework takes one key (Flask's ``SECRET_KEY``, Starlette's ``secret_key``) it is
`one_key`; where it takes a list (``SECRET_KEY_FALLBACKS``) it is `key_list`; where it takes
either (express-session's ``secret``: "a string or an array") it is `one_or_more_keys`.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["Key", "key_list", "one_key", "one_or_more_keys"]

Key = str | bytes


def one_key(value: object, argument: str) -> Key:
    """`value` as one key: a non-empty ``str`` or ``bytes`` (a ``bytearray`` becomes bytes).

    Raises TypeError for anything else (a list of keys too) and ValueError when it is empty;
    both messages name `argument`.
    """
    if isinstance(value, bytearray):
        value = bytes(value)
    if not isinstance(value, str | bytes):
        raise TypeError(f"{argument} must be one key (str or bytes), not {type(value).__name__}")
    if not value:
        raise ValueError(
            f"{argument} must not be empty: anyone can sign a cookie with an empty key"
        )
    return value


def key_list(value: object, argument: str, *, at_least_one: bool = False) -> tuple[Key, ...]:
    """`value` as a sequence of keys, each checked by `one_key`.

    A ``str`` or ``bytes`` is a TypeError, not a list of one-character keys; so is anything
    that is not iterable. With `at_least_one`, an empty sequence is a ValueError.
    """
    if isinstance(value, str | bytes | bytearray | memoryview):
        raise TypeError(
            f"{argument} is a list of keys, not one {type(value).__name__}: taken as a list, "
            "it would be one-character keys; wrap the key in a list"
        )
    if not isinstance(value, Iterable):
        raise TypeError(f"{argument} must be a list of keys, not {type(value).__name__}")
    items = tuple(value)
    if at_least_one and not items:
        raise ValueError(f"{argument} must hold at least one key")
    return tuple(one_key(item, f"{argument}[{index}]") for index, item in enumerate(items))


def one_or_more_keys(value: object, argument: str) -> tuple[Key, ...]:
    """`value` as one key or a non-empty list of them, as express-session's ``secret`` is."""
    if isinstance(value, str | bytes | bytearray):
        return (one_key(value, argument),)
    return key_list(value, argument, at_least_one=True)
