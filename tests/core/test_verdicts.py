"""The verdicts a handshake hands out: `SessionRef` and `ClientSession`.

That no repr of a value shows a session id, across every value the core hands out, is
`test_redaction.py`'s; here, what the verdicts themselves promise.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from sessio.core._failures import id_tag
from sessio.core._verdicts import ClientSession, SessionRef

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
