# Generated from src/sessio/aio/stores/__init__.py by scripts/unasync.py: edit that file instead.
"""Session stores for the sync shell: the `Store` protocol and its implementations.

`MemoryStore` needs nothing; `RedisStore` needs the ``sessio[redis]`` extra and `DjangoStore`
a configured Django, so they are imported when first asked for.
"""

from typing import TYPE_CHECKING

from sessio.sync.stores._protocol import ControlChannel, Store
from sessio.sync.stores._user_index import UserIndex
from sessio.sync.stores.memory import MemoryStore

if TYPE_CHECKING:
    from sessio.sync.stores.django import DjangoStore as DjangoStore
    from sessio.sync.stores.redis import RedisStore as RedisStore

__all__ = ["ControlChannel", "MemoryStore", "Store", "UserIndex"]


def __getattr__(name: str) -> object:
    # Optional dependencies: imported when first asked for, never by `import sessio.sync`.
    if name == "RedisStore":
        from sessio.sync.stores.redis import RedisStore

        return RedisStore
    if name == "DjangoStore":
        from sessio.sync.stores.django import DjangoStore

        return DjangoStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
