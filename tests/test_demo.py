"""The README's first command: ``sessio demo`` plays its script and says ``demo ok``; and
the cross-site mode's socket server, which lets the page's origin in and no other."""

from __future__ import annotations

import subprocess
import sys
import urllib.error
import urllib.request


def test_demo_runs_end_to_end() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sessio", "demo"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[-1].startswith("demo ok")
    assert any("greeting 'hello, alice'" in line for line in lines)
    assert any("'count': 3" in line for line in lines)


def _handshake(url: str, origin: str) -> int:
    """The status of an Engine.IO polling handshake at `url` from a page of `origin`."""
    request = urllib.request.Request(
        f"{url}/socket.io/?EIO=4&transport=polling", headers={"Origin": origin}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status: int = response.status
            return status
    except urllib.error.HTTPError as error:
        return error.code


def test_the_socket_server_lets_another_origin_in_only_in_cross_site_mode() -> None:
    from servers import free_port, run_asgi
    from sessio.cli.demo import CrossSite, build_app

    other = "http://127.0.0.1:1"
    app, _ = build_app()
    with run_asgi(app) as url:
        assert _handshake(url, url) == 200
        assert _handshake(url, other) == 400
    port = free_port()
    socket_url = f"http://localhost:{port}"
    app, _ = build_app(CrossSite(page_origin=other, socket_url=socket_url))
    with run_asgi(app, port=port) as url:
        assert _handshake(url, other) == 200
        assert _handshake(url, "http://127.0.0.1:2") == 400
        assert _handshake(url, socket_url) == 400  # the page's origin, and no other
        # That listener is the socket server's alone: no page, no login, no tickets there.
        for path in ("/", "/login", "/ticket"):
            try:
                urllib.request.urlopen(f"{url}{path}", timeout=30)
            except urllib.error.HTTPError as error:
                assert error.code == 404, path
            else:
                raise AssertionError(f"{path} answered on the socket's site")
