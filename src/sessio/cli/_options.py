"""Formats by name, as ``sessio inspect`` takes them on its command line."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sessio.core.formats import Format, aiohttp, django, express, flask, flask_session, starlette

__all__ = ["NAMES", "by_name", "option_value"]


def _last_is_current(
    build: Callable[..., Format],
) -> Callable[[Sequence[str], dict[str, Any]], Format]:
    # Flask and Django: like SECRET_KEY_FALLBACKS + [SECRET_KEY], the last secret is current.
    def make(secrets: Sequence[str], options: dict[str, Any]) -> Format:
        if secrets:
            options = {"secret_key": secrets[-1], "fallbacks": list(secrets[:-1]), **options}
        return build(**options)

    return make


def _single(build: Callable[..., Format], name: str) -> Callable[..., Format]:
    def make(secrets: Sequence[str], options: dict[str, Any]) -> Format:
        if len(secrets) > 1:
            raise ValueError(f"this format takes one secret, not {len(secrets)}")
        if secrets:
            options = {name: secrets[0], **options}
        return build(**options)

    return make


def _express(secrets: Sequence[str], options: dict[str, Any]) -> Format:
    return express(secrets=list(secrets), **options)


def _aiohttp(secrets: Sequence[str], options: dict[str, Any]) -> Format:
    # Secrets are Fernet keys, so they say storage=encrypted; without them aiohttp-session has
    # no default storage, and neither does this.
    if secrets:
        options = {"fernet_key": list(secrets), "storage": "encrypted", **options}
    if "storage" not in options:
        raise ValueError(
            "the aiohttp format needs its storage: storage=simple, encrypted (or a Fernet key "
            "as secret) or redis"
        )
    # Built from untyped options, aiohttp's overloads cannot tell the kind: either will do.
    fmt: Format = aiohttp(**options)
    return fmt


#: Format names as ``sessio inspect --format`` takes them.
NAMES: Mapping[str, Callable[[Sequence[str], dict[str, Any]], Format]] = {
    "express": _express,
    "flask": _last_is_current(flask),
    "flask-session": _single(flask_session, "secret_key"),
    "starlette": _single(starlette, "secret_key"),
    "django": _last_is_current(django),
    "aiohttp": _aiohttp,
}


def option_value(text: str) -> Any:
    """A command-line option value: ``none``, ``true``/``false``, a number, or the text."""
    lowered = text.lower()
    if lowered in ("none", "null"):
        return None
    if lowered in ("true", "false"):
        return lowered == "true"
    for number in (int, float):
        try:
            return number(text)
        except ValueError:
            pass
    return text


def by_name(name: str, secrets: Sequence[str] = (), options: Mapping[str, str] = {}) -> Format:
    """The format `name` (see `NAMES`) built from `secrets` and ``key=value`` `options`.

    For Flask and Django the last secret is the current key and the others its fallbacks;
    for express any may verify and the first signs. Raises ValueError or TypeError when the
    name, a secret or an option does not fit.
    """
    if name not in NAMES:
        raise ValueError(f"unknown format {name!r}; one of: {', '.join(NAMES)}")
    return NAMES[name](secrets, {k.replace("-", "_"): option_value(v) for k, v in options.items()})
