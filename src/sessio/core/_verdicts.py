"""What a ``Cookie`` header means: a session to load from a store, or one the cookie carries.

`resolve` hands out one of these or a `Failure`: together, a `Verdict`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import field, frozen

from sessio.core._failures import Failure, id_tag, redact_key
from sessio.core._stored import frozen_dict

__all__ = ["ClientSession", "SessionRef", "Verdict"]


@frozen(repr=False)
class SessionRef:
    """Verdict: the cookie names a server-side session; load it from `key` in the store.

    `secret_index` is the position of the secret that verified the cookie (None when the
    format signs nothing), for `sessio inspect` and for noticing rotated-out secrets. The
    repr shows the id only as its `id_tag`: a ref ends up in logs and tracebacks.
    """

    session_id: str
    key: str
    secret_index: int | None = None

    def __repr__(self) -> str:
        # The key is prefix + session_id in every format; the prefix is what is left of it.
        prefix = (
            self.key[: -len(self.session_id)]
            if self.session_id and self.key.endswith(self.session_id)
            else None
        )
        return (
            f"SessionRef(session_id={'…' + id_tag(self.session_id)!r}, "
            f"key={redact_key(self.key, prefix)!r}, secret_index={self.secret_index!r})"
        )


@frozen
class ClientSession:
    """Verdict: the whole session lives in the (verified) cookie; it is read-only here."""

    data: Mapping[str, Any] = field(converter=frozen_dict)
    secret_index: int | None = None
    issued_at: float | None = None


#: What `resolve` says of a handshake.
Verdict = SessionRef | ClientSession | Failure
