"""``sessio demo --serve``'s page in a real browser: log in, see the session the socket got,
count over the socket and read it over HTTP, message the other tab, log out in one tab and
watch the other one go with its reason. The page's client is the demo's own small one
(``demo_static/sessio-client.js``).

In cross-site mode (``sessio demo --serve --cross-site``, run as the command itself), the page
is on ``127.0.0.1:A`` and its socket.io server on ``localhost:B``, another site: the session
reaches the socket through a ticket fetched before each (re)connect, and never by cookie."""

from __future__ import annotations

import json
import queue
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

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
        # Same site: the cookie carried the session, and the page says how to see the other mode.
        expect(tab1.locator("#cross-site-status")).to_contain_text("connected with the cookie")
        expect(tab1.locator("#same-site-note")).to_contain_text("sessio demo --serve --cross-site")
        expect(tab1.locator("#cross-site-on")).to_be_hidden()

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
        # The cross-site section comes with the app, for someone logged in.
        expect(page.locator("#cross-site")).to_be_hidden()
        page.close()


#: Generous: the machine's cores are shared, and the demo starts as a process of its own.
SLOW_MS = 30_000


@contextmanager
def demo_cross_site() -> Iterator[tuple[str, str]]:
    """``sessio demo --serve --cross-site``, running: the page's URL and the socket server's."""
    command = [sys.executable, "-m", "sessio", "demo", "--serve", "--cross-site"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue[str] = queue.Queue()
    stdout = process.stdout
    assert stdout is not None

    def read() -> None:  # its output, line by line, for a `get` with a timeout
        for line in stdout:
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    try:
        first = lines.get(timeout=SLOW_MS / 1000)
        found = re.search(r"page on (http://127\.0\.0\.1:\d+) .* (http://localhost:\d+):", first)
        assert found is not None, first
        yield found[1], found[2]
    finally:
        process.terminate()
        process.wait(timeout=30)


# Engine.IO open, then a Socket.IO CONNECT with no auth, then read the answer: all with
# `credentials: "include"`, which is what socket.io's `withCredentials: true` sets.
HANDSHAKE_WITH_CREDENTIALS = """async (url) => {
  const base = url + "/socket.io/?EIO=4&transport=polling";
  const opened = await (await fetch(base, { credentials: "include" })).text();
  const sid = JSON.parse(opened.slice(1)).sid;
  const post = { method: "POST", body: "40", credentials: "include" };
  await fetch(`${base}&sid=${sid}`, post);
  return (await fetch(`${base}&sid=${sid}`, { credentials: "include" })).text();
}"""


def test_the_demo_page_cross_site_with_tickets(browser: Browser) -> None:
    expect.set_options(timeout=SLOW_MS)
    errors: list[str] = []
    with demo_cross_site() as (url, socket_url):
        context = browser.new_context()
        page = watched(context.new_page(), errors)
        page.goto(f"{url}/")
        page.fill("#name", "Ann")
        page.click("#login-button")
        expect(page.locator("#cross-site-on")).to_be_visible()
        expect(page.locator("#same-site-note")).to_be_hidden()
        expect(page.locator("#socket-url")).to_have_text(socket_url)
        # The socket on the other site got the session, and the server says a ticket carried it.
        status = page.locator("#cross-site-status")
        expect(status).to_contain_text("connected from another site with a ticket (#1)")
        expect(page.locator("#socket-session")).to_contain_text('"user": "Ann"')
        expect(page.locator("#tickets")).to_have_text("1")
        for expected in ("1", "2"):
            page.click("#count")
            expect(page.locator("#counter")).to_have_text(expected)

        # A lost transport: the socket reconnects by itself, on a fresh ticket, and works.
        page.click("#drop")
        expect(page.locator("#connects li")).to_have_text(
            ["connect 1: with a ticket (#1)", "connect 2: with a ticket (#2)"]
        )
        expect(status).to_contain_text("connected from another site with a ticket (#2)")
        page.click("#count")
        expect(page.locator("#counter")).to_have_text("3")
        page.click("#reload")  # HTTP, on the page's site, reads what the socket saved
        expect(page.locator("#http-session")).to_contain_text('"count": 3')
        expect(status).to_contain_text("connected from another site with a ticket (#1)")

        # A ticket opens one connect, once; and without one the socket's site gets no session:
        # the browser holds no cookie for it, whatever it would send (withCredentials or not).
        page.click("#reuse")
        expect(page.locator("#probe")).to_have_text("refused: bad-ticket")
        page.click("#no-ticket")
        expect(page.locator("#probe")).to_have_text("refused: no-cookie")
        assert context.cookies(socket_url) == []
        # The socket.io handshake over polling with credentials (`withCredentials: true`):
        # the browser may send cookies, has none for that site, and the server says so.
        refused = page.evaluate(HANDSHAKE_WITH_CREDENTIALS, socket_url)
        assert refused.startswith("44"), refused
        assert json.loads(refused[2:])["data"] == {"code": "no-cookie"}
        assert [cookie["name"] for cookie in context.cookies(url)] == ["connect.sid"]

        page.click("#logout")  # the socket on the other site goes too
        expect(page.locator("#reason")).to_contain_text("you logged out here")
        assert context.request.get(f"{url}/ticket").status == 401
        context.close()
    assert errors == []
