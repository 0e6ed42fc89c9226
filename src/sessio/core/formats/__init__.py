"""Every framework's session format, as pure code: cookies in, verdicts and store bytes out.

One module per framework, each opening with the facts it relies on, from the framework's own
code (Django's store backends have their own, `django_store`); `_base` says what a format is:
a `CookieFormat` (the session is the cookie) or a `StoreFormat` (the cookie names a session in
a store). The public name is `sessio.formats`.
"""

from sessio.core.formats._base import CookieFormat, Format, StoreFormat
from sessio.core.formats.aiohttp import (
    AiohttpCookieFormat,
    AiohttpFormat,
    AiohttpStoreFormat,
    aiohttp,
)
from sessio.core.formats.django import DjangoCookieFormat, DjangoFormat, django
from sessio.core.formats.django_native import DjangoNativeFormat, django_native
from sessio.core.formats.django_store import DjangoStoreFormat
from sessio.core.formats.express import ExpressFormat, express
from sessio.core.formats.flask import FlaskFormat, flask
from sessio.core.formats.flask_session import FlaskSessionFormat, flask_session
from sessio.core.formats.starlette import StarletteFormat, starlette

__all__ = [
    "AiohttpCookieFormat",
    "AiohttpFormat",
    "AiohttpStoreFormat",
    "CookieFormat",
    "DjangoCookieFormat",
    "DjangoFormat",
    "DjangoNativeFormat",
    "DjangoStoreFormat",
    "ExpressFormat",
    "FlaskFormat",
    "FlaskSessionFormat",
    "Format",
    "StarletteFormat",
    "StoreFormat",
    "aiohttp",
    "django",
    "django_native",
    "express",
    "flask",
    "flask_session",
    "starlette",
]
