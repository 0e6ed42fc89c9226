"""A save that outlives the session deletes it, and a later save does not bring it back."""

from __future__ import annotations

import json

import pytest

from sessio import SessionError, formats
from sessio.core import Failure, resolve
from sessio.sync import MemoryStore
from sessio.sync._opening import open_verdict


def test_a_session_past_its_lifetime_stays_deleted_after_a_save() -> None:
    fmt = formats.express(secrets=["k"])
    store = MemoryStore()
    # As express-session would store it, but with a max age already spent.
    cookie = {"originalMaxAge": -1000, "expires": None, "httpOnly": True, "path": "/"}
    store.set("sess:abc", json.dumps({"cookie": cookie, "user": "a"}).encode(), 60)
    header = f"connect.sid={fmt.cookie_value('abc')}"
    session = open_verdict(resolve(header, fmt, 0.0), store, fmt, lambda: 0.0)
    assert not isinstance(session, Failure)

    session["x"] = 1
    session.save()  # the lifetime is over: connect-redis would DEL, and so does sessio
    assert store.get("sess:abc") is None

    session["y"] = 2
    with pytest.raises(SessionError) as caught:
        session.save()
    assert caught.value.code == "session-not-found"
    assert store.get("sess:abc") is None
