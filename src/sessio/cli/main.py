"""The ``sessio`` command: ``sessio demo`` and ``sessio inspect`` (also ``python -m sessio``)."""

from __future__ import annotations

import argparse
import sys

from sessio.cli.inspect import DESCRIPTION, EPILOG, add_arguments, run

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sessio",
        description="sessio: the HTTP session of the browser that opened a python-socketio "
        "connection. Commands: demo (a web app and a socket that share a session, played "
        "end to end) and inspect (why does a socket get, or not get, a session?).",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="run the demo app and a scripted browser against it")
    demo.add_argument("--serve", action="store_true", help="keep serving instead of playing")
    demo.add_argument(
        "--port",
        type=int,
        default=None,
        help="port (of the page, with --cross-site; default: a free one)",
    )
    demo.add_argument(
        "--cross-site",
        action="store_true",
        help="serve (as --serve), with the socket.io server on another site (localhost, a "
        "second port) than the page (127.0.0.1): the browser sends it no cookie, and the page "
        "connects with a one-time ticket, fetched before each (re)connect",
    )
    inspect = commands.add_parser(
        "inspect",
        help="walk one handshake step by step: why does a socket (not) get a session?",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(inspect)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``sessio`` console script."""
    args = _parser().parse_args(argv)
    if args.command == "inspect":
        return run(args)
    if args.command == "demo":
        try:
            from sessio.cli.demo import main as demo
        except ImportError as error:  # uvicorn or aiohttp missing
            print(
                "sessio demo needs the demo extra (from a checkout: pip install -e '.[demo]'): "
                f"{error}"
            )
            return 2
        return demo(serve=args.serve, port=args.port, cross_site=args.cross_site)
    return 2


if __name__ == "__main__":
    sys.exit(main())
