"""The Cookie header parser: never raises, round-trips what browsers and servers send."""

from __future__ import annotations

from http.cookies import SimpleCookie

from hypothesis import example, given, settings
from hypothesis import strategies as st

from sessio.core._cookies import find_cookie, parse_cookie_header, unquote

# RFC 6265 token characters (a cookie name) and cookie-octets (an unquoted cookie value).
TOKEN_CHARS = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
COOKIE_OCTETS = "".join(
    chr(c) for c in [0x21, *range(0x23, 0x2C), *range(0x2D, 0x3B), *range(0x3C, 0x5C)]
) + "".join(chr(c) for c in range(0x5D, 0x7F))

names = st.text(alphabet=TOKEN_CHARS, min_size=1, max_size=12)
values = st.text(alphabet=COOKIE_OCTETS, max_size=24)
# Separators between pairs: the browser's "; ", a bare ";" and engineio's "," join.
separators = st.sampled_from(["; ", ";", ","])
# Text rich in the characters the parser treats specially.
awkward_text = st.text(
    alphabet=st.sampled_from(list("\"\\;,= \t%abcS:.'\x00\u00e9\u2603")) | st.characters(),
    max_size=60,
)


def join(pairs: list[tuple[str, str]], seps: list[str]) -> str:
    """``name=value`` pairs joined with the given separators (cycled)."""
    out = ""
    for i, (name, value) in enumerate(pairs):
        if i:
            out += seps[i % len(seps)]
        out += f"{name}={value}"
    return out


@settings(max_examples=150)
@given(st.one_of(st.text(), awkward_text))
def test_never_raises_and_names_are_clean(header: str) -> None:
    cookies = parse_cookie_header(header)
    assert isinstance(cookies, dict)
    for name, value in cookies.items():
        assert isinstance(value, str)
        assert name
        assert name == name.strip()
        assert ";" not in name
        assert "=" not in name
        assert name in header


def test_non_text_and_empty_input() -> None:
    assert parse_cookie_header("") == {}
    assert parse_cookie_header(None) == {}  # type: ignore[arg-type]
    assert parse_cookie_header(b"a=1") == {}  # type: ignore[arg-type]


@settings(max_examples=100)
@given(
    st.dictionaries(names, values, max_size=8),
    st.lists(separators, min_size=1, max_size=4),
)
def test_round_trip_with_any_separator(cookies: dict[str, str], seps: list[str]) -> None:
    header = join(list(cookies.items()), seps)
    assert parse_cookie_header(header) == cookies


@settings(max_examples=100)
@given(
    st.lists(st.tuples(st.sampled_from(["a", "b", "sid", "connect.sid"]), values), max_size=10),
    st.lists(separators, min_size=1, max_size=4),
)
def test_duplicates_first_wins(pairs: list[tuple[str, str]], seps: list[str]) -> None:
    expected: dict[str, str] = {}
    for name, value in pairs:
        expected.setdefault(name, value)
    assert parse_cookie_header(join(pairs, seps)) == expected


@settings(max_examples=150)
@given(st.text(), st.dictionaries(names, values, max_size=3), separators)
def test_simplecookie_quoted_values_unquote_to_the_original(
    value: str, others: dict[str, str], sep: str
) -> None:
    jar: SimpleCookie = SimpleCookie()
    jar["AIOHTTP_SESSION"] = value
    coded = jar["AIOHTTP_SESSION"].coded_value
    assert unquote(coded) == value
    others.pop("AIOHTTP_SESSION", None)
    pairs = [*others.items()]
    pairs.insert(len(pairs) // 2, ("AIOHTTP_SESSION", coded))
    parsed = parse_cookie_header(join(pairs, [sep]))
    assert parsed == {**others, "AIOHTTP_SESSION": value}


def test_simplecookie_escapes_examples() -> None:
    header = 'AIOHTTP_SESSION="{\\"session\\": {\\"a\\": 1}\\054 \\"created\\": 5}"; b=2'
    assert parse_cookie_header(header) == {
        "AIOHTTP_SESSION": '{"session": {"a": 1}, "created": 5}',
        "b": "2",
    }
    assert unquote('"a\\\\b"') == "a\\b"
    assert unquote('"\\351t\\351"') == "été"
    assert unquote("unquoted\\054") == "unquoted\\054"
    assert unquote('"') == '"'


def test_a_comma_inside_a_value_stays_in_the_value() -> None:
    assert parse_cookie_header("a=1,2") == {"a": "1,2"}
    assert parse_cookie_header("a=1,2; b=3") == {"a": "1,2", "b": "3"}
    assert parse_cookie_header("a=1,b=2") == {"a": "1", "b": "2"}
    assert parse_cookie_header("a=1, session=xyz") == {"a": "1", "session": "xyz"}
    assert parse_cookie_header("a=x,,y=1") == {"a": "x,", "y": "1"}


def test_separators_and_whitespace() -> None:
    assert parse_cookie_header("a=1;b=2") == {"a": "1", "b": "2"}
    assert parse_cookie_header(" a = 1 ;  b=2 ; ") == {"a": "1", "b": "2"}
    assert parse_cookie_header("a=; =b; c; d=x=y") == {"a": "", "d": "x=y"}


def test_quoted_separators_stay_inside_the_value() -> None:
    assert parse_cookie_header('a="x;y"; b=1') == {"a": "x;y", "b": "1"}
    assert parse_cookie_header('a="x,b=2", c=3') == {"a": "x,b=2", "c": "3"}


def test_a_stray_quote_does_not_hide_the_cookies_after_it() -> None:
    # Browsers accept '"' inside a cookie value; it opens no quoted string there.
    header = 'tracker=ab"c; connect.sid=s%3Axyz.sig'
    assert parse_cookie_header(header) == {"tracker": 'ab"c', "connect.sid": "s%3Axyz.sig"}
    # An unterminated quote at the start of a value is a plain character too.
    assert parse_cookie_header('a="abc; connect.sid=v') == {"a": '"abc', "connect.sid": "v"}
    assert parse_cookie_header('a="abc,connect.sid=v') == {"a": '"abc', "connect.sid": "v"}


@settings(max_examples=100)
@given(
    st.dictionaries(
        names.filter(lambda n: n != "connect.sid"),
        st.text(alphabet=COOKIE_OCTETS + '"', max_size=12),
        max_size=6,
    ),
    st.text(alphabet=TOKEN_CHARS, min_size=1, max_size=20),
    separators,
)
def test_the_last_cookie_is_found_whatever_quotes_come_before(
    others: dict[str, str], sid: str, sep: str
) -> None:
    header = join([*others.items(), ("connect.sid", sid)], [sep])
    assert parse_cookie_header(header)["connect.sid"] == sid


@settings(max_examples=600)
@given(
    awkward_text
    | st.lists(st.sampled_from(["a", "a", " ", ";", "=", "\u00a0"]), max_size=30).map("".join),
    # Names the parser can never produce (they would be stripped or split) are never found.
    st.sampled_from(["a", "ab", "b", "connect.sid", "S", " a", "a ", "a;b", "a=b"]),
)
@example(" a=1", " a")
@example("x; a =1", "a ")
@example("x=1; a", "a")  # the name ends the header: nothing to index after it
@example("a", "a")
def test_find_cookie_answers_as_the_full_parse_does(header: str, name: str) -> None:
    # find_cookie is the handshake's fast path; it must never disagree with the parser.
    assert find_cookie(header, name) == parse_cookie_header(header).get(name)


def test_find_cookie_answers_the_same_when_asked_again() -> None:
    # Names that a piece can carry are remembered; the others are checked on every call.
    for _ in range(3):
        assert find_cookie("a=1; b=2", "b") == "2"
        assert find_cookie("a=1; b=2", " b") is None
        assert find_cookie("a=1; b=2", "a=1") is None


@settings(max_examples=300)
@given(st.lists(st.tuples(names, values), max_size=6), separators, names)
def test_find_cookie_on_well_formed_headers(
    pairs: list[tuple[str, str]], sep: str, name: str
) -> None:
    header = sep.join(f"{n}={v}" for n, v in pairs)
    assert find_cookie(header, name) == parse_cookie_header(header).get(name)
