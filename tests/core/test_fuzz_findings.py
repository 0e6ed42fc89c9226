"""Regressions for what the coverage-guided fuzzers (fuzz/) found in the pure core."""

from __future__ import annotations

import pytest

from sessio.core import Failure, resolve
from sessio.formats import django, express

NOW = 1_800_000_000.0


@pytest.mark.parametrize("value", ["s:\udcc3.x", "s:abc\ud800def.sig", "s%3A\udc80.x"])
def test_express_read_cookie_refuses_lone_surrogates_without_raising(value: str) -> None:
    # fuzz/cookie_express: UnicodeEncodeError escaped ExpressFormat.read_cookie (resolve
    # caught it, but read_cookie is a Format's contract: a verdict, never an exception).
    fmt = express(["secret"])
    verdict = fmt.read_cookie(value, NOW)
    assert isinstance(verdict, Failure)
    assert verdict.code == "malformed-cookie"
    assert resolve(f"connect.sid={value}", fmt, NOW) == verdict


@pytest.mark.parametrize("value", ["a:b:\udcff", "x\ud800:1:sig", "a:b:c\udc00"])
def test_django_signed_read_cookie_refuses_lone_surrogates_without_raising(value: str) -> None:
    # fuzz/cookie_django: UnicodeEncodeError escaped DjangoFormat.read_cookie
    # (django_signing.py and signing.py encode the value and the signature as UTF-8).
    fmt = django("secret")
    verdict = fmt.read_cookie(value, NOW)
    assert isinstance(verdict, Failure)
    assert verdict.code == "malformed-cookie"
