"""What Django's session formats share: session keys, expiry ages, the two serializers.

`django` (signed cookies; ``db``, ``file``, ``cache``) and `django_native` (the app's own
engine) both follow ``django.contrib.sessions.backends.base.SessionBase`` here; the facts are
atop those modules.
"""

from __future__ import annotations

import json
import math
import pickle
import string
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal

from sessio.core._failures import Failure
from sessio.core.signers.django import derived_key, dumps

__all__ = [
    "DjangoSerializer",
    "check_session_key",
    "derive_keys",
    "deserialize",
    "new_session_key",
    "parse_expiry",
    "serialize",
    "session_expiry",
    "sign_session",
    "unpickle",
    "whole_seconds",
]

DjangoSerializer = Literal["json", "pickle"]

# Django's VALID_KEY_CHARS, and get_random_string(32, VALID_KEY_CHARS) for a new key.
_KEY_ALPHABET = string.digits + string.ascii_lowercase
_KEY_CHARS = frozenset(_KEY_ALPHABET)
_KEY_LENGTH = 32
# SessionBase._validate_session_key: shorter keys are never looked up.
_MIN_KEY_LENGTH = 8


def check_session_key(value: str, cookie: str) -> Failure | None:
    """Why cookie `cookie`'s `value` is no session key Django would look up; None if it is."""
    if len(value) < _MIN_KEY_LENGTH:
        return Failure.malformed(cookie, "a session key is at least 8 characters")
    if not _KEY_CHARS.issuperset(value):
        return Failure.malformed(cookie, "a session key is made of a-z and 0-9 only")
    return None


def new_session_key(entropy: bytes) -> str:
    """32 characters of ``[a-z0-9]``, like Django's ``_get_new_session_key``.

    Give at least 21 bytes of entropy: 36**32 is about 2**165.
    """
    number = int.from_bytes(entropy, "big") % len(_KEY_ALPHABET) ** _KEY_LENGTH
    digits = []
    for _ in range(_KEY_LENGTH):
        number, remainder = divmod(number, len(_KEY_ALPHABET))
        digits.append(_KEY_ALPHABET[remainder])
    return "".join(digits)


def parse_expiry(value: str) -> datetime | None:
    """An ISO ``_session_expiry`` as an aware datetime; None when it is not ISO."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    # Django compares with timezone.now(), aware under USE_TZ (the default since 4.0); a naive
    # value is taken as UTC rather than the server's unknown local time.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def whole_seconds(moment: datetime, now: float) -> int:
    """The seconds from `now` until `moment`, as Django's timedelta arithmetic gives them."""
    # timedelta's days * 86400 + seconds: whole seconds, rounded down.
    return math.floor(moment.timestamp() - now)


def session_expiry(data: Mapping[str, Any], now: float, name: str) -> int | Failure | None:
    """``get_expiry_age`` from the session's own ``_session_expiry`` at `now`.

    None when it has none (falsy): the age is then ``SESSION_COOKIE_AGE``, the format's. A
    number is that many seconds; an ISO datetime string is the whole seconds until it.
    """
    expiry = data.get("_session_expiry")
    if not expiry:
        return None
    if isinstance(expiry, int | float) and math.isfinite(expiry):
        return math.floor(expiry)
    if isinstance(expiry, str):
        moment = parse_expiry(expiry)
        if moment is not None:
            return whole_seconds(moment, now)
    return Failure.unserializable(name, "_session_expiry is not seconds or a datetime")


def derive_keys(salt: str, secrets: tuple[bytes, ...]) -> tuple[bytes, ...]:
    """The HMAC keys ``salted_hmac`` uses for `salt` and each of `secrets`, in order."""
    return tuple(derived_key(salt, secret) for secret in secrets)


def sign_session(
    keys: tuple[bytes, ...], serializer: DjangoSerializer, data: Mapping[str, Any], now: float
) -> str | Failure:
    """``signing.dumps(data, compress=True)`` at `now` under the first of `keys` (derived)."""
    payload = serialize(data, serializer)
    if isinstance(payload, Failure):
        return payload
    return dumps(payload, keys[0], now)


def serialize(data: Mapping[str, Any], serializer: DjangoSerializer) -> bytes | Failure:
    """``SESSION_SERIALIZER``'s ``dumps``: JSON (Django's), or a pickle (Django < 5)."""
    try:
        if serializer == "pickle":
            return pickle.dumps(dict(data), pickle.HIGHEST_PROTOCOL)
        # Django's JSONSerializer: compact, ASCII (ensure_ascii), NaN allowed, latin-1 bytes.
        return json.dumps(dict(data), separators=(",", ":")).encode("latin-1")
    except (TypeError, ValueError, AttributeError, RecursionError, pickle.PicklingError) as e:
        return Failure.unserializable(f"Django {serializer}", type(e).__name__)


def deserialize(payload: bytes, serializer: DjangoSerializer) -> dict[str, Any] | str:
    """``SESSION_SERIALIZER``'s ``loads``: the session dict, or why the payload is not one.

    The caller has checked ``allow_pickle`` for the pickle serializer.
    """
    if serializer == "pickle":
        return unpickle(payload)
    try:
        document = json.loads(payload.decode("latin-1"))
    except (ValueError, RecursionError) as error:
        return f"the payload is not JSON ({type(error).__name__})"
    if not isinstance(document, dict):
        return "the payload is not a JSON object"
    return document


def unpickle(payload: bytes) -> dict[str, Any] | str:
    """The pickled session dict, or why the payload is not one."""
    # The caller has checked allow_pickle: only then is this code execution accepted.
    try:
        document = pickle.loads(payload)
    except Exception as error:  # a broken pickle can raise almost anything
        return f"the pickle does not load ({type(error).__name__})"
    if not isinstance(document, dict):
        return "the pickle is not a dict"
    return document
