"""Shared pytest configuration.

``tests/`` is not a package: pytest puts this directory on ``sys.path`` (rootdir-relative
"prepend" import mode), so test modules import the helpers as ``servers`` and ``redis_server``.

Fixtures registered here: ``redis_server`` (a private redis-server per test),
``redis_server_session`` (one per session) and ``redis_port`` (that one's port);
``persistent_redis_server`` (the same as ``redis_server``, with an fsynced append-only file);
``redis_cluster`` (a private three-master Redis Cluster per test) and
``redis_cluster_session`` (one per session).

Nothing global for anyio: async tests mark themselves ``@pytest.mark.anyio``. Note that since
anyio 4.12 the plugin's default ``anyio_backend`` fixture is parametrized over every installed
backend, so with trio installed an unpinned test runs twice, on asyncio and on trio. A module
that drives python-socketio's AsyncServer or AsyncClient (asyncio only) pins it::

    @pytest.fixture
    def anyio_backend() -> str:
        return "asyncio"
"""

import pytest

from redis_cluster import redis_cluster, redis_cluster_session
from redis_server import persistent_redis_server, redis_port, redis_server, redis_server_session

__all__ = [
    "persistent_redis_server",
    "redis_cluster",
    "redis_cluster_session",
    "redis_port",
    "redis_server",
    "redis_server_session",
]


def pytest_configure(config: pytest.Config) -> None:
    """Load sessio's pytest plugin if its entry point did not.

    Installed, sessio registers ``sessio.testing.plugin`` through its ``pytest11`` entry
    point (``tests/testing/test_plugin.py`` checks that it does). An editable install made
    before the entry point existed has none until it is reinstalled: the fixtures still load.
    """
    manager = config.pluginmanager
    if not manager.has_plugin("sessio") and not manager.has_plugin("sessio.testing.plugin"):
        manager.import_plugin("sessio.testing.plugin")
