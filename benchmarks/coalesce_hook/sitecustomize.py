"""For `benchmarks/users_instructions.py`: presence's merge window from ``SESSIO_COALESCE``.

On the path (``PYTHONPATH``) of a process whose environment sets ``SESSIO_COALESCE``
(seconds), Python imports this at start-up and sets ``sessio.aio._presence.COALESCE``.
"""

from __future__ import annotations

import os

if os.environ.get("SESSIO_COALESCE"):
    import sessio.aio._presence

    sessio.aio._presence.COALESCE = float(os.environ["SESSIO_COALESCE"])
