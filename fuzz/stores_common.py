"""The checks every store target runs on bytes a store may hold.

`StoreFormat.decode` and `sessio.core.decode_stored` never raise and agree; a decoded
session survives a socket's snapshot and diff; decode → encode → decode gives the same data,
and encoding that again gives the same bytes; `plan_save` of a hostile change (the session
nested in itself, a key deleted; strict or not; touched or not) returns a Write, a Failure or
None, and a Write's bytes decode to the merged session.
"""

from __future__ import annotations

import math
from typing import Any

from harness import expect, expect_session_data

from sessio.core import (
    Changes,
    Encoded,
    Failure,
    SessionRef,
    StoredSession,
    StoreFormat,
    Write,
    apply,
    decode_stored,
    plan_save,
)
from sessio.core._changes import nested_too_deep, same

_DECODE_CODES = frozenset(
    {"corrupt-session", "expired", "unsafe-format", "missing-dependency", "bad-signature"}
)


def _json_safe(value: Any, depth: int = 0) -> bool:
    if depth > 50:
        return False
    if isinstance(value, dict):
        return all(isinstance(k, str) and _json_safe(v, depth + 1) for k, v in value.items())
    if isinstance(value, list | tuple):
        return all(_json_safe(v, depth + 1) for v in value)
    return isinstance(value, str | int | bool | None) or (
        isinstance(value, float) and math.isfinite(value)
    )


def _canonical(value: Any) -> Any:
    """`value` with what has no value equality made comparable: NaN (also as a map key) and
    msgspec's ``Ext`` (whose repr is its address), in the order the decoder produced."""
    if isinstance(value, StoredSession):
        return ("stored", _canonical(value.data), _canonical(value.meta))
    if isinstance(value, dict):
        return ("dict", [(_canonical(k), _canonical(v)) for k, v in value.items()])
    if isinstance(value, list | tuple):
        return (type(value).__name__, [_canonical(item) for item in value])
    if isinstance(value, float) and value != value:
        return ("nan",)
    if type(value).__name__ == "Ext":
        return ("ext", value.code, value.data)
    return value


def roundtrip(fmt: StoreFormat, raw: bytes, now: float, flags: int) -> Any:
    """Decode `raw`; if it is a session, encode and save it; check every step."""
    first = fmt.decode(raw, now)
    expect(isinstance(first, StoredSession | Failure), f"{fmt.name}:decode-type")
    via_decode = decode_stored(SessionRef("sid", fmt.store_key("sid")), raw, fmt, now)
    # `same`, not ==: NaN and msgspec's Ext (no value equality) can be in the data; a NaN
    # map key is unequal to itself, so such data is compared by repr.
    agree = (
        repr(first) == repr(via_decode)
        or _canonical(first) == _canonical(via_decode)
        or (
            isinstance(via_decode, StoredSession)
            and same(first.data, via_decode.data)
            and same(first.meta, via_decode.meta)
            if isinstance(first, StoredSession)
            else first == via_decode
        )
    )
    # `decode_stored` also refuses what nests too deeply for a socket to hold (the format's
    # decode alone does not look): that refusal is the only way the two may differ.
    refused_deep = (
        isinstance(first, StoredSession)
        and isinstance(via_decode, Failure)
        and via_decode.code == "corrupt-session"
        and (nested_too_deep(first.data) or nested_too_deep(first.meta))
    )
    expect(agree or refused_deep, f"{fmt.name}:load-vs-decode")
    if isinstance(first, Failure):
        expect(first.code in _DECODE_CODES, f"{fmt.name}:decode-code", first.code)
        return first
    expect_session_data(first.data, fmt.name)
    encoded = fmt.encode(first, now)
    expect(isinstance(encoded, Encoded | Failure), f"{fmt.name}:encode-type")
    if isinstance(encoded, Encoded) and (encoded.ttl is None or encoded.ttl > 0):
        second = fmt.decode(encoded.value, now)
        expect(isinstance(second, StoredSession), f"{fmt.name}:reencoded-unreadable", repr(second))
        # JSON turns non-str keys (from msgpack) into strings and NaN into null, in the
        # framework as here: the data must survive only where JSON can hold it.
        if _json_safe(first.data):
            expect(same(second.data, first.data), f"{fmt.name}:roundtrip-data")
        again = fmt.encode(second, now)
        # Through JSON, data JSON cannot hold (NaN or non-str keys, which two keys may turn
        # into one) is normalised by the first encoding: stable from then on, not before.
        lossy = getattr(fmt, "serializer", None) == "json" and not _json_safe(first.data)
        if lossy and isinstance(again, Encoded):
            third = fmt.decode(again.value, now)
            expect(isinstance(third, StoredSession), f"{fmt.name}:reencoded-unreadable")
            encoded = fmt.encode(third, now) if isinstance(third, StoredSession) else encoded
        expect(
            isinstance(again, Encoded) and again.value == encoded.value,
            f"{fmt.name}:encode-unstable",
        )
    keys = list(first.data)
    changes = Changes({"fuzz": dict(first.data)}, frozenset(keys[:1]))
    plan = plan_save(
        fmt, "sid", first.data, first, changes, now, strict=bool(flags & 1), touch=bool(flags & 2)
    )
    expect(plan is None or isinstance(plan, Write | Failure), f"{fmt.name}:plan-type")
    if isinstance(plan, Write) and plan.value is not None:
        saved = fmt.decode(plan.value, now)
        expect(isinstance(saved, StoredSession), f"{fmt.name}:saved-unreadable", repr(saved))
        if _json_safe(first.data):
            expect(same(saved.data, apply(first.data, changes)), f"{fmt.name}:saved-data")
    return first
