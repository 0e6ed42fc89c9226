"""Flask's default session: the whole session in an itsdangerous-signed ``session`` cookie.

Facts, from Flask 3.1's ``flask/sessions.py`` and ``flask/json/tag.py`` and itsdangerous 2.2:

* ``SecureCookieSessionInterface`` signs with ``URLSafeTimedSerializer(keys, salt=
  "cookie-session", serializer=TaggedJSONSerializer(), signer_kwargs={"key_derivation":
  "hmac", "digest_method": sha1})`` where ``keys = SECRET_KEY_FALLBACKS + [SECRET_KEY]``: the
  last key signs, every key verifies.
* cookie value: ``payload.timestamp.signature``. The payload is base64url (no padding) of
  compact JSON, or ``.`` + base64url(zlib(json)) when that is more than one byte shorter; the
  timestamp is base64url of the big-endian seconds; the signature is
  base64url(HMAC-SHA1(HMAC-SHA1(secret, b"cookie-session"), payload.timestamp)).
* ``open_session`` loads with ``max_age = int(PERMANENT_SESSION_LIFETIME.total_seconds())``
  (31 days by default); itsdangerous rejects an age above it and a negative age (a timestamp
  from the future). Any failure gives Flask an empty session.
* tagged JSON: a one-key object whose key is a tag is turned back into ``' t'`` tuple,
  ``' b'`` bytes (standard base64), ``' m'`` Markup, ``' u'`` UUID, ``' d'`` datetime (an HTTP
  date, parsed by werkzeug's ``parse_date``: aware, UTC when it names no zone) and ``' di'`` a
  dict whose only key looked like a tag (``key + "__"`` on the wire). Inner values are untagged
  first. There is no other tag.

The session lives in the browser, so it is read-only from a socket.
"""

from __future__ import annotations

import base64
import email.utils
import json
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from attrs import field, frozen

from sessio.core._failures import Failure
from sessio.core._keys import key_list, one_key
from sessio.core._verdicts import ClientSession
from sessio.core.formats._base import CookieFormat
from sessio.core.formats._convert import optional_seconds, secrets_bytes
from sessio.core.signers._primitives import MAX_DECOMPRESSED, Rejected, inflate
from sessio.core.signers.itsdangerous import (
    itsdangerous_b64decode,
    itsdangerous_key,
    itsdangerous_unsign_timed,
)

__all__ = ["MAX_DECOMPRESSED", "FlaskFormat", "flask", "load_payload", "untag"]

# datetime.fromtimestamp(ts, UTC), which itsdangerous calls on success, fails past year 9999.
_MAX_TIMESTAMP = 253402300799


def _parse_date(value: Any) -> datetime | None:
    """werkzeug's ``parse_date``: None where it cannot parse (it lets other errors through)."""
    if value is None:
        return None
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _untag_dict(value: Any) -> Any:
    # TagDict.to_python, expression for expression, so that odd input fails where Flask's does.
    key = next(iter(value))
    return {key[:-2]: value[key]}


class _Markup(str):
    """Stands in for ``markupsafe.Markup`` while untagging, with Markup's ``repr``: ``str()``
    of a container that holds one shows it (``{" m": [{" m": "x"}]}``)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Markup({super().__repr__()})"


_TAGS: dict[str, Callable[[Any], Any]] = {
    " di": _untag_dict,
    " t": tuple,
    " b": base64.b64decode,
    " m": _Markup,
    " u": uuid.UUID,
    " d": _parse_date,
}


def _plain(value: Any) -> Any:
    # Markup marks a str as safe HTML; a socket gets plain str, which compares equal.
    if isinstance(value, _Markup):
        return str.__str__(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    return value


def untag(value: Any) -> Any:
    """``TaggedJSONSerializer._untag_scan``: JSON-loaded `value` with Flask's tags turned back
    (Markup as a private str subclass; `load_payload` hands out plain str).

    Raises where Flask's would (a malformed tag), including ``RecursionError``.
    """
    if isinstance(value, dict):
        value = {k: untag(v) for k, v in value.items()}
        if len(value) == 1:
            ((key, inner),) = value.items()
            to_python = _TAGS.get(key)
            if to_python is not None:
                return to_python(inner)
        return value
    if isinstance(value, list):
        return [untag(item) for item in value]
    return value


def load_payload(payload: bytes) -> dict[str, Any] | str:
    """``URLSafeSerializerMixin.load_payload`` with Flask's serializer: the session dict, or
    why itsdangerous would raise ``BadPayload``."""
    compressed = payload.startswith(b".")
    data = itsdangerous_b64decode(payload[1:] if compressed else payload)
    if data is None:
        return "the payload is not base64url"
    if compressed:
        inflated = inflate(data)
        if inflated is None:
            return f"the payload does not decompress (or inflates past {MAX_DECOMPRESSED} bytes)"
        data = inflated
    try:
        document = _plain(untag(json.loads(data.decode("utf-8"))))
    except RecursionError:
        return "the payload nests too deeply"
    except Exception as error:  # Flask turns any error here into BadPayload
        return f"the payload is not Flask's tagged JSON ({type(error).__name__})"
    if not isinstance(document, dict):
        return "the payload is not a JSON object"
    return document


@frozen
class FlaskFormat(CookieFormat):
    """Flask's signed cookie session (read-only). Build with `flask`.

    `secrets` is ``(SECRET_KEY, *SECRET_KEY_FALLBACKS)``: a verdict's ``secret_index`` 0 means
    the current key, i means ``fallbacks[i - 1]``.
    """

    secrets: tuple[bytes, ...] = field(converter=secrets_bytes, repr=False)
    lifetime: int | None = field(default=2678400, converter=optional_seconds)
    key: str = "session"
    salt: str = "cookie-session"
    name: str = field(default="flask", init=False)
    _keys: tuple[bytes, ...] = field(init=False, repr=False, eq=False)

    @_keys.default
    def _derive_keys(self) -> tuple[bytes, ...]:
        salt = self.salt.encode("utf-8")
        return tuple(itsdangerous_key(secret, salt, "hmac") for secret in self.secrets)

    def read_cookie(self, value: str, now: float) -> ClientSession | Failure:
        """``URLSafeTimedSerializer.loads(value, max_age=lifetime)`` at `now`, never raising."""
        if not value:
            return Failure.malformed(self.key, "the value is empty")
        try:
            signed = value.encode("utf-8")
        except UnicodeEncodeError:
            return Failure.malformed(self.key, "it is not encodable text")
        verdict = itsdangerous_unsign_timed(signed, self._keys, self.lifetime, now)
        if isinstance(verdict, Rejected):
            if verdict.kind == "bad-signature":
                return Failure.bad_signature(self.key, len(self._keys))
            if verdict.kind == "expired":
                return Failure.expired(f"the Flask cookie was {verdict.why}")
            return Failure.malformed(self.key, verdict.why)
        if verdict.timestamp > _MAX_TIMESTAMP:
            return Failure.malformed(self.key, "its timestamp is past the year 9999")
        document = load_payload(verdict.value)
        if isinstance(document, str):
            return Failure.malformed(self.key, document)
        return ClientSession(document, verdict.index, float(verdict.timestamp))


def flask(
    secret_key: str | bytes,
    fallbacks: Sequence[str | bytes] = (),
    lifetime: float | timedelta | None = 2678400,
    key: str = "session",
    salt: str = "cookie-session",
) -> FlaskFormat:
    """Flask's default (signed cookie) session format; read-only from a socket.

    `secret_key` and `fallbacks` are ``SECRET_KEY`` and ``SECRET_KEY_FALLBACKS``; `lifetime`
    is ``PERMANENT_SESSION_LIFETIME`` in seconds or as a timedelta (31 days; None disables
    the age check); `key` is ``SESSION_COOKIE_NAME``; `salt` is the session interface's
    ``salt`` (change it only if the app's interface does).
    """
    current = one_key(secret_key, "secret_key")
    return FlaskFormat((current, *key_list(fallbacks, "fallbacks")), lifetime, key, salt)
