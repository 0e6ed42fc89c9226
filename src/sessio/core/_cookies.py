"""Reading a ``Cookie`` request header, the way browsers and servers actually send it.

The parser never raises: it returns the pairs it could read. It accepts ``;`` separators with
or without spaces, RFC 6265 quoted values and the backslash/octal escapes that Python's
`http.cookies` writes (aiohttp-session's cookies arrive that way), and repeated ``Cookie``
headers that an ASGI server joined with ``,`` (python-engineio does: ``a=1,session=xyz``).
When a name appears twice the first wins: browsers send the most specific path first.
"""

from __future__ import annotations

import re

__all__ = ["find_cookie", "parse_cookie_header", "unquote"]

# A comma separates two joined headers only when a cookie name and "=" follow it; a comma
# inside a value (e.g. "a=1,2") stays part of the value.
_SEPARATOR = re.compile(r";|,(?=\s*[!#$%&'*+\-.^_`|~0-9A-Za-z]+=)")
# What `_split_pairs` stops at before a piece's "=": a separator or that "=".
_SEPARATOR_OR_EQUALS = re.compile(r"=|" + _SEPARATOR.pattern)
# A complete quoted value (leading whitespace allowed) that a separator or the end follows.
_QUOTED = re.compile(r'\s*"(?:[^"\\]|\\.)*"(?=\s*(?:;|,|\Z))', re.DOTALL)
_ESCAPE = re.compile(r"\\(?:([0-3][0-7][0-7])|(.))")


def unquote(value: str) -> str:
    """Undo RFC 6265 double quotes and the ``\\054``/``\\"`` escapes of `http.cookies`."""
    if len(value) < 2 or value[0] != '"' or value[-1] != '"':
        return value
    inner = value[1:-1]
    if "\\" not in inner:
        return inner
    return _ESCAPE.sub(lambda m: chr(int(m[1], 8)) if m[1] else m[2], inner)


def _split_pairs(header: str) -> list[str]:
    """Split at ``;`` and at joining commas, but never inside a quoted value.

    A quote opens a quoted value only at the start of a value, and only when its closing quote
    is followed by a separator or the end: browsers accept a ``"`` anywhere in a value, and a
    stray quote must not hide the cookies that follow it.
    """
    if '"' not in header:
        # Without quotes there is nothing to skip over: let the regex engine split.
        return _SEPARATOR.split(header)
    pieces: list[str] = []
    start = 0
    in_value = False
    i = 0
    # Jump from one separator (or a piece's first "=") to the next, rather than walk the text
    # character by character; each regex here looks at a character a bounded number of times,
    # which keeps the whole split linear.
    while stop := (_SEPARATOR if in_value else _SEPARATOR_OR_EQUALS).search(header, i):
        i = stop.start()
        if header[i] == "=":
            in_value = True
            quoted = _QUOTED.match(header, i + 1)
            i = quoted.end() if quoted else i + 1
        else:
            pieces.append(header[start:i])
            i = start = i + 1
            in_value = False
    pieces.append(header[start:])
    return pieces


def parse_cookie_header(header: str) -> dict[str, str]:
    """Map each cookie name in `header` to its (unquoted) value; the first occurrence wins.

    Pieces without ``=`` or with an empty name are skipped. Values keep their percent
    escapes: whether to URL-decode is the format's decision (express decodes, Flask does not).
    """
    cookies: dict[str, str] = {}
    if not isinstance(header, str) or not header:
        return cookies
    for piece in _split_pairs(header):
        name, eq, value = piece.partition("=")
        name = name.strip()
        if not eq or not name or name in cookies:
            continue
        cookies[name] = unquote(value.strip())
    return cookies


# The names `find_cookie` has been asked for that a piece can carry: a handshake looks for its
# format's one name again and again. A few are kept; callers that ask for many different
# names (or for names no piece can carry) check theirs each time.
_PLAIN_NAMES: set[str] = set()
_PLAIN_NAMES_KEPT = 64


def find_cookie(header: str, name: str) -> str | None:
    """The (unquoted) value of the first cookie called `name` in `header`, or None.

    The same answer as ``parse_cookie_header(header).get(name)``, found without splitting the
    whole header when it holds no quotes or commas: this runs on every handshake. Its work is
    linear in the header's length, however often `name` repeats in it.
    """
    if not isinstance(header, str) or not header or not name:
        return None
    if name not in _PLAIN_NAMES:
        # The parser strips names and splits at ";" and "=": no piece can be called that.
        if name != name.strip() or ";" in name or "=" in name:
            return None
        if len(_PLAIN_NAMES) < _PLAIN_NAMES_KEPT:
            _PLAIN_NAMES.add(name)
    if '"' in header or "," in header:
        return parse_cookie_header(header).get(name)
    at = header.find(name)
    if at < 0:
        return None
    after = at + len(name)
    # How browsers write it: the name at the start or after "; " (or ";"), "=" right after.
    # This is the first place the name occurs at all, so no earlier piece can carry it, and
    # without quotes in the header there is nothing to unquote. Any other spacing takes the
    # general walk below (one handshake in every header pays this path: keep it short; an
    # index costs less than `startswith`'s argument parsing, and a `try` nothing).
    try:
        equals = header[after] == "="
    except IndexError:
        equals = False
    if equals and (
        not at
        or header[at - 1] == ";"
        or (header[at - 1] == " " and (at == 1 or header[at - 2] == ";"))
    ):
        end = header.find(";", after)
        return (header[after + 1 : end] if end >= 0 else header[after + 1 :]).strip()
    n = len(header)
    while at >= 0:
        after = at + len(name)
        # Indexes, not slices: slicing the text before each match made this quadratic. A name
        # neither starts nor ends with whitespace, so each whitespace run is walked at most
        # twice (after one match, before the next): all the walking together is linear too.
        i = at
        while i and header[i - 1].isspace():
            i -= 1
        # A name starts a piece (after ";" or at the start) and "=" follows it.
        if not i or header[i - 1] == ";":
            j = after
            while j < n and header[j].isspace():
                j += 1
            if j < n and header[j] == "=":
                end = header.find(";", j + 1)
                return unquote(header[j + 1 : n if end < 0 else end].strip())
        at = header.find(name, after)
    return None
