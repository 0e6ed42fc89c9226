"""express-session (+ cookie-signature, + connect-redis): the ``connect.sid`` format.

Facts, from the modules' own code:

* cookie value: ``s:`` + sid + ``.`` + cookie-signature's signature, URL-encoded in the header
  (how it is signed and decoded: `sessio.core.formats._express_cookie`); with several
  secrets the first signs and any verifies.
* an unsigned value is no session (express-session ignores it).
* store: key ``sess:`` + session_id, value ``JSON.stringify(session)`` with a ``cookie`` object
  (``originalMaxAge``, ``expires`` as an ISO string or null, ``httpOnly``, ``path``, ...).
* TTL (connect-redis): ``ceil((expires - now) / 1000)`` when ``cookie.expires`` is set, else the
  store's ``ttl`` (86400 s); a TTL of 0 or less deletes instead of writing.
* touch (``cookie.resetMaxAge``): ``expires = now + originalMaxAge`` when ``originalMaxAge`` is set.
  express-session touches every request's session before the route runs, so every save it
  makes carries a fresh ``expires``; a socket's save does the same (`touches_on_save`).
"""

from __future__ import annotations

import json
import math
import re
from binascii import b2a_base64
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from hmac import compare_digest
from typing import Any
from urllib.parse import quote

from attrs import field, frozen

from sessio.core._failures import Failure
from sessio.core._keys import one_or_more_keys
from sessio.core._stored import Encoded, StoredSession
from sessio.core._verdicts import SessionRef, new_session_ref
from sessio.core.formats._base import StoreFormat
from sessio.core.formats._express_cookie import (
    decode_uri_component,
    keyed_hmacs,
    sign,
    unsign,
    unsign_with,
)
from sessio.core.signers._primitives import b64encode_url_nopad, hmac_sha256_states, to_bytes

__all__ = ["ExpressFormat", "decode_uri_component", "express", "sign", "unsign"]

_SURROGATE = re.compile("[\ud800-\udfff]")
# What `json.loads` uses for text, called without its per-call checks.
_JSON = json.JSONDecoder()
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _iso_after(now: float, ms: float) -> str | None:
    """``new Date(now * 1000 + ms).toJSON()``: None (JSON's null) for an invalid date.

    Store bytes are anyone's who can write the store, so `ms` may be absurd (1e300, or the
    Infinity that `json.loads` accepts); such a date is null, as it is in JavaScript (which
    also has the years 10000 to 275760, where this gives null as well).
    """
    try:
        moment = _EPOCH + timedelta(milliseconds=math.floor(now * 1000 + ms))
    except (OverflowError, ValueError):
        return None
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _parse_expires(value: Any) -> float | None:
    """The ``cookie.expires`` field as Unix seconds; None when absent or unreadable."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _secrets(value: Sequence[str | bytes] | str | bytes | None) -> tuple[str | bytes, ...]:
    # express-session takes one secret or an array of them; so do we. None is the deliberate
    # choice of unsigned ids (`express(secrets=None)`); an empty list is a slip, refused.
    if value is None:
        return ()
    return one_or_more_keys(value, "secrets")


@frozen
class ExpressFormat(StoreFormat):
    """express-session's cookie with connect-redis's store layout. Build with `express`."""

    #: None (kept as ``()``) accepts unsigned session ids, on purpose only.
    secrets: tuple[str | bytes, ...] = field(converter=_secrets, repr=False)
    key: str = "connect.sid"
    prefix: str = "sess:"
    ttl: int = 86400
    cookie_max_age: float | None = None
    name: str = field(default="express", init=False)
    _keyed: tuple[Callable[[bytes], bytes], ...] = field(init=False, repr=False, eq=False)

    # The two refusals a handshake meets most, made once: failures are immutable values, and
    # building one (its message included) costs as much as the rest of a refusal.
    _unsigned: Failure = field(init=False, repr=False, eq=False)
    _bad_signature: Failure = field(init=False, repr=False, eq=False)
    # With one secret: its HMAC's two prepared SHA-256 states, for `read_cookie`'s fast path.
    _one_secret: tuple[Any, Any] | None = field(init=False, repr=False, eq=False)

    @_keyed.default
    def _key_secrets(self) -> tuple[Callable[[bytes], bytes], ...]:
        return keyed_hmacs(self.secrets)

    @_one_secret.default
    def _one_secret_states(self) -> tuple[Any, Any] | None:
        if len(self.secrets) != 1:
            return None
        return hmac_sha256_states(to_bytes(self.secrets[0]))

    @_unsigned.default
    def _unsigned_failure(self) -> Failure:
        return Failure.unsigned(self.key)

    @_bad_signature.default
    def _bad_signature_failure(self) -> Failure:
        return Failure.bad_signature(self.key, len(self.secrets))

    @property
    def touches_on_save(self) -> bool:
        """express-session slides ``cookie.expires`` on every request that saves."""
        return True

    def read_cookie(self, value: str, now: float) -> SessionRef | Failure:
        """Verify ``s:<sid>.<sig>`` against every secret (or a plain session id without secrets)."""
        if "%" in value:
            # `decode_uri_component`, its common case inline (one call less per handshake):
            # the same replaces, and the long way for whatever escape they leave.
            decoded = value.replace("%3A", ":")
            if "%" in decoded:
                decoded = decoded.replace("%2F", "/")
                if "%" in decoded:
                    decoded = decoded.replace("%2B", "+")
                    if "%" in decoded:
                        decoded = decoded.replace("%3D", "=")
            value = decoded if "%" not in decoded else decode_uri_component(value) or value
        if not self._keyed:
            if not value:
                return Failure.malformed(self.key, "the value is empty")
            return SessionRef(value, self.store_key(value))
        if not value.startswith("s:"):
            return self._unsigned
        # The signature is split off at the last ".": one call gives both sides, unsliced.
        signed, dot, given = value.rpartition(".")
        if not dot:
            return Failure.malformed(self.key, "a signed value without a signature")
        if self._one_secret is not None and value.isascii():
            # What every cookie express-session sets takes: one secret, ASCII text. `unsign_with`
            # and its HMAC inline (ASCII: encoding each part gives the bytes `unsign_with` hashes
            # and compares, "replace" never replacing anything). Every call saved here is
            # saved on every handshake; tests/core/formats/test_express.py checks this path
            # against `unsign_with` itself.
            session_id = signed[2:]
            inner_start, outer_start = self._one_secret
            inner = inner_start.copy()
            inner.update(session_id.encode())
            outer = outer_start.copy()
            outer.update(inner.digest())
            # b2a_base64 of a SHA-256 digest is its 43 characters, then "=\n": comparing with
            # those two appended to the given signature is comparing the 43, without a slice.
            if not compare_digest(b2a_base64(outer.digest()), given.encode() + b"=\n"):
                return self._bad_signature
            # `store_key`, inline.
            return new_session_ref(session_id, self.prefix + session_id, 0)
        if not value.isascii() and _SURROGATE.search(value):
            # A lone surrogate cannot be hashed as UTF-8 (Node hashes U+FFFD in its place);
            # uid-safe never mints one, so no cookie express-session signed holds one.
            return Failure.malformed(self.key, "it is not encodable text")
        verified = unsign_with(value[2:], self._keyed)
        if verified is None:
            return self._bad_signature
        session_id, index = verified
        # `store_key`, inline: this runs on every handshake.
        return new_session_ref(session_id, self.prefix + session_id, index)

    def store_key(self, session_id: str) -> str:
        """``sess:`` + session_id, as connect-redis keys it."""
        return self.prefix + session_id

    def nesting_bound(self, raw: bytes) -> int | None:
        """JSON text: every array and object opens with a bracket of its own."""
        return raw.count(b"[") + raw.count(b"{")

    def decode(self, raw: bytes, now: float) -> StoredSession | Failure:
        """The JSON session; its ``cookie`` object goes to `meta`."""
        try:
            if raw[:1] == b"{" and raw[1:2] not in (b"", b"\x00"):
                # UTF-8, as `json.loads` would detect it for such bytes; its decoder direct.
                document = _JSON.decode(raw.decode("utf-8", "surrogatepass"))
            else:
                document = json.loads(raw)
        except (ValueError, RecursionError) as error:
            return Failure.corrupt(f"not JSON ({type(error).__name__})")
        if not isinstance(document, dict):
            return Failure.corrupt("the JSON is not an object")
        cookie = document.pop("cookie", None)
        if cookie is not None and not isinstance(cookie, dict):
            return Failure.corrupt("its 'cookie' field is not an object")
        # No expiry check here: connect-redis slides only the key's TTL on an unchanged
        # request, so a live session's stored cookie.expires can lie in the past. The key's
        # existence is the verdict, as it is for express-session.
        meta: dict[str, Any] = {"cookie": cookie} if cookie is not None else {}
        return StoredSession(document, meta)

    def encode(self, stored: StoredSession, now: float) -> Encoded | Failure:
        """``JSON.stringify`` of data plus cookie, and connect-redis's TTL for it."""
        # express-session writes the cookie first; a socket's save keeps that layout.
        document = {"cookie": stored.meta["cookie"]} if "cookie" in stored.meta else {}
        document.update((k, v) for k, v in stored.data.items() if k != "cookie")
        try:
            text = json.dumps(document, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError, RecursionError) as error:
            return Failure.unserializable(self.name, f"{type(error).__name__}: {error}")
        # JSON.stringify escapes lone surrogates (which a socket.io payload can carry);
        # raw, they cannot be written as UTF-8.
        text = _SURROGATE.sub(lambda m: f"\\u{ord(m[0]):04x}", text)
        cookie = stored.meta.get("cookie")
        expires = _parse_expires(cookie.get("expires")) if isinstance(cookie, Mapping) else None
        ttl = self.ttl if expires is None else math.ceil(expires - now)
        return Encoded(text.encode("utf-8"), ttl)

    def fresh(self, data: Mapping[str, Any], now: float) -> StoredSession:
        """A new session with express-session's default cookie (and ``maxAge`` if set)."""
        cookie: dict[str, Any] = {"originalMaxAge": None, "expires": None}
        if self.cookie_max_age is not None:
            cookie["originalMaxAge"] = self.cookie_max_age * 1000
            cookie["expires"] = _iso_after(now, self.cookie_max_age * 1000)
        cookie.update({"httpOnly": True, "path": "/"})
        return StoredSession({k: v for k, v in data.items() if k != "cookie"}, {"cookie": cookie})

    def touch(self, stored: StoredSession, now: float) -> StoredSession:
        """``cookie.resetMaxAge()``: slide ``expires`` by ``originalMaxAge``."""
        cookie = stored.meta.get("cookie")
        if not isinstance(cookie, Mapping):
            return stored
        max_age = cookie.get("originalMaxAge")
        if not isinstance(max_age, int | float) or isinstance(max_age, bool):
            return stored
        slid = {**cookie, "expires": _iso_after(now, max_age)}
        return StoredSession(stored.data, {**stored.meta, "cookie": slid})

    def new_session_id(self, entropy: bytes) -> str:
        """uid-safe's id: URL-safe base64 of the random bytes (24 bytes: 32 characters)."""
        return b64encode_url_nopad(entropy)

    def cookie_value(self, session_id: str) -> str:
        """``encodeURIComponent('s:' + sign(sid, secrets[0]))``, as express-session sets it."""
        if not self.secrets:
            return quote(session_id, safe="-_.!~*'()")
        return quote("s:" + sign(session_id, self.secrets[0]), safe="-_.!~*'()")


def express(
    secrets: Sequence[str | bytes] | str | bytes | None,
    key: str = "connect.sid",
    prefix: str = "sess:",
    ttl: int = 86400,
    cookie_max_age: float | None = None,
) -> ExpressFormat:
    """express-session's format with connect-redis's layout.

    `secrets` is the ``secret`` option (one or a list: the first signs, any verifies); `key`
    the cookie name; `prefix` and `ttl` connect-redis's options; `cookie_max_age` (seconds) the
    ``cookie.maxAge`` option, used when sessio creates a session.

    An empty secret (or list) is refused: express-session needs one, and without one any
    cookie value would be taken as a session id. ``secrets=None`` says so on purpose: plain,
    unsigned session ids (session.socket.io's unsigned cookies) are then accepted.
    """
    if secrets is None:
        return ExpressFormat(None, key, prefix, ttl, cookie_max_age)
    try:
        listed = one_or_more_keys(secrets, "secrets")
    except ValueError as error:
        raise ValueError(
            f"express needs its secret(s), as express-session's `secret` option ({error}); "
            "pass secrets=None only to accept unsigned session ids on purpose"
        ) from None
    return ExpressFormat(listed, key, prefix, ttl, cookie_max_age)
