"""Starlette's ``SessionMiddleware`` (and so FastAPI's): the session in a signed cookie.

Facts, from Starlette's ``starlette/middleware/sessions.py`` and itsdangerous 2.2:

* signer: ``itsdangerous.TimestampSigner(str(secret_key))``: salt ``itsdangerous.Signer``,
  the default ``django-concat`` key derivation (key = SHA1(b"itsdangerous.Signer" + b"signer"
  + secret)), HMAC-SHA1. One secret: Starlette has no key rotation.
* cookie value: ``b64encode(json.dumps(session).encode())`` (standard alphabet, ``=``
  padding kept), then ``.`` + base64url timestamp + ``.`` + base64url signature.
* reading: ``json.loads(b64decode(signer.unsign(value, max_age=max_age)))`` with ``max_age``
  14 days by default (None: no age check); an age above it or below zero is rejected, and the
  request gets an empty session.

The session lives in the browser, so it is read-only from a socket.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable

from attrs import field, frozen

from sessio.core._failures import Failure
from sessio.core._keys import one_key
from sessio.core._verdicts import ClientSession
from sessio.core.formats._base import CookieFormat
from sessio.core.signers._primitives import Rejected
from sessio.core.signers.itsdangerous import itsdangerous_key, itsdangerous_unsign_timed

__all__ = ["StarletteFormat", "starlette"]

_SALT = b"itsdangerous.Signer"


def _secret_key(value: object) -> str:
    # SessionMiddleware signs with str(secret_key): Starlette's own Secret gives its value
    # (and bytes their repr, as in Starlette). A list is not one key: Starlette has no rotation.
    if not isinstance(value, str | bytes | bytearray | Iterable):
        value = str(value)
    return str(one_key(value, "secret_key"))


@frozen
class StarletteFormat(CookieFormat):
    """Starlette's ``SessionMiddleware`` cookie (read-only). Build with `starlette`."""

    secret_key: str = field(converter=_secret_key, repr=False)
    max_age: int | None = 1209600
    key: str = "session"
    name: str = field(default="starlette", init=False)
    _signing_key: bytes = field(init=False, repr=False, eq=False)

    @_signing_key.default
    def _derive_key(self) -> bytes:
        return itsdangerous_key(self.secret_key.encode("utf-8"), _SALT, "django-concat")

    def read_cookie(self, value: str, now: float) -> ClientSession | Failure:
        """Verify the signature and age at `now`, then open the base64 JSON; never raises."""
        if not value:
            return Failure.malformed(self.key, "the value is empty")
        try:
            signed = value.encode("utf-8")
        except UnicodeEncodeError:
            return Failure.malformed(self.key, "it is not encodable text")
        verdict = itsdangerous_unsign_timed(signed, (self._signing_key,), self.max_age, now)
        if isinstance(verdict, Rejected):
            if verdict.kind == "bad-signature":
                return Failure.bad_signature(self.key, 1)
            if verdict.kind == "expired":
                return Failure.expired(f"the Starlette cookie was {verdict.why}")
            return Failure.malformed(self.key, verdict.why)
        try:
            # b64decode without validate, as Starlette calls it: stray characters are skipped.
            document = json.loads(base64.b64decode(verdict.value))
        except (binascii.Error, ValueError, RecursionError) as error:
            return Failure.malformed(
                self.key, f"the payload is not base64 JSON ({type(error).__name__})"
            )
        if not isinstance(document, dict):
            return Failure.malformed(self.key, "the payload is not a JSON object")
        return ClientSession(document, 0, float(verdict.timestamp))


def starlette(
    secret_key: str, max_age: int | None = 1209600, key: str = "session"
) -> StarletteFormat:
    """Starlette's (and FastAPI's) ``SessionMiddleware`` format; read-only from a socket.

    `secret_key` (a str, or Starlette's ``Secret``), `max_age` (seconds; None: no age check)
    and `key` (``session_cookie``) are the middleware's arguments of the same names.
    """
    return StarletteFormat(secret_key, max_age, key)
