"""The ``sessio`` command line: ``sessio inspect`` and ``sessio demo``."""

from sessio.cli.main import main

__all__ = ["main"]
