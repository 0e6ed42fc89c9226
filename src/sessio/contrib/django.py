"""Django: sockets follow ``login()`` to the new session key and leave at ``logout()``.

Django's ``login()`` cycles the session key (``cycle_key``) and ``logout()`` flushes the
session. `SessioMiddleware` notes the key the request came with; receivers of Django's
``user_logged_in`` and ``user_logged_out`` signals mark the request; once the response is
done and ``SessionMiddleware`` has saved the session, the middleware publishes a rotation
(old key to new: sockets move, no disconnect) or a revoke (sockets leave with
``session-revoked``) over the control channel. Settings::

    MIDDLEWARE = [
        "sessio.contrib.django.SessioMiddleware",      # before SessionMiddleware
        "django.contrib.sessions.middleware.SessionMiddleware",
        ...
    ]
    SESSIO_CONTROL = "myproject.sockets.control"       # a callable returning the channel

``SESSIO_CONTROL`` names a function (called once, at the first login or logout) that returns
a `sessio.sync.ControlChannel`: a ``sessio.sync.RedisStore`` on the sessio servers' Redis, or
``sessio.sync.ManagerChannel(socketio.KombuManager(url, write_only=True))`` over the client
manager the socket servers run. Django's ``signed_cookies`` engine has no session key for a
socket to follow: nothing is published then.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings  # type: ignore[import-untyped]
from django.contrib.auth.signals import (  # type: ignore[import-untyped]
    user_logged_in,
    user_logged_out,
)
from django.utils.module_loading import import_string  # type: ignore[import-untyped]

from sessio.core.formats.django_native import django_native
from sessio.sync import ControlChannel, MemoryStore, revoke, rotate

__all__ = ["SessioMiddleware", "control"]

logger = logging.getLogger("sessio")

_MARK = "_sessio_auth_event"
# (the setting it was made from, the channel): made once per value of SESSIO_CONTROL.
_made: list[tuple[Any, ControlChannel]] = []


def control() -> ControlChannel:
    """The channel ``settings.SESSIO_CONTROL`` names (made once, while the setting holds)."""
    setting = settings.SESSIO_CONTROL
    if not _made or _made[0][0] is not setting:
        factory = import_string(setting) if isinstance(setting, str) else setting
        _made[:] = [(setting, factory() if callable(factory) else factory)]
    return _made[0][1]


def _mark(event: str) -> Callable[..., None]:
    def receiver(sender: Any, request: Any = None, **kwargs: Any) -> None:
        if request is not None:
            setattr(request, _MARK, event)

    return receiver


# Kept referenced: the signals hold receivers weakly.
_on_login = _mark("login")
_on_logout = _mark("logout")
user_logged_in.connect(_on_login, dispatch_uid="sessio.contrib.django.login")
user_logged_out.connect(_on_logout, dispatch_uid="sessio.contrib.django.logout")


class SessioMiddleware:
    """Publishes the rotation or revoke a login or logout in this request calls for."""

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        old = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        response = self.get_response(request)
        event = getattr(request, _MARK, None)
        if event is None or not old or settings.SESSION_ENGINE.endswith("signed_cookies"):
            return response
        try:
            self._publish(event, old, request)
        except Exception:
            # The login or logout itself succeeded: the sockets catch up by revalidation.
            logger.exception("could not tell the socket servers of a %s", event)
        return response

    @staticmethod
    def _publish(event: str, old: str, request: Any) -> None:
        fmt = django_native(settings.SESSION_COOKIE_NAME, settings.SESSION_COOKIE_AGE)
        # The session engine already saved or flushed the session: only the channel's message
        # is left to send (the store argument deletes nothing that is still there).
        store = MemoryStore()
        if event == "login":
            new = request.session.session_key
            if new and new != old:
                rotate(store, fmt, old, new, control=control())
        else:
            revoke(store, fmt, old, control=control())
