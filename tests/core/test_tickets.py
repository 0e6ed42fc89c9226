"""Socket tickets, pure: the layout, what an ``auth`` payload carries, and redemption verdicts."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sessio import formats
from sessio.core import ClientSession, Failure, SessionRef
from sessio.core._handshake import resolve_value
from sessio.core._tickets import (
    MAX_TICKET_TTL,
    TICKET_GRACE,
    TicketPlan,
    plan_ticket,
    redeem,
    ticket_in,
    ticket_key,
)

NOW = 1_700_000_000.0
SECRET = "keyboard cat"
EXPRESS = formats.express(secrets=[SECRET])


def signed(sid: str) -> str:
    """An express cookie value for `sid`, as cookie-signature signs it (by hand, not sessio)."""
    mac = hmac.new(SECRET.encode(), sid.encode(), hashlib.sha256).digest()
    return quote(f"s:{sid}." + base64.b64encode(mac).decode().rstrip("="), safe="")


SIGNED = signed("abc")
ENTROPY = bytes(range(32))


def plan(value: str = SIGNED, ttl: float = 30, now: float = NOW) -> TicketPlan:
    planned = plan_ticket(EXPRESS, value, ENTROPY, ttl, now)
    assert isinstance(planned, TicketPlan), planned
    return planned


def test_the_signed_cookie_is_one() -> None:
    verdict = resolve_value(SIGNED, EXPRESS, NOW)
    assert isinstance(verdict, SessionRef) and verdict.session_id == "abc"


def test_the_layout_is_the_documented_one() -> None:
    planned = plan()
    assert len(planned.ticket) == 43
    assert planned.key == "sessioticket" + hashlib.sha256(planned.ticket.encode()).hexdigest()[:28]
    assert len(planned.key) == 40 and planned.key.isalnum() and planned.key.islower()
    assert planned.ttl == 30 + TICKET_GRACE
    assert json.loads(planned.value) == {
        "v": 1,
        "name": "connect.sid",
        "cookie": SIGNED,
        "expires": NOW + 30,
        "_session_expiry": 30 + TICKET_GRACE,
    }
    # Neither the ticket nor the cookie shows in a repr.
    assert planned.ticket not in repr(planned) and "abc" not in repr(planned)


def test_a_ticket_is_its_entropy() -> None:
    other = plan_ticket(EXPRESS, SIGNED, bytes(32), 30, NOW)
    assert isinstance(other, TicketPlan)
    assert other.ticket != plan().ticket and other.key != plan().key


def test_a_ticket_for_a_cookie_that_does_not_verify_is_refused() -> None:
    forged = SIGNED[:-3] + ("AAA" if not SIGNED.endswith("AAA") else "BBB")
    for value, code in (
        (forged, "bad-signature"),
        ("s%3Aabc", "malformed-cookie"),
        ("abc", "unsigned-cookie"),
    ):
        failure = plan_ticket(EXPRESS, value, ENTROPY, 30, NOW)
        assert isinstance(failure, Failure) and failure.code == code, (value, failure)


@pytest.mark.parametrize("ttl", [0, -1, MAX_TICKET_TTL + 1, float("nan"), float("inf")])
def test_a_ttl_out_of_range_is_a_configuration_error(ttl: float) -> None:
    with pytest.raises(ValueError, match="ttl"):
        plan_ticket(EXPRESS, SIGNED, ENTROPY, ttl, NOW)


def test_short_entropy_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="random bytes"):
        plan_ticket(EXPRESS, SIGNED, bytes(16), 30, NOW)


def test_cookie_formats_get_tickets_too() -> None:
    # A Starlette cookie is the whole session: the ticket carries all of it.
    import itsdangerous

    signer = itsdangerous.TimestampSigner("k")
    cookie = signer.sign(base64.b64encode(json.dumps({"user": "ann"}).encode())).decode()
    fmt = formats.starlette("k")
    now = time.time()  # itsdangerous signs at the real time
    planned = plan_ticket(fmt, cookie, ENTROPY, 30, now + 1)
    assert isinstance(planned, TicketPlan), planned
    value = redeem(planned.value, fmt, now + 2)
    assert value == cookie
    verdict = resolve_value(value, fmt, now + 2)
    assert isinstance(verdict, ClientSession) and dict(verdict.data) == {"user": "ann"}


# -- the auth payload ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "auth",
    [None, [], ["ticket"], "ticket", "x" * 1_000_000, 42, {}, {"token": "x"}, {"tickets": 1}],
)
def test_no_ticket_in_the_payload(auth: Any) -> None:
    assert ticket_in(auth) is None


@pytest.mark.parametrize(
    "ticket",
    [
        None,
        42,
        ["a" * 43],
        {"nested": {"deeper": "a" * 43}},
        "",
        "a" * 42,
        "a" * 44,
        "a" * 1_000_000,
        "a" * 42 + "=",
        "a" * 42 + "\u00e9",
        "a" * 42 + "\n",
    ],
)
def test_a_malformed_ticket_is_bad_before_any_store(ticket: Any) -> None:
    failure = ticket_in({"ticket": ticket})
    assert isinstance(failure, Failure) and failure.code == "bad-ticket"


def test_an_issued_ticket_is_read_from_the_payload() -> None:
    planned = plan()
    assert ticket_in({"ticket": planned.ticket, "other": [1, 2]}) == planned.ticket


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=50),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)


@given(json_values)
def test_ticket_in_never_raises(auth: Any) -> None:
    found = ticket_in(auth)
    assert found is None or isinstance(found, Failure | str)
    found = ticket_in({"ticket": auth})
    assert isinstance(found, Failure | str)


# -- redemption ------------------------------------------------------------------------------


def test_a_live_ticket_redeems_to_its_cookie() -> None:
    assert redeem(plan().value, EXPRESS, NOW + 29.9) == SIGNED


@given(st.floats(min_value=0, max_value=TICKET_GRACE * 10, allow_nan=False))
def test_expiry_follows_the_clock(late: float) -> None:
    value = redeem(plan().value, EXPRESS, NOW + 30 + late)
    assert isinstance(value, Failure) and value.code == "ticket-expired"


def test_nothing_in_the_store_is_a_bad_ticket() -> None:
    failure = redeem(None, EXPRESS, NOW)
    assert isinstance(failure, Failure) and failure.code == "bad-ticket"


def test_a_ticket_for_another_cookie_name_is_bad() -> None:
    other = formats.express(secrets=[SECRET], key="other.sid")
    failure = redeem(plan().value, other, NOW)
    assert isinstance(failure, Failure) and failure.code == "bad-ticket"


@pytest.mark.parametrize(
    "record",
    [
        b"",
        b"\xff",
        b"[" * 100_000,
        b"null",
        b"[]",
        json.dumps({"v": 2, "name": "connect.sid", "cookie": SIGNED, "expires": NOW + 9}).encode(),
        json.dumps({"v": 1, "name": "connect.sid", "cookie": 7, "expires": NOW + 9}).encode(),
        json.dumps({"v": 1, "name": "connect.sid", "cookie": SIGNED, "expires": "x"}).encode(),
        json.dumps({"v": 1, "name": "connect.sid", "cookie": SIGNED, "expires": True}).encode(),
        b'{"v": 1, "name": "connect.sid", "cookie": "c", "expires": NaN}',
        b'{"v": 1, "name": "connect.sid", "cookie": "c", "expires": Infinity}',
        json.dumps({"v": 1, "cookie": "x" * 40_000, "name": "connect.sid"}).encode(),
    ],
)
def test_a_record_that_is_not_ours_is_a_bad_ticket(record: bytes) -> None:
    failure = redeem(record, EXPRESS, NOW)
    assert isinstance(failure, Failure) and failure.code == "bad-ticket"


@given(st.binary(max_size=300))
def test_redeem_never_raises(raw: bytes) -> None:
    assert isinstance(redeem(raw, EXPRESS, NOW), str | Failure)


def test_failure_messages_hold_no_ticket_and_no_cookie() -> None:
    planned = plan()
    for failure in (
        ticket_in({"ticket": planned.ticket + "x"}),
        redeem(None, EXPRESS, NOW),
        redeem(planned.value, EXPRESS, NOW + 31),
    ):
        assert isinstance(failure, Failure)
        assert planned.ticket not in str(failure) and "abc" not in failure.message
        assert ticket_key(planned.ticket) not in str(failure)
