"""The official ``socket.io-client`` (npm, pinned) in Chromium, against both shells, over
websocket and over polling: log in over HTTP, read and write the session from the socket,
see the write over HTTP, log out in one tab and watch the other tab's socket go, and be
refused without a session with exactly ``{"code": ...}`` in ``connect_error``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from official_apps import async_app, sync_app
from playwright.sync_api import Browser, Page
from watch_browser import WAIT_MS, launch

from servers import run_asgi, run_wsgi

SHELLS: dict[str, tuple[Callable[[], Any], Callable[..., Any]]] = {
    "sync": (sync_app, run_wsgi),
    "async": (async_app, run_asgi),
}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with launch() as browser:
        yield browser


@pytest.fixture(params=list(SHELLS))
def url(request: pytest.FixtureRequest) -> Iterator[str]:
    make, run = SHELLS[request.param]
    with run(make()) as url:
        yield url


def open_socket(page: Page, url: str, transport: str) -> dict[str, Any]:
    page.goto(f"{url}/")
    opened: dict[str, Any] = page.evaluate("(t) => openSocket([t])", transport)
    return opened


@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_official_client(browser: Browser, url: str, transport: str) -> None:
    context = browser.new_context()
    context.set_default_timeout(WAIT_MS)
    try:
        assert context.request.get(f"{url}/login?user=ann").ok
        tab1, tab2 = context.new_page(), context.new_page()
        for tab in (tab1, tab2):
            opened = open_socket(tab, url, transport)
            assert opened.get("transport") == transport, opened
        assert tab1.evaluate("() => socket.emitWithAck('whoami')") == {"user": "ann"}
        assert tab1.evaluate("() => socket.emitWithAck('set', 'cart', [1, 2])") is True
        assert context.request.get(f"{url}/session").json() == {"user": "ann", "cart": [1, 2]}
        assert tab2.evaluate("() => socket.emitWithAck('whoami')") == {"user": "ann"}

        assert tab1.evaluate("() => fetch('/logout', {method: 'POST'}).then(r => r.status)") == 200
        tab2.wait_for_function("() => window.disconnects.length > 0")
        assert tab2.evaluate("() => window.disconnects") == ["io server disconnect"]
        assert context.request.get(f"{url}/session").status == 401
    finally:
        context.close()

    stranger = browser.new_context()  # no login: no cookie
    try:
        refused = open_socket(stranger.new_page(), url, transport)
        assert refused == {"error": {"message": "no-cookie", "data": {"code": "no-cookie"}}}
    finally:
        stranger.close()
