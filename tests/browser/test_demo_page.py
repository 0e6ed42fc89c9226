"""``sessio demo --serve``'s page in a real browser: log in, see the session the socket got,
count over the socket and read it over HTTP, message the other tab, log out in one tab and
watch the other one go with its reason. The page's client is the demo's own small one
(``demo_static/sessio-client.js``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect
from watch_browser import WAIT_MS, launch

from servers import run_asgi, wait_for
from sessio.cli._demo_page import LOGOUT_REASON
from sessio.cli.demo import build_app


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with launch() as browser:
        yield browser


def watched(page: Page, errors: list[str]) -> Page:
    """`page`, with every console error and uncaught exception it shows put in `errors`."""

    def console(message: ConsoleMessage) -> None:
        # /whoami answers 401 to a browser with no session: the page's cue to show the form.
        if message.type == "error" and "status of 401" not in message.text:
            errors.append(message.text)

    page.on("console", console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return page


def test_the_demo_page_end_to_end(browser: Browser) -> None:
    expect.set_options(timeout=WAIT_MS)
    app, sessions = build_app()
    errors: list[str] = []
    with run_asgi(app) as url:
        context = browser.new_context()
        tab1 = watched(context.new_page(), errors)
        tab1.goto(f"{url}/")
        expect(tab1.locator("#login")).to_be_visible()
        tab1.fill("#name", "Zoë <b>")
        tab1.click("#login-button")
        # The name is shown as text, never as markup.
        expect(tab1.locator("#user")).to_have_text("Zoë <b>")
        expect(tab1.locator("#status")).to_contain_text("socket: connected")
        expect(tab1.locator("#socket-session")).to_contain_text('"user": "Zoë <b>"')

        for expected in ("1", "2", "3"):
            tab1.click("#count")
            expect(tab1.locator("#counter")).to_have_text(expected)
        tab1.click("#reload")  # HTTP reads what the socket saved
        expect(tab1.locator("#http-session")).to_contain_text('"count": 3')
        expect(tab1.locator("#counter")).to_have_text("3")
        expect(tab1.locator("#status")).to_contain_text("socket: connected")

        tab2 = watched(context.new_page(), errors)  # same browser profile: same session
        tab2.goto(f"{url}/")
        expect(tab2.locator("#status")).to_contain_text("socket: connected")
        tab1.fill("#message", "hello, other tab")
        tab1.click("#tell")
        for tab in (tab1, tab2):
            expect(tab.locator("#news li")).to_have_text(["Zoë <b>: hello, other tab"])

        tab1.click("#logout")
        expect(tab2.locator("#gone")).to_be_visible()
        expect(tab2.locator("#reason")).to_have_text(
            f"The server disconnected this tab: {LOGOUT_REASON} (socket.io: io server disconnect)."
        )
        expect(tab1.locator("#reason")).to_contain_text("you logged out here")
        assert context.request.get(f"{url}/whoami").status == 401
        tab2.goto(f"{url}/")
        expect(tab2.locator("#login")).to_be_visible()
        # Every socket has left the server's tables.
        wait_for(lambda: not any(sessions.tables().values()), message="tables empty")
        context.close()
    assert errors == []


def test_a_stranger_without_a_session_sees_the_login_form(browser: Browser) -> None:
    app, _ = build_app()
    with run_asgi(app) as url:
        page = browser.new_page()
        response = page.goto(f"{url}/")
        assert response is not None
        policy = response.headers["content-security-policy"]
        assert "default-src 'self'" in policy
        expect(page.locator("#login")).to_be_visible(timeout=WAIT_MS)
        expect(page.locator("#app")).to_be_hidden()
        # The cross-site section waits for socket tickets (issue 12).
        expect(page.locator("#cross-site")).to_be_hidden()
        page.close()
