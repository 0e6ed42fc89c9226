"""Small real web apps with a login view, one per framework, for the test kit's tests.

Each logs a user in the way the framework does it (its own session object, its own cookie),
and logs them out; the tests take the cookie from the framework's test client afterwards.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import flask
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

SECRET = "kit-secret-key"
DJANGO_SECRET = "django-insecure-kit-secret"


def flask_app() -> flask.Flask:
    """Flask with its default cookie sessions: ``POST /login`` (form ``user``), ``/logout``."""
    app = flask.Flask("kit")
    app.secret_key = SECRET

    @app.post("/login")
    def login() -> dict[str, Any]:
        flask.session["user"] = flask.request.form["user"]
        return {"ok": True}

    @app.post("/logout")
    def logout() -> dict[str, Any]:
        flask.session.clear()
        return {"ok": True}

    @app.get("/whoami")
    def whoami() -> dict[str, Any]:
        return {"session": dict(flask.session)}

    return app


def starlette_app() -> Starlette:
    """Starlette/FastAPI's ``SessionMiddleware``: ``POST /login?user=NAME``."""

    async def login(request: Request) -> JSONResponse:
        request.session["user"] = request.query_params["user"]
        return JSONResponse({"ok": True})

    return Starlette(
        routes=[Route("/login", login, methods=["POST"])],
        middleware=[Middleware(SessionMiddleware, secret_key=SECRET)],
    )


class DjangoUrls:
    """A ROOT_URLCONF object (Django takes any object with ``urlpatterns``)."""

    def __init__(self) -> None:
        from django.http import HttpRequest, JsonResponse  # type: ignore[import-untyped]
        from django.urls import path  # type: ignore[import-untyped]

        def login(request: HttpRequest) -> JsonResponse:
            request.session["user"] = request.POST["user"]
            return JsonResponse({"ok": True})

        def logout(request: HttpRequest) -> JsonResponse:
            request.session.flush()
            return JsonResponse({"ok": True})

        def whoami(request: HttpRequest) -> JsonResponse:
            return JsonResponse({"session": dict(request.session.items())})

        self.urlpatterns = [path("login", login), path("logout", logout), path("whoami", whoami)]


def configure_django(root: Path) -> None:
    """Configure Django once per process (as tests/interop does) and migrate its sessions."""
    import django  # type: ignore[import-untyped]
    from django.conf import settings  # type: ignore[import-untyped]
    from django.core.management import call_command  # type: ignore[import-untyped]

    if not settings.configured:
        settings.configure(
            SECRET_KEY=DJANGO_SECRET,
            INSTALLED_APPS=["django.contrib.sessions"],
            DATABASES={
                "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(root / "db")}
            },
            USE_TZ=True,
        )
        django.setup()
    call_command("migrate", "sessions", verbosity=0)


def django_settings() -> dict[str, Any]:
    """What the kit's Django tests override: the db session engine, the login views."""
    return {
        "SECRET_KEY": DJANGO_SECRET,
        "SECRET_KEY_FALLBACKS": [],
        "SESSION_ENGINE": "django.contrib.sessions.backends.db",
        "ROOT_URLCONF": DjangoUrls(),
        "MIDDLEWARE": ["django.contrib.sessions.middleware.SessionMiddleware"],
        "ALLOWED_HOSTS": ["testserver", "127.0.0.1"],
        "DEBUG": False,
    }
