"""``SESSION_ENGINE = "sessio.contrib.django_engine.db"``: Django's ``db`` engine, merging."""

from __future__ import annotations

from django.contrib.sessions.backends import db  # type: ignore[import-untyped]

from sessio.contrib.django_engine import MergingSessionMixin

__all__ = ["SessionStore"]


class SessionStore(MergingSessionMixin, db.SessionStore):  # type: ignore[misc]
    """``django.contrib.sessions.backends.db.SessionStore``, saving by difference."""

    stock = db.SessionStore
