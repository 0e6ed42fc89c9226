"""``SESSION_ENGINE = "sessio.contrib.django_engine.cache"``: Django's ``cache``, merging."""

from __future__ import annotations

from django.contrib.sessions.backends import cache  # type: ignore[import-untyped]

from sessio.contrib.django_engine import MergingSessionMixin

__all__ = ["SessionStore"]


class SessionStore(MergingSessionMixin, cache.SessionStore):  # type: ignore[misc]
    """``django.contrib.sessions.backends.cache.SessionStore``, saving by difference."""

    stock = cache.SessionStore
