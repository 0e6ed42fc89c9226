"""Flask-Session 0.8: a server-side session (Redis) named by the ``session`` cookie.

Facts, from Flask-Session 0.8.0's ``flask_session/base.py`` and ``redis/redis.py``:

* cookie value: the session id, ``secrets.token_urlsafe(SESSION_ID_LENGTH=32)`` (43
  characters). With ``SESSION_USE_SIGNER`` it is ``session_id.signature``: itsdangerous
  ``Signer(SECRET_KEY, salt="flask-session", key_derivation="hmac")``, so base64url of
  HMAC-SHA1 under HMAC-SHA1(SECRET_KEY, b"flask-session"); only ``SECRET_KEY`` verifies (no
  fallbacks); a value that does not verify gives Flask-Session a new, empty session.
* store: key ``SESSION_KEY_PREFIX`` (``session:``) + session_id; value
  ``msgspec.msgpack.Encoder().encode(dict(session))`` (or ``msgspec.json`` with
  ``SESSION_SERIALIZATION_FORMAT="json"``); every save sets the TTL to
  ``int(PERMANENT_SESSION_LIFETIME.total_seconds())`` (31 days), and by default every request
  with a non-empty session saves (``SESSION_REFRESH_EACH_REQUEST``).
* decoding tries the configured format, then the other one, then falls back to
  ``pickle.loads`` (for sessions written by Flask-Session before 0.7); empty bytes are no
  session. sessio refuses pickles unless told otherwise (`allow_pickle`): unpickling store
  bytes is code execution for whoever can write the store.
* ``SESSION_PERMANENT`` (True) keeps ``"_permanent": True`` in the stored dict; sessio carries
  it in the session's `meta`, not among the user's keys.

The cachelib and filesystem backends hand the dict to cachelib, which pickles it: with
`allow_pickle` this format decodes those values as well (their keys are the backends' own).
"""

from __future__ import annotations

import pickle
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, Literal

from attrs import field, frozen

from sessio.core._failures import Failure
from sessio.core._stored import Encoded, StoredSession
from sessio.core._verdicts import SessionRef
from sessio.core.formats._base import StoreFormat
from sessio.core.formats._convert import optional_secret_bytes, seconds
from sessio.core.signers._primitives import b64encode_url_nopad
from sessio.core.signers.itsdangerous import (
    itsdangerous_key,
    itsdangerous_sign,
    itsdangerous_unsign,
)

__all__ = ["FlaskSessionFormat", "FlaskSessionSerializer", "flask_session"]

FlaskSessionSerializer = Literal["msgpack", "json"]
_SERIALIZERS: tuple[FlaskSessionSerializer, ...] = ("msgpack", "json")
# The key Flask-Session keeps SessionMixin.permanent in.
_PERMANENT = "_permanent"
_SALT = b"flask-session"


@frozen
class FlaskSessionFormat(StoreFormat):
    """Flask-Session 0.8's Redis layout. Build with `flask_session`."""

    secret_key: bytes | None = field(converter=optional_secret_bytes, repr=False)
    use_signer: bool = False
    prefix: str = "session:"
    serializer: FlaskSessionSerializer = "msgpack"
    lifetime: int = field(default=2678400, converter=seconds)
    key: str = "session"
    allow_pickle: bool = False
    permanent: bool = True
    name: str = field(default="flask_session", init=False)
    _signing_key: bytes | None = field(init=False, repr=False, eq=False)

    @_signing_key.default
    def _derive_key(self) -> bytes | None:
        if self.secret_key is None:
            return None
        return itsdangerous_key(self.secret_key, _SALT, "hmac")

    def read_cookie(self, value: str, now: float) -> SessionRef | Failure:
        """The session id itself, or (with `use_signer`) the one the signature verifies."""
        if not value:
            return Failure.malformed(self.key, "the value is empty")
        if not self.use_signer or self._signing_key is None:
            return SessionRef(value, self.store_key(value))
        # token_urlsafe never makes a '.': a value without one is a bare, unsigned session_id.
        if "." not in value:
            return Failure.unsigned(self.key)
        try:
            unsigned = itsdangerous_unsign(value.encode("utf-8"), (self._signing_key,))
        except UnicodeEncodeError:
            return Failure.malformed(self.key, "it is not encodable text")
        if unsigned is None:
            return Failure.bad_signature(self.key, 1)
        session_id = unsigned[0].decode("utf-8")
        return SessionRef(session_id, self.store_key(session_id), 0)

    def store_key(self, session_id: str) -> str:
        """``SESSION_KEY_PREFIX`` + session_id."""
        return self.prefix + session_id

    def decode(self, raw: bytes, now: float) -> StoredSession | Failure:
        """``MsgSpecSerializer.decode``: the configured format, the other, then (if allowed)
        a pickle. No expiry check: the key's TTL is the session's lifetime."""
        if not raw:
            return Failure.corrupt("the value is empty (Flask-Session takes that as no session)")
        try:
            import msgspec
        except ImportError:
            return Failure.missing_dependency(
                "msgspec", "msgpack", "reading a Flask-Session session"
            )
        decoders: list[Any] = [msgspec.msgpack.Decoder(), msgspec.json.Decoder()]
        if self.serializer == "json":
            decoders.reverse()
        document: Any = None
        for decoder in decoders:
            try:
                document = decoder.decode(raw)
                break
            except msgspec.DecodeError:
                continue
            except RecursionError:
                return Failure.corrupt("it nests too deeply")
            except Exception as error:  # e.g. bad UTF-8 in a msgpack str: Flask-Session fails
                return Failure.corrupt(f"it does not decode ({type(error).__name__})")
        else:
            document = self._unpickle(raw)
            if isinstance(document, Failure):
                return document
        if not isinstance(document, dict):
            return Failure.corrupt("it is not a map of session keys")
        meta = {_PERMANENT: document.pop(_PERMANENT)} if _PERMANENT in document else {}
        return StoredSession(document, meta)

    def _unpickle(self, raw: bytes) -> Any:
        if not self.allow_pickle:
            # Pickles of protocol 2 and up (every Python 3 default) open with 0x80.
            if raw.startswith(b"\x80"):
                return Failure.unsafe_pickle(self.name)
            return Failure.corrupt("it is neither msgpack nor JSON")
        # allow_pickle is the user's word that only their own code writes this store.
        try:
            return pickle.loads(raw)
        except Exception as error:  # a broken pickle can raise almost anything
            return Failure.corrupt(
                f"it is neither msgpack, JSON nor a pickle ({type(error).__name__})"
            )

    def encode(self, stored: StoredSession, now: float) -> Encoded | Failure:
        """``encoder.encode(dict(session))`` and the TTL every save sets: `lifetime`."""
        try:
            import msgspec
        except ImportError:
            return Failure.missing_dependency(
                "msgspec", "msgpack", "writing a Flask-Session session"
            )
        document: dict[str, Any] = {}
        # Flask-Session sets _permanent when it creates a session, before any user key.
        if _PERMANENT in stored.meta:
            document[_PERMANENT] = stored.meta[_PERMANENT]
        document.update((k, v) for k, v in stored.data.items() if k != _PERMANENT)
        encoder = msgspec.msgpack if self.serializer == "msgpack" else msgspec.json
        try:
            value = encoder.encode(document)
        except (TypeError, ValueError, OverflowError, msgspec.EncodeError) as error:
            return Failure.unserializable(
                f"Flask-Session {self.serializer}", f"{type(error).__name__}: {error}"
            )
        return Encoded(value, self.lifetime)

    def fresh(self, data: Mapping[str, Any], now: float) -> StoredSession:
        """A new session; permanent (``SESSION_PERMANENT``) unless configured otherwise."""
        meta = {_PERMANENT: True} if self.permanent else {}
        return StoredSession({k: v for k, v in data.items() if k != _PERMANENT}, meta)

    def new_session_id(self, entropy: bytes) -> str:
        """``secrets.token_urlsafe``: base64url of the bytes, no padding (32 bytes: 43 chars)."""
        return b64encode_url_nopad(entropy)

    def cookie_value(self, session_id: str) -> str:
        """The session_id, signed as Flask-Session signs it when `use_signer` is on."""
        if not self.use_signer or self._signing_key is None:
            return session_id
        return itsdangerous_sign(session_id.encode("utf-8"), self._signing_key).decode("utf-8")


def flask_session(
    secret_key: str | bytes | None = None,
    use_signer: bool = False,
    prefix: str = "session:",
    serializer: FlaskSessionSerializer = "msgpack",
    lifetime: float | timedelta = 2678400,
    key: str = "session",
    allow_pickle: bool = False,
    *,
    permanent: bool = True,
) -> FlaskSessionFormat:
    """Flask-Session 0.8's format for its Redis backend.

    `secret_key` is ``SECRET_KEY``, needed only with `use_signer` (``SESSION_USE_SIGNER``);
    `prefix` is ``SESSION_KEY_PREFIX``; `serializer` is ``SESSION_SERIALIZATION_FORMAT``
    (``"msgpack"`` or ``"json"``; both need the ``msgspec`` package, ``sessio[msgpack]``);
    `lifetime` is ``PERMANENT_SESSION_LIFETIME`` (seconds or a timedelta), the TTL of every
    save; `key` is ``SESSION_COOKIE_NAME``; `permanent` is ``SESSION_PERMANENT``, used when
    sessio creates a session. `allow_pickle` lets sessio unpickle sessions that Flask-Session
    < 0.7 (or the cachelib backend) stored: set it only when nothing but your own code can
    write the store.
    """
    if serializer not in _SERIALIZERS:
        raise ValueError(f"serializer must be 'msgpack' or 'json', not {serializer!r}")
    if use_signer and secret_key is None:
        raise ValueError("use_signer needs secret_key (Flask's SECRET_KEY)")
    return FlaskSessionFormat(
        secret_key, use_signer, prefix, serializer, lifetime, key, allow_pickle, permanent
    )
