"""Session formats: one constructor per web framework, each taking that framework's settings.

=================  ================================================================  ===========
constructor        framework                                                          socket can
=================  ================================================================  ===========
`express`          express-session + cookie-signature + connect-redis                 write
`flask`            Flask's default signed-cookie session                              read
`flask_session`    Flask-Session 0.8 (Redis backend, msgpack or JSON)                 write
`starlette`        Starlette / FastAPI ``SessionMiddleware``                          read
`django`           Django sessions: ``signed_cookies``; ``db``, ``file``, ``cache``   read; write
`django_native`    any Django session engine, through `DjangoStore`                   write
`aiohttp`          aiohttp-session (``storage=``): simple, encrypted; redis           read; write
=================  ================================================================  ===========

Each format is one of two kinds. A `CookieFormat` keeps the session in the browser's cookie,
which a socket cannot set: read-only. A `StoreFormat` keeps it in a server-side store that
the cookie names: a socket can write it. `Format` is either; `django` and `aiohttp` give the
kind their ``backend`` or ``storage`` names (`DjangoCookieFormat` or `DjangoStoreFormat`,
`AiohttpCookieFormat` or `AiohttpStoreFormat`).

The formats are pure code (`sessio.core.formats`); this module is their public name.
"""

from sessio.core.formats import *  # noqa: F403 (the same names, under their public module)
from sessio.core.formats import __all__ as __all__
