"""Formats by name, as ``sessio inspect`` takes them on its command line."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sessio.core.formats import Format, aiohttp, django, express, flask, flask_session, starlette
from sessio.core.formats.flask_session import FlaskSessionFormat

__all__ = ["NAMES", "OPTIONS", "by_name", "ignored_secret", "option_value", "options_help"]


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


# The factories behind each name, for their option names: those --secret fills are not options.
_FACTORIES: Mapping[str, Callable[..., Format]] = {
    "express": express,
    "flask": flask,
    "flask-session": flask_session,
    "starlette": starlette,
    "django": django,
    "aiohttp": aiohttp,
}
_FROM_SECRET = {"secrets", "secret_key", "fallbacks", "fernet_key"}

#: The ``--option`` names each format takes.
OPTIONS: Mapping[str, tuple[str, ...]] = {
    name: tuple(p for p in inspect.signature(build).parameters if p not in _FROM_SECRET)
    for name, build in _FACTORIES.items()
}

# The framework's own name for a setting, where it is not sessio's (lower case).
_THEIR_NAMES: Mapping[str, Mapping[str, str]] = {
    "express": {"name": "key", "secret": "--secret", "maxage": "cookie_max_age"},
    "flask": {
        "session_cookie_name": "key",
        "permanent_session_lifetime": "lifetime",
        "secret_key": "--secret",
    },
    "flask-session": {
        "session_use_signer": "use_signer",
        "session_key_prefix": "prefix",
        "session_serialization_format": "serializer",
        "session_cookie_name": "key",
        "permanent_session_lifetime": "lifetime",
        "session_permanent": "permanent",
        "secret_key": "--secret",
    },
    "starlette": {"session_cookie": "key", "secret_key": "--secret"},
    "django": {
        "session_cookie_name": "key",
        "session_engine": "backend",
        "session_cookie_age": "max_age",
        "session_serializer": "serializer",
        "secret_key": "--secret",
    },
    "aiohttp": {"cookie_name": "key", "key_prefix": "prefix", "fernet_key": "--secret"},
}


def options_help() -> str:
    """Each format's ``--option`` names, for ``--help``."""
    return "\n".join(f"  {name}: {', '.join(OPTIONS[name])}" for name in NAMES)


def _check_options(name: str, options: Mapping[str, Any]) -> None:
    for key in options:
        if key in OPTIONS[name]:
            continue
        theirs = "--secret" if key in _FROM_SECRET else _THEIR_NAMES[name].get(key.lower())
        if theirs == "--secret":
            hint = f" (give {key} as --secret, repeated for rotation)"
        elif theirs is not None:
            hint = f" (the framework's {key} is {theirs}= here)"
        else:
            hint = ""
        raise ValueError(
            f"--option {key}: the {name} format has no option {key!r}{hint}; its options: "
            f"{', '.join(OPTIONS[name])}"
        )


def ignored_secret(fmt: Format) -> str | None:
    """Why this format, so configured, checks no signature although a secret was given."""
    if isinstance(fmt, FlaskSessionFormat) and not fmt.use_signer:
        return (
            "flask-session signs the session id only with SESSION_USE_SIGNER: add "
            "--option use_signer=true if the app sets it"
        )
    return None


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
    values = {k.replace("-", "_"): option_value(v) for k, v in options.items()}
    _check_options(name, values)
    for param in inspect.signature(_FACTORIES[name]).parameters.values():
        # aiohttp's one required option, storage, has its own message (and --secret sets it).
        required = param.default is inspect.Parameter.empty
        if required and param.name in _FROM_SECRET and not secrets:
            raise ValueError(f"--format {name} needs --secret (the app's {param.name})")
    try:
        return NAMES[name](secrets, values)
    except (ValueError, TypeError) as error:
        given = " ".join([f"--format {name}", *(f"--option {k}={v}" for k, v in options.items())])
        raise type(error)(f"{given}: {error}") from error
