"""`DjangoStore.take`: one of many takers at once gets a ticket, on the ``db`` and ``cache``
engines (`tests/stores/test_take.py` has the other stores)."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from django_setup import setup_django

import sessio.aio
import sessio.sync

TAKERS = 8


def race(take: Callable[[], bytes | None]) -> list[bytes | None]:
    """`take` from `TAKERS` threads released together."""
    start = threading.Barrier(TAKERS)

    def taker() -> bytes | None:
        start.wait(5)
        return take()

    with ThreadPoolExecutor(TAKERS) as pool:
        return [future.result(10) for future in [pool.submit(taker) for _ in range(TAKERS)]]


@pytest.fixture(scope="module")
def django_ready(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    setup_django(tmp_path_factory.mktemp("django-take"))
    yield


@pytest.mark.parametrize("engine", ["db", "cache"])
def test_django(django_ready: None, engine: str) -> None:
    from django.test.utils import override_settings  # type: ignore[import-untyped]

    with override_settings(SESSION_ENGINE=f"django.contrib.sessions.backends.{engine}"):
        store = sessio.sync.DjangoStore()
        record = b'{"_session_expiry":90,"v":1}'
        k = "sessioticket" + uuid.uuid4().hex[:28]
        store.set(k, record, 90)
        won = race(lambda: store.take(k))
        assert won.count(record) == 1 and won.count(None) == TAKERS - 1, won
        assert store.get(k) is None
        assert asyncio.run(sessio.aio.DjangoStore().take(k)) is None
