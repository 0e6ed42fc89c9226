"""Hostile ``Cookie`` headers: the parser's work stays linear, and `resolve` refuses to read a
header longer than `MAX_COOKIE_HEADER` at all.

Linearity is measured as a ratio within one run (the same input shape at N and 16N
characters, best of a few tries), never as an absolute time: linear work grows ~16x, the
quadratic scans this guards against grew ~256x.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sessio import formats
from sessio.cli._explain import explain
from sessio.core import Failure, SessionRef, resolve
from sessio.core import _handshake as handshake_module
from sessio.core._cookies import find_cookie, parse_cookie_header
from sessio.core._handshake import MAX_COOKIE_HEADER

NAME = "connect.sid"
SMALL = 8_000
GROWTH = 16
# Linear work grows ~GROWTH times; a quadratic scan ~GROWTH**2 times. The bound sits well
# between the two, so that neither a noisy machine nor a constant overhead decides it.
MAX_RATIO = 4 * GROWTH


def growth(work: Callable[[str], object], small: str, large: str) -> float:
    """How many times longer `work` takes on `large` than on `small`.

    Timed in this thread's CPU time, which the other processes on a busy machine do not
    add to (wall-clock time does, whenever the thread waits for a core). Each is the best of
    several interleaved runs, and the lowest of a few rounds, so that only a steady ratio
    fails a test (a quadratic scan is over the bound in every round).
    """
    rounds = []
    for _ in range(6):
        best = {small: float("inf"), large: float("inf")}
        for _ in range(9):
            for header in (small, large):
                start = time.thread_time()
                work(header)
                best[header] = min(best[header], time.thread_time() - start)
        rounds.append(best[large] / best[small])
        if rounds[-1] < MAX_RATIO:
            break
    return min(rounds)


def repeat_to(unit: str, size: int, head: str = "", tail: str = "") -> str:
    """`head`, `unit` repeated to about `size` characters, then `tail`."""
    return head + unit * (size // len(unit)) + tail


# Shapes that made one of the scans walk the text over and over: the cookie's name repeated
# without a value, in pieces or behind whitespace; many quoted or escaped values; commas that
# each look ahead for a joined header.
FIND_SHAPES = {
    "name repeated": (NAME, ""),
    "name repeated as pieces": (NAME + ";", ""),
    "name behind whitespace": (NAME + " " * 20 + ";" + " " * 20, ""),
    "name then spaces, no =": (NAME + " " * 30 + "x;", ""),
    "name in values": ("a=" + NAME + ";", "; connect.sid=found"),
}
PARSE_SHAPES = {
    "unterminated quotes": ('a="x;', ""),
    "escaped quotes": ('\\";b=\\"', 'a="'),
    "quote after =": ('="', ""),
    "quoted values": ('a="x" y;', ""),
    "commas and tokens": (",bbbbbbbbbbbbbbbbbbbb", '"a=1'),
    "commas and spaces": (", ", '"a=1'),
    "spaces before quotes": ("a=" + " " * 50 + '"', ""),
}


@pytest.mark.parametrize("shape", FIND_SHAPES)
def test_find_cookie_work_is_linear(shape: str) -> None:
    unit, tail = FIND_SHAPES[shape]
    small, large = (repeat_to(unit, size, tail=tail) for size in (SMALL, GROWTH * SMALL))
    assert find_cookie(large, NAME) == parse_cookie_header(large).get(NAME)
    ratio = growth(lambda header: find_cookie(header, NAME), small, large)
    assert ratio < MAX_RATIO, f"{shape}: {GROWTH}x the text took {ratio:.0f}x the time"


@pytest.mark.parametrize("shape", PARSE_SHAPES)
def test_parse_and_find_work_is_linear(shape: str) -> None:
    unit, head = PARSE_SHAPES[shape]
    small, large = (repeat_to(unit, size, head=head) for size in (SMALL, GROWTH * SMALL))
    for read in (parse_cookie_header, lambda header: find_cookie(header, "a")):
        ratio = growth(read, small, large)
        assert ratio < MAX_RATIO, f"{shape}: {GROWTH}x the text took {ratio:.0f}x the time"


# Fragments that a header is made of, hostile ones included: the name looked for (also
# inside other names and values), every separator, whitespace (ASCII and not), quotes and
# escapes.
fragments = st.sampled_from(
    [NAME, "connect", ".sid", "=", ";", ",", " ", "\t", "\u00a0", '"', "\\", "\\054", "a", "s%3A"]
)
hostile_headers = st.lists(fragments, max_size=40).map("".join)
looked_for = st.sampled_from([NAME, "a", "connect", " connect.sid", "connect.sid;", "a=b", "é"])


@settings(max_examples=500)
@given(hostile_headers | st.text(max_size=60), looked_for)
# A name the parser would strip is never found (the old scan found it after "; ").
@example("x; connect.sid=1", " connect.sid")
def test_find_cookie_agrees_with_the_parser_on_hostile_headers(header: str, name: str) -> None:
    assert find_cookie(header, name) == parse_cookie_header(header).get(name)


def signed_header(total: int) -> tuple[str, str]:
    """A header of exactly `total` characters, the session cookie last; and the session id."""
    fmt = formats.express(secrets=["k"])
    sid = "boundary-session"
    cookie = f"; {NAME}={fmt.cookie_value(sid)}"
    filler = "f=" + "x" * (total - len(cookie) - 2)
    header = filler + cookie
    assert len(header) == total
    return header, sid


def test_the_cap_is_16_kib_inclusive() -> None:
    assert MAX_COOKIE_HEADER == 16 * 1024
    fmt = formats.express(secrets=["k"])
    header, sid = signed_header(MAX_COOKIE_HEADER)
    verdict = resolve(header, fmt, 0.0)
    assert isinstance(verdict, SessionRef) and verdict.session_id == sid

    header, _ = signed_header(MAX_COOKIE_HEADER + 1)
    verdict = resolve(header, fmt, 0.0)
    assert isinstance(verdict, Failure) and verdict.code == "malformed-cookie"
    assert f"{MAX_COOKIE_HEADER + 1} characters" in verdict.message
    assert str(MAX_COOKIE_HEADER) in verdict.message
    assert sid not in verdict.message


def test_a_1_mb_hostile_header_is_refused_without_reading_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def must_not_run(*args: object) -> object:
        raise AssertionError("an over-long header was read")

    monkeypatch.setattr(handshake_module, "find_cookie", must_not_run)
    monkeypatch.setattr(handshake_module, "parse_cookie_header", must_not_run)
    fmt = formats.express(secrets=["k"])
    hostile = repeat_to(NAME, 1 << 20)
    for header in (hostile, hostile + f"; {NAME}={fmt.cookie_value('x')}"):
        verdict = resolve(header, fmt, 0.0)
        assert isinstance(verdict, Failure) and verdict.code == "malformed-cookie"
        # The message says how long, and holds nothing from the header but the length.
        assert len(verdict.message) < 400


def test_explain_stops_at_the_cookie_step_for_an_over_long_header() -> None:
    fmt = formats.express(secrets=["k"])
    header, _ = signed_header(MAX_COOKIE_HEADER + 1)
    explanation = explain(header, fmt, 0.0)
    assert [(step.label, step.ok) for step in explanation.steps] == [("cookie", False)]
    assert isinstance(explanation.verdict, Failure)
    assert explanation.verdict.code == "malformed-cookie"


def test_long_cookie_names_are_cut_short_in_messages() -> None:
    fmt = formats.express(secrets=["k"])
    header = "; ".join(f"{letter * 5000}=1" for letter in "abc")
    verdict = resolve(header, fmt, 0.0)
    assert isinstance(verdict, Failure) and verdict.code == "no-cookie"
    assert "a" * 41 not in verdict.message and "'" + "a" * 40 + "…'" in verdict.message


def test_explain_lists_a_bounded_number_of_other_cookie_names() -> None:
    fmt = formats.express(secrets=["k"])
    others = "; ".join(f"n{i}{'x' * 60}=1" for i in range(100))
    header = f"{others}; {NAME}={fmt.cookie_value('abc')}"
    detail = explain(header, fmt, 0.0).steps[0].detail
    assert detail.startswith(f"found '{NAME}' (other cookies: n0") and "and 90 more" in detail
    assert "x" * 41 not in detail and "n10" not in detail
