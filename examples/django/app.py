"""Django (ASGI) with python-socketio beside it, no Channels: the session in Django's engine.

Run: ``python examples/django/app.py`` (``PORT``, ``REDIS_URL``). A one-file Django project:
sessions use the ``cache`` engine on Redis (Django's own ``RedisCache``), and the socket server
reads and writes them through `DjangoStore`, which calls the engine ``SESSION_ENGINE`` names,
so the db, file and custom engines work the same way. ``socketio.ASGIApp`` routes
``/socket.io/`` to python-socketio and everything else to Django; uvicorn serves both.
"""

from __future__ import annotations

import os
from typing import Any

import django
from django.conf import settings

PORT = int(os.environ.get("PORT", "8000"))
REDIS_URL = os.environ.get("REDIS_URL", "redis://localhost:6379/0")

settings.configure(
    DEBUG=False,
    SECRET_KEY="change me",
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=["django.contrib.sessions"],
    MIDDLEWARE=["django.contrib.sessions.middleware.SessionMiddleware"],
    SESSION_ENGINE="django.contrib.sessions.backends.cache",
    CACHES={
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    },
)
django.setup()

# ruff: noqa: E402  (Django must be configured first)
import socketio
import uvicorn
from django.core.asgi import get_asgi_application
from django.http import HttpRequest, JsonResponse
from django.urls import path

from sessio import SessionError
from sessio.aio import AsyncSession, AsyncSessionSockets, DjangoStore


def login(request: HttpRequest) -> JsonResponse:
    request.session["user"] = request.GET["user"]
    return JsonResponse({"user": request.session["user"]})


def whoami(request: HttpRequest) -> JsonResponse:
    return JsonResponse(dict(request.session.items()))


async def logout(request: HttpRequest) -> JsonResponse:
    key = request.session.session_key
    await request.session.aflush()  # Django deletes the session and forgets the cookie
    if key is not None:
        # DjangoStore has no control channel: this reaches the sockets of this process (a
        # deployment of several runs `revalidate_every=` to catch the others' logouts).
        await sessions.disconnect_session(key)
    return JsonResponse({"user": None})


urlpatterns = [path("login", login), path("logout", logout), path("whoami", whoami)]

store = DjangoStore()  # the SESSION_ENGINE above
sio = socketio.AsyncServer(async_mode="asgi")
sessions = AsyncSessionSockets(sio, store, store.format(), require_session=True)


@sessions.on("incr")
async def incr(sid: str, session: AsyncSession) -> dict[str, Any]:
    try:
        session["count"] = session.get("count", 0) + 1
        await session.save()
    except SessionError as error:
        return {"error": error.code}
    return {"count": session["count"]}


app = socketio.ASGIApp(sio, other_asgi_app=get_asgi_application(), on_startup=sessions.start)

if __name__ == "__main__":
    print(f"listening on http://127.0.0.1:{PORT}", flush=True)
    uvicorn.run(app, host="127.0.0.1", port=PORT, log_level="warning")
