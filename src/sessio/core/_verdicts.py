"""What a ``Cookie`` header means: a session to load from a store, or one the cookie carries.

`resolve` hands out one of these or a `Failure`: together, a `Verdict`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from attrs import field, frozen
from attrs.exceptions import FrozenInstanceError

from sessio.core._failures import Failure, id_tag, redact_key
from sessio.core._stored import frozen_dict

__all__ = ["ClientSession", "SessionRef", "Verdict"]


class _RefSlots:
    # The fields' storage, shared by `SessionRef` and `_NewRef`: the same layout lets a new
    # ref change its class once its fields are set. "__weakref__" as attrs' slotted classes
    # have it.
    __slots__ = ("__weakref__", "key", "secret_index", "session_id")


class SessionRef(_RefSlots):
    """Verdict: the cookie names a server-side session; load it from `key` in the store.

    `secret_index` is the position of the secret that verified the cookie (None when the
    format signs nothing), for `sessio inspect` and for noticing rotated-out secrets. The
    repr shows the id only as its `id_tag`: a ref ends up in logs and tracebacks.

    Immutable (assigning or deleting an attribute raises attrs' `FrozenInstanceError`),
    compared and hashed by its three fields, and picklable, as the attrs frozen class it
    replaced was.
    """

    # Written by hand rather than with attrs: a handshake makes one on every valid cookie,
    # and attrs' frozen `__init__` sets each field through `object.__setattr__` (about 4,900
    # instructions per ref against 2,400 for `_NewRef`'s plain slot stores).
    __slots__ = ()
    __match_args__ = ("session_id", "key", "secret_index")

    def __new__(cls, session_id: str, key: str, secret_index: int | None = None) -> SessionRef:
        """A ref to the session `session_id`, stored under `key`."""
        ref = new_session_ref(session_id, key, secret_index)
        if cls is not SessionRef:
            object.__setattr__(ref, "__class__", cls)
        return ref

    if TYPE_CHECKING:
        # What attrs told type checkers of a frozen class: read-only fields.
        @property
        def session_id(self) -> str: ...
        @property
        def key(self) -> str: ...
        @property
        def secret_index(self) -> int | None: ...

    else:
        # Hidden from type checkers, as attrs' generated methods were: they narrow a verdict
        # by `==` only for classes without an `__eq__` of their own.

        def __setattr__(self, name: str, value: object) -> None:
            raise FrozenInstanceError

        def __delattr__(self, name: str) -> None:
            raise FrozenInstanceError

        def __eq__(self, other: object) -> bool:
            if other.__class__ is not self.__class__ or not isinstance(other, SessionRef):
                return NotImplemented
            return (self.session_id, self.key, self.secret_index) == (
                other.session_id,
                other.key,
                other.secret_index,
            )

        def __ne__(self, other: object) -> bool:
            result = self.__eq__(other)
            return result if result is NotImplemented else not result

        def __hash__(self) -> int:
            return hash((SessionRef, self.session_id, self.key, self.secret_index))

        def __reduce__(self) -> tuple[type[SessionRef], tuple[str, str, int | None]]:
            return (self.__class__, (self.session_id, self.key, self.secret_index))

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


class _NewRef(_RefSlots):
    # Calling it returns a finished `SessionRef`: its slots are filled by plain attribute
    # stores (which CPython specializes; `SessionRef.__setattr__` would refuse them), then
    # the object becomes a SessionRef, which nothing can change afterwards.
    __slots__ = ()

    def __init__(self, session_id: str, key: str, secret_index: int | None = None) -> None:
        self.session_id = session_id
        self.key = key
        self.secret_index = secret_index
        self.__class__ = SessionRef  # type: ignore[assignment]


#: Make a `SessionRef` (the same as calling it, one call less): for the handshake's hot paths.
new_session_ref: Callable[[str, str, int | None], SessionRef] = _NewRef  # type: ignore[assignment]


@frozen
class ClientSession:
    """Verdict: the whole session lives in the (verified) cookie; it is read-only here."""

    data: Mapping[str, Any] = field(converter=frozen_dict)
    secret_index: int | None = None
    issued_at: float | None = None


#: What `resolve` says of a handshake.
Verdict = SessionRef | ClientSession | Failure
