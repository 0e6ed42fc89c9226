"""The verdicts a handshake hands out: `SessionRef` and `ClientSession`.

That no repr of a value shows a session id, across every value the core hands out, is
`test_redaction.py`'s; here, what the verdicts themselves promise. `SessionRef` is a
hand-written slotted class: it keeps what the attrs frozen class gave (immutable, with attrs'
`FrozenInstanceError`; equal and hashed by its three fields and its class only; picklable and
copyable; matchable by position), and `new_session_ref` (the handshake's constructor) makes
exactly what calling the class makes.
"""

from __future__ import annotations

import copy
import pickle
import weakref
from typing import Any

import pytest
from attrs.exceptions import FrozenInstanceError
from hypothesis import given
from hypothesis import strategies as st

from sessio.core._failures import id_tag
from sessio.core._verdicts import ClientSession, SessionRef, new_session_ref

session_ids = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_", min_size=8, max_size=40)
prefixes = st.text(alphabet="abcdefghijklmnopqrstuvwxyz:", max_size=12)
indexes = st.one_of(st.none(), st.integers(min_value=0, max_value=5))
values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=10,
)
documents = st.dictionaries(st.text(max_size=10), values, max_size=5)


@given(session_ids, prefixes, indexes)
def test_a_refs_repr_shows_the_prefix_and_the_tag_only(
    session_id: str, prefix: str, index: int | None
) -> None:
    ref = SessionRef(session_id, prefix + session_id, index)
    assert repr(ref) == (
        f"SessionRef(session_id={'…' + id_tag(session_id)!r}, "
        f"key={prefix + '…' + id_tag(session_id)!r}, secret_index={index!r})"
    )
    assert session_id not in repr(ref)


@given(session_ids, session_ids)
def test_a_key_that_is_no_prefix_and_id_is_all_tag(session_id: str, key: str) -> None:
    ref = SessionRef(session_id, key + "!")
    assert f"key={'…' + id_tag(key + '!')!r}" in repr(ref)
    assert key not in repr(ref)


@given(session_ids, prefixes, indexes)
def test_refs_are_values(session_id: str, prefix: str, index: int | None) -> None:
    ref = SessionRef(session_id, prefix + session_id, index)
    assert ref == SessionRef(session_id, prefix + session_id, index)
    assert hash(ref) == hash(SessionRef(session_id, prefix + session_id, index))
    assert (ref.session_id, ref.key, ref.secret_index) == (session_id, prefix + session_id, index)


@given(documents, indexes, st.one_of(st.none(), st.floats(allow_nan=False)))
def test_a_client_session_keeps_its_own_copy(
    document: dict[str, Any], index: int | None, issued_at: float | None
) -> None:
    verdict = ClientSession(document, index, issued_at)
    assert verdict.data == document and verdict.data is not document
    document["added later"] = 1
    assert "added later" not in verdict.data
    assert verdict == ClientSession(
        {k: v for k, v in document.items() if k != "added later"}, index, issued_at
    )


any_ids = st.text(max_size=40)
any_indexes = st.none() | st.integers(min_value=0, max_value=10)


@given(any_ids, any_ids, any_indexes)
def test_new_session_ref_is_the_constructor(session_id: str, key: str, index: int | None) -> None:
    made = new_session_ref(session_id, key, index)
    called = SessionRef(session_id, key, index)
    assert type(made) is type(called) is SessionRef
    assert made == called and hash(made) == hash(called)
    assert not made != called  # noqa: SIM202
    assert (made.session_id, made.key, made.secret_index) == (session_id, key, index)
    assert repr(made) == repr(called)


@given(any_ids, any_ids, any_indexes, any_ids, any_ids, any_indexes)
def test_equality_is_the_three_fields(
    a_id: str, a_key: str, a_index: int | None, b_id: str, b_key: str, b_index: int | None
) -> None:
    a, b = SessionRef(a_id, a_key, a_index), SessionRef(b_id, b_key, b_index)
    same = (a_id, a_key, a_index) == (b_id, b_key, b_index)
    assert (a == b) is same and (a != b) is not same
    if same:
        assert hash(a) == hash(b)


def test_the_default_secret_index_is_none() -> None:
    assert SessionRef("abc", "sess:abc").secret_index is None
    assert SessionRef("abc", "sess:abc") == SessionRef("abc", "sess:abc", None)


def test_a_ref_equals_no_other_kind_of_value() -> None:
    ref = SessionRef("abc", "sess:abc", 0)
    assert ref != ("abc", "sess:abc", 0)  # type: ignore[comparison-overlap]
    assert ref != object()
    with pytest.raises(TypeError):
        ref < ref  # type: ignore[operator]  # noqa: B015


def test_a_ref_cannot_be_changed() -> None:
    ref = SessionRef("abc", "sess:abc", 0)
    for name in ("session_id", "key", "secret_index", "other", "__class__"):
        with pytest.raises(FrozenInstanceError):
            setattr(ref, name, "x")
        with pytest.raises(FrozenInstanceError):
            delattr(ref, name)
    assert not hasattr(ref, "__dict__")
    assert ref == SessionRef("abc", "sess:abc", 0)


@given(any_ids, any_ids, any_indexes)
def test_pickle_and_copy_keep_the_ref(session_id: str, key: str, index: int | None) -> None:
    ref = new_session_ref(session_id, key, index)
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        back = pickle.loads(pickle.dumps(ref, protocol))
        assert type(back) is SessionRef and back == ref
    assert copy.copy(ref) == ref and copy.deepcopy(ref) == ref


def test_match_and_weakref() -> None:
    ref = SessionRef("abc", "sess:abc", 1)
    match ref:
        case SessionRef(session_id, key, index):
            assert (session_id, key, index) == ("abc", "sess:abc", 1)
    assert weakref.ref(ref)() is ref


def test_a_subclass_gets_its_own_instances() -> None:
    class Tagged(SessionRef):
        __slots__ = ()

    tagged = Tagged("abc", "sess:abc", 0)
    assert type(tagged) is Tagged and tagged.key == "sess:abc"
    assert tagged != SessionRef("abc", "sess:abc", 0)
