"""The session document both aiohttp-session storages keep (the facts are atop `aiohttp`).

``{"created": <Unix second>, "session": {...}}``, or ``{}`` for an empty session; with
``max_age``, ``Session.__init__`` takes a document created too long ago as empty.

One deliberate difference: aiohttp-session takes any ``created`` that Python's ``json`` reads,
``Infinity`` and ``NaN`` included, and with ``max_age`` such a session never expires (``now -
inf`` is never more than ``max_age``); sessio refuses a ``created`` that is not a finite number
(found by fuzzing, fuzz/cookie_aiohttp.py).
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["DocumentError", "open_document"]


class DocumentError(ValueError):
    """A decoded document that aiohttp-session did not write; the message says how."""


def open_document(
    document: Any, max_age: int | None, now: float
) -> tuple[dict[str, Any], int | None] | str:
    """What ``Session.__init__`` makes of a decoded document; a reason string when it expired.

    The user's data and aiohttp-session's ``created``, as a tuple: this runs on every
    handshake, and an attrs instance per document cost a third of this function.
    Raises `DocumentError` when the document is not one aiohttp-session wrote.
    """
    if not isinstance(document, dict):
        raise DocumentError("the JSON is not an object")
    created = document.get("created")
    if created is not None and (
        not isinstance(created, int | float)
        or isinstance(created, bool)
        or not math.isfinite(created)
    ):
        raise DocumentError("its 'created' is not a number")
    session = document.get("session")
    if session is not None and not isinstance(session, dict):
        raise DocumentError("its 'session' is not an object")
    if document and max_age is not None:
        # aiohttp-session: age = now - created if created else now (so no created: expired).
        age = int(now) - created if created else int(now)
        if age > max_age:
            return f"created {age} s ago, max_age is {max_age} s"
    return dict(session or {}), None if created is None else int(created)
