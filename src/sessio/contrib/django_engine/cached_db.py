"""``SESSION_ENGINE = "sessio.contrib.django_engine.cached_db"``: ``cached_db``, merging."""

from __future__ import annotations

from django.contrib.sessions.backends import cached_db  # type: ignore[import-untyped]

from sessio.contrib.django_engine import MergingSessionMixin

__all__ = ["SessionStore"]


class SessionStore(MergingSessionMixin, cached_db.SessionStore):  # type: ignore[misc]
    """``django.contrib.sessions.backends.cached_db.SessionStore``, saving by difference."""

    stock = cached_db.SessionStore
