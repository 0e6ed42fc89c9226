"""Logins that sockets follow, with the real frameworks: Django, and Flask + Flask-Login.

A browser (``requests``, cookies passed by hand) gets a session over HTTP, opens a socket with
it, logs in over HTTP while the socket is open (the framework changes the session id: Django
``cycle_key``, Flask-Session ``regenerate`` by `follow_logins`) and the socket follows to the
new session, without a disconnect; it logs out over HTTP and the socket is disconnected with
``session-revoked``. The control channel is a `RedisStore` on a private redis-server; the
sessions live in Django's ``db`` engine (`DjangoStore`) and in Flask-Session's Redis.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import flask
import flask_login  # type: ignore[import-untyped]
import flask_session  # type: ignore[import-untyped]
import pytest
import socketio
from django_setup import setup_django
from node_app import browser, cookie_pair

import sessio.sync
from redis_server import RedisServer
from servers import run_wsgi, sync_client, wait_for
from sessio import formats
from sessio.core._control import CONTROL_CHANNEL

TIMEOUT = 5.0


class Socket:
    """A socket.io client on a server whose ``whoami`` answers its session; why it left."""

    def __init__(self, url: str, cookie: str) -> None:
        self.dropped: list[str] = []
        self.client = sync_client()
        self.client.on("disconnect", lambda *args: self.dropped.append("dropped"))
        self.client.connect(url, headers={"Cookie": cookie}, transports=["websocket"])

    def whoami(self) -> Any:
        return self.client.call("whoami", timeout=TIMEOUT)

    def follows(self, session_id: str) -> None:
        wait_for(lambda: self.whoami()["id"] == session_id, TIMEOUT, message="rotation")


def serve_sockets(
    store: sessio.sync.Store, fmt: Any, control: sessio.sync.ControlChannel, reasons: list[str]
) -> tuple[socketio.Server, sessio.sync.SessionSockets]:
    sio = socketio.Server(async_mode="threading")
    sessions = sessio.sync.SessionSockets(sio, store, fmt, require_session=True, control=control)

    @sessions.on("whoami")
    def whoami(sid: str, session: Any) -> Any:
        return {"id": session.id, "data": dict(session)}

    @sessions.on("disconnect")
    def disconnect(sid: str, session: Any, reason: str) -> None:
        reasons.append(reason)

    return sio, sessions


def subscribed(server: RedisServer) -> None:
    client = server.client()
    wait_for(lambda: int(client.pubsub_numsub(CONTROL_CHANNEL)[0][1]) >= 1, TIMEOUT)


# -- Django -------------------------------------------------------------------------------------


class _Views:
    """ROOT_URLCONF: ``visit`` (an anonymous session), ``login``, ``logout``."""

    def __init__(self) -> None:
        from django.contrib.auth import (  # type: ignore[import-untyped]
            authenticate,
            login,
            logout,
        )
        from django.http import HttpRequest, JsonResponse  # type: ignore[import-untyped]
        from django.urls import path  # type: ignore[import-untyped]

        def visit(request: HttpRequest) -> JsonResponse:
            request.session["visits"] = 1
            return JsonResponse({"ok": True})

        def log_in(request: HttpRequest) -> JsonResponse:
            user = authenticate(request, username="ann", password="pw")
            login(request, user)
            return JsonResponse({"ok": True})

        def log_out(request: HttpRequest) -> JsonResponse:
            logout(request)
            return JsonResponse({"ok": True})

        self.urlpatterns = [path("visit", visit), path("login", log_in), path("logout", log_out)]


@contextlib.contextmanager
def django_site(redis_server: RedisServer, reasons: list[str]) -> Iterator[str]:
    from django.core.handlers.wsgi import WSGIHandler  # type: ignore[import-untyped]
    from django.core.management import call_command  # type: ignore[import-untyped]
    from django.test.utils import override_settings  # type: ignore[import-untyped]

    control = sessio.sync.RedisStore(redis_server.client())
    override = override_settings(
        INSTALLED_APPS=[
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "django.contrib.sessions",
        ],
        SESSION_ENGINE="django.contrib.sessions.backends.db",
        ROOT_URLCONF=_Views(),
        MIDDLEWARE=[
            "sessio.contrib.django.SessioMiddleware",
            "django.contrib.sessions.middleware.SessionMiddleware",
        ],
        SESSIO_CONTROL=lambda: control,
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        ALLOWED_HOSTS=["127.0.0.1"],
        DEBUG=False,
    )
    override.enable()
    try:
        # Only now is django.contrib.auth an installed app.
        from django.contrib.auth.models import User  # type: ignore[import-untyped]

        call_command("migrate", verbosity=0)
        if not User.objects.filter(username="ann").exists():
            User.objects.create_user("ann", password="pw")
        store = sessio.sync.DjangoStore()
        sio, sessions = serve_sockets(store, store.format(), control, reasons)
        with run_wsgi(socketio.WSGIApp(sio, WSGIHandler())) as url:
            try:
                yield url
            finally:
                sessions.close()  # its listener must not outlive this test's Redis
    finally:
        override.disable()


def test_django_login_and_logout(
    tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer
) -> None:
    setup_django(tmp_path_factory.mktemp("django-follow"))
    reasons: list[str] = []
    http = browser()
    with django_site(redis_server, reasons) as url:
        anonymous = cookie_pair(http.get(url + "/visit", timeout=TIMEOUT), "sessionid")
        socket = Socket(url, anonymous)
        try:
            before = socket.whoami()
            assert before["data"] == {"visits": 1}
            subscribed(redis_server)
            response = http.get(url + "/login", headers={"Cookie": anonymous}, timeout=TIMEOUT)
            logged_in = cookie_pair(response, "sessionid")
            new_key = logged_in.partition("=")[2]
            assert new_key != before["id"]
            socket.follows(new_key)
            data = socket.whoami()["data"]
            assert data["visits"] == 1 and "_auth_user_id" in data
            assert socket.dropped == [] and reasons == []

            http.get(url + "/logout", headers={"Cookie": logged_in}, timeout=TIMEOUT)
            wait_for(lambda: socket.dropped == ["dropped"], TIMEOUT, message="dropped at logout")
            wait_for(lambda: reasons == ["session-revoked"], TIMEOUT, message="the reason")
        finally:
            socket.client.disconnect()


# -- Flask + Flask-Session + Flask-Login ----------------------------------------------------------


class User(flask_login.UserMixin):  # type: ignore[misc]
    def __init__(self, user_id: str) -> None:
        self.id = user_id


def flask_app(redis_server: RedisServer) -> flask.Flask:
    from sessio.contrib.flask import follow_logins

    app = flask.Flask(__name__)
    app.config.update(
        SECRET_KEY="flask-follow",
        SESSION_TYPE="redis",
        SESSION_REDIS=redis_server.client(),
        SESSION_SERIALIZATION_FORMAT="json",
    )
    flask_session.Session(app)
    manager = flask_login.LoginManager(app)
    manager.user_loader(User)

    @app.get("/visit")
    def visit() -> Any:
        flask.session["visits"] = 1
        return {"ok": True}

    @app.get("/login")
    def login() -> Any:
        flask_login.login_user(User("ann"))
        return {"ok": True}

    @app.get("/logout")
    def logout() -> Any:
        flask_login.logout_user()
        return {"ok": True}

    store = sessio.sync.RedisStore(redis_server.client())
    follow_logins(app, store, formats.flask_session(serializer="json"))
    return app


def test_flask_login_and_logout(redis_server: RedisServer) -> None:
    reasons: list[str] = []
    store = sessio.sync.RedisStore(redis_server.client())
    sio, sessions = serve_sockets(store, formats.flask_session(serializer="json"), store, reasons)
    http = browser()
    with run_wsgi(socketio.WSGIApp(sio, flask_app(redis_server))) as url:
        anonymous = cookie_pair(http.get(url + "/visit", timeout=TIMEOUT), "session")
        socket = Socket(url, anonymous)
        try:
            before = socket.whoami()
            assert before["data"]["visits"] == 1
            subscribed(redis_server)
            response = http.get(url + "/login", headers={"Cookie": anonymous}, timeout=TIMEOUT)
            logged_in = cookie_pair(response, "session")
            new_sid = logged_in.partition("=")[2]
            assert new_sid != before["id"]
            socket.follows(new_sid)
            assert socket.whoami()["data"]["_user_id"] == "ann"
            assert socket.dropped == [] and reasons == []

            http.get(url + "/logout", headers={"Cookie": logged_in}, timeout=TIMEOUT)
            wait_for(lambda: socket.dropped == ["dropped"], TIMEOUT, message="dropped at logout")
            wait_for(lambda: reasons == ["session-revoked"], TIMEOUT, message="the reason")
        finally:
            socket.client.disconnect()
            sessions.close()
