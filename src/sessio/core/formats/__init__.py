"""Every framework's session format, as pure code: cookies in, verdicts and store bytes out.

One module per framework, each opening with the facts it relies on, from the framework's own
code; `_base` says what a format is. The public name is `sessio.formats`.
"""

from sessio.core.formats._base import Format
from sessio.core.formats.aiohttp import AiohttpFormat, aiohttp
from sessio.core.formats.django import DjangoFormat, django
from sessio.core.formats.django_native import DjangoNativeFormat, django_native
from sessio.core.formats.express import ExpressFormat, express
from sessio.core.formats.flask import FlaskFormat, flask
from sessio.core.formats.flask_session import FlaskSessionFormat, flask_session
from sessio.core.formats.starlette import StarletteFormat, starlette

__all__ = [
    "AiohttpFormat",
    "DjangoFormat",
    "DjangoNativeFormat",
    "ExpressFormat",
    "FlaskFormat",
    "FlaskSessionFormat",
    "Format",
    "StarletteFormat",
    "aiohttp",
    "django",
    "django_native",
    "express",
    "flask",
    "flask_session",
    "starlette",
]
