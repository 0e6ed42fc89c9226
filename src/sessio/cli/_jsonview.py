"""Session values as plain JSON, for ``sessio inspect --json`` and logs.

JSON cannot hold every value a framework stores; those become one-key objects:
``{"$bytes": base64}``, ``{"$datetime": iso8601}``, ``{"$uuid": hex}``, ``{"$tuple": [...]}``.
"""

from __future__ import annotations

import base64
import datetime
import uuid
from collections.abc import Mapping
from typing import Any

__all__ = ["to_json"]


def to_json(value: Any) -> Any:
    """`value` with every non-JSON part replaced by its tagged form (unknown types: `repr`)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return {"$tuple": [to_json(v) for v in value]}
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if isinstance(value, bytes | bytearray):
        return {"$bytes": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, datetime.datetime | datetime.date):
        return {"$datetime": value.isoformat()}
    if isinstance(value, uuid.UUID):
        return {"$uuid": value.hex}
    return {"$repr": repr(value)}
