"""aiohttp-session's RedisStorage: the cookie is the session's key in Redis.

Built by `sessio.core.formats.aiohttp.aiohttp` (``storage="redis"``); the session document
and ``max_age`` are the cookie storages' (`sessio.core.formats.aiohttp`, whose Facts block
this follows).

Facts, from aiohttp-session 2.12's own code (``redis_storage.py``):

* the cookie is the key (``uuid4().hex``), the Redis key is ``cookie_name + "_" + key``, the
  value the session document, ``json.dumps({"created": created, "session": {...}})`` (or
  ``json.dumps({})`` when empty), set with ``ex=max_age`` (None: no expiry).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any, Literal

from attrs import field, frozen

from sessio.core._failures import Failure
from sessio.core._stored import Encoded, StoredSession
from sessio.core._verdicts import SessionRef
from sessio.core.formats._aiohttp import DocumentError, open_document
from sessio.core.formats._base import StoreFormat

__all__ = ["AiohttpStoreFormat"]


@frozen
class AiohttpStoreFormat(StoreFormat):
    """aiohttp-session's RedisStorage: the cookie is the session's key in Redis.

    Build with ``aiohttp("redis")``.
    """

    key: str = "AIOHTTP_SESSION"
    max_age: int | None = None
    prefix: str = field()
    storage: Literal["redis"] = field(default="redis", init=False)
    name: str = field(default="aiohttp", init=False)

    @prefix.default
    def _cookie_name_prefix(self) -> str:
        # RedisStorage keys sessions under cookie_name + "_" + key.
        return self.key + "_"

    def read_cookie(self, value: str, now: float) -> SessionRef | Failure:
        """The key, as RedisStorage set it."""
        if not value:
            return Failure.malformed(self.key, "the value is empty")
        return SessionRef(value, self.store_key(value))

    def store_key(self, session_id: str) -> str:
        """``cookie_name + "_" + key``, as RedisStorage keys it."""
        return self.prefix + session_id

    def decode(self, raw: bytes, now: float) -> StoredSession | Failure:
        """The stored JSON document; ``created`` goes to `meta`."""
        try:
            document = open_document(json.loads(raw.decode("utf-8")), self.max_age, now)
        except DocumentError as error:
            return Failure.corrupt(str(error))
        except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError too
            return Failure.corrupt("not UTF-8 JSON")
        if isinstance(document, str):
            return Failure.expired(document)
        data, created = document
        return StoredSession(data, {} if created is None else {"created": created})

    def encode(self, stored: StoredSession, now: float) -> Encoded | Failure:
        """The JSON document RedisStorage writes, with ``ex=max_age``.

        ``created`` becomes `now`: sessio encodes only after a change (or a touch), and
        aiohttp-session resets ``created`` whenever a key is set or deleted.
        """
        document: dict[str, Any] = (
            {"created": int(now), "session": dict(stored.data)} if stored.data else {}
        )
        try:
            text = json.dumps(document)
        except (TypeError, ValueError, RecursionError) as error:
            return Failure.unserializable(self.name, f"{type(error).__name__}: {error}")
        return Encoded(text.encode("utf-8"), self.max_age)

    def fresh(self, data: Mapping[str, Any], now: float) -> StoredSession:
        """A new session created at `now`."""
        return StoredSession(data, {"created": int(now)})

    def touch(self, stored: StoredSession, now: float) -> StoredSession:
        """Activity restarts the ``max_age`` clock, as any write does in aiohttp-session."""
        return StoredSession(stored.data, {**stored.meta, "created": int(now)})

    def new_session_id(self, entropy: bytes) -> str:
        """``uuid4().hex`` made from the first 16 bytes of `entropy`."""
        return uuid.UUID(bytes=entropy[:16].ljust(16, b"\0"), version=4).hex

    def cookie_value(self, session_id: str) -> str:
        """The key itself, as RedisStorage sets it."""
        return session_id
