"""Django, configured once per test process for every interop test module that needs it.

Django's settings can be configured only once in a process, so the test modules that use Django
share this one configuration (the sessions app, a sqlite file database with the sessions table
migrated, time zones on) and adjust the rest per test with ``override_settings``.
"""

from __future__ import annotations

from pathlib import Path

SECRET = "django-insecure-current-secret-for-sessio-tests"


def setup_django(root: Path) -> None:
    """Configure Django (unless already done) with its database under `root`, and migrate."""
    import django as django_module  # type: ignore[import-untyped]
    from django.conf import settings  # type: ignore[import-untyped]
    from django.core.management import call_command  # type: ignore[import-untyped]

    if not settings.configured:
        settings.configure(
            SECRET_KEY=SECRET,
            INSTALLED_APPS=["django.contrib.sessions"],
            DATABASES={
                "default": {
                    "ENGINE": "django.db.backends.sqlite3",
                    "NAME": str(root / "db.sqlite3"),
                }
            },
            USE_TZ=True,
        )
        django_module.setup()
    assert "django.contrib.sessions" in settings.INSTALLED_APPS
    call_command("migrate", "sessions", verbosity=0)
