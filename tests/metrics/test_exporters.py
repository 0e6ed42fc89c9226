"""The exporters, read the way their users read them: Prometheus's text exposition, parsed by
``prometheus_client``'s own parser, and OpenTelemetry's in-memory reader.

One end-to-end run per exporter (the async shell for Prometheus, the sync one for
OpenTelemetry), then every method of each, called directly.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest
import socketio
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from servers import run_asgi, run_wsgi
from sessio import Failure, formats
from sessio.aio import AsyncSession, AsyncSessionSockets
from sessio.aio import MemoryStore as AsyncMemoryStore
from sessio.metrics.otel import OtelMetrics
from sessio.metrics.prometheus import PrometheusMetrics
from sessio.sync import MemoryStore, Session, SessionSockets
from sessio.testing import AsyncSocketClient, Refused, SocketClient, watch_disconnects

FMT = formats.express(secrets=["keyboard cat"])

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def exposition(registry: CollectorRegistry) -> Samples:
    """Every sample of the text exposition, parsed back: (name, sorted labels) -> value."""
    text = generate_latest(registry).decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.mark.anyio
async def test_prometheus_exposition_of_a_real_server() -> None:
    registry = CollectorRegistry()
    sio = socketio.AsyncServer(async_mode="asgi")
    store = AsyncMemoryStore()
    sessions = AsyncSessionSockets(
        sio, store, FMT, require_session=True, metrics=PrometheusMetrics(registry)
    )

    @sessions.on("connect")
    async def connect(err: Failure | None, sid: str, session: AsyncSession | None) -> None:
        return None

    @sessions.on("count")
    async def count_up(sid: str, session: AsyncSession) -> int:
        session["n"] = session.get("n", 0) + 1
        await session.save()
        return int(session["n"])

    @sessions.on("logout")
    async def logout(sid: str, session: AsyncSession) -> None:
        assert session.id is not None
        await sessions.disconnect_session(session.id)

    disconnects = watch_disconnects(sessions)
    minted = await sessions.create({"user": "ann"})
    with run_asgi(socketio.ASGIApp(sio)) as url:
        async with AsyncSocketClient() as ann, AsyncSocketClient() as nobody:
            with pytest.raises(Refused) as refused:
                await nobody.connect(url, transports=["websocket"])
            assert refused.value.data == {"code": "no-cookie"}
            await ann.connect(url, cookie=minted.cookie, transports=["websocket"])
            assert [await ann.call("count") for _ in range(2)] == [1, 2]
            samples = exposition(registry)
            assert value(samples, "sessio_sockets_with_session", namespace="/") == 1
            sid = ann.get_sid("/")
            assert sid is not None
            await ann.emit("logout")
            assert await ann.wait_disconnect() == "server disconnect"
            assert await disconnects.wait_async(sid) == "session-revoked"

    samples = exposition(registry)
    connects = "sessio_connects_total"
    assert value(samples, connects, namespace="/", outcome="refused", code="no-cookie") == 1
    assert value(samples, connects, namespace="/", outcome="session", code="none") == 1
    assert value(samples, "sessio_saves_total", outcome="saved") == 2
    assert value(samples, "sessio_disconnects_total", namespace="/", reason="session-revoked") == 1
    assert value(samples, "sessio_sockets_with_session", namespace="/") == 0
    # One create (set), one load (get), two saves (compare_and_set), each timed once.
    for operation, times in (("set", 1), ("get", 1), ("compare_and_set", 2)):
        count = value(
            samples, "sessio_store_operation_seconds_count", operation=operation, error="false"
        )
        assert count == times, operation
        bucket = value(
            samples,
            "sessio_store_operation_seconds_bucket",
            operation=operation,
            error="false",
            le="+Inf",
        )
        assert bucket == times
    # Nothing in the exposition names a session: no id, no cookie.
    text = generate_latest(registry).decode()
    assert minted.session_id not in text and minted.cookie.split("=", 1)[1] not in text


def otel_points(reader: InMemoryMetricReader) -> dict[str, dict[tuple[Any, ...], Any]]:
    """Each instrument's data points, by sorted attributes: a sum's value, a histogram's
    count, a gauge's value."""
    found: dict[str, dict[tuple[Any, ...], Any]] = defaultdict(dict)
    data = reader.get_metrics_data()
    assert data is not None
    for resource in data.resource_metrics:
        for scope in resource.scope_metrics:
            assert scope.scope.name == "sessio"
            for metric in scope.metrics:
                for point in metric.data.data_points:
                    key = tuple(sorted((point.attributes or {}).items()))
                    found[metric.name][key] = getattr(point, "count", None) or getattr(
                        point, "value", None
                    )
    return found


def test_opentelemetry_in_memory_reader_of_a_real_server() -> None:
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    sio = socketio.Server(async_mode="threading", ping_interval=0.2, ping_timeout=2.5)
    sessions = SessionSockets(sio, MemoryStore(), FMT, metrics=OtelMetrics(provider))

    @sessions.on("connect")
    def connect(err: Failure | None, sid: str, session: Session | None) -> bool:
        return err is None

    @sessions.on("touch")
    def touch(sid: str, session: Session) -> str:
        session.touch()
        return "ok"

    minted = sessions.create({"user": "ann"})
    with run_wsgi(socketio.WSGIApp(sio)) as url, SocketClient() as ann:
        ann.connect(url, cookie=minted.cookie, transports=["websocket"])
        assert ann.call("touch") == "ok"
        points = otel_points(reader)
        assert points["sessio.sockets_with_session"] == {(("namespace", "/"),): 1}
        sessions.disconnect_session(minted.session_id, reason="logged-out")
        assert ann.wait_disconnect() == "server disconnect"
    points = otel_points(reader)
    session_connect = (("code", "none"), ("namespace", "/"), ("outcome", "session"))
    assert points["sessio.connects"] == {session_connect: 1}
    assert points["sessio.touches"] == {(("outcome", "saved"),): 1}
    assert points["sessio.disconnects"] == {(("namespace", "/"), ("reason", "logged-out")): 1}
    assert points["sessio.sockets_with_session"] == {(("namespace", "/"),): 0}
    durations = points["sessio.store.operation.duration"]
    assert durations[(("error", False), ("operation", "get"))] == 1
    assert durations[(("error", False), ("operation", "compare_and_set"))] == 1
    provider.shutdown()


def call_every_method(metrics: Any) -> None:
    metrics.connect("/chat", "abandoned", "no-cookie")
    metrics.store_call("publish", 0.002, True)
    metrics.save("save", "conflict", 3)
    metrics.save("touch", "session-not-found", 0)
    metrics.revalidation("gone")
    metrics.revalidation("store-unavailable")
    metrics.disconnect("/chat", "session-not-found")
    metrics.control_message("disconnect")
    metrics.control_message("unreadable")
    metrics.control_channel(True)
    metrics.control_channel(False)
    metrics.sockets_with_session("/chat", 1)


def test_prometheus_every_method() -> None:
    registry = CollectorRegistry()
    call_every_method(PrometheusMetrics(registry, prefix="app"))
    s = exposition(registry)
    assert value(s, "app_connects_total", namespace="/chat", outcome="abandoned", code="no-cookie")
    assert value(s, "app_store_operation_seconds_sum", operation="publish", error="true") == 0.002
    assert value(s, "app_saves_total", outcome="conflict") == 1
    assert value(s, "app_save_retries_total", kind="save") == 3
    assert value(s, "app_touches_total", outcome="session-not-found") == 1
    assert value(s, "app_revalidations_total", outcome="gone") == 1
    assert value(s, "app_revalidations_total", outcome="store-unavailable") == 1
    assert value(s, "app_disconnects_total", namespace="/chat", reason="session-not-found") == 1
    assert value(s, "app_control_messages_total", kind="disconnect") == 1
    assert value(s, "app_control_messages_total", kind="unreadable") == 1
    assert value(s, "app_control_channel_outages_total") == 1
    assert value(s, "app_control_channel_up") == 0
    assert value(s, "app_sockets_with_session", namespace="/chat") == 1
    # Names register once per registry: a second exporter there is refused loudly.
    with pytest.raises(ValueError, match="Duplicated"):
        PrometheusMetrics(registry, prefix="app")


def test_opentelemetry_every_method() -> None:
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    call_every_method(OtelMetrics(provider))
    points = otel_points(reader)
    assert points["sessio.connects"] == {
        (("code", "no-cookie"), ("namespace", "/chat"), ("outcome", "abandoned")): 1
    }
    assert points["sessio.save.retries"] == {(("kind", "save"),): 3}
    assert points["sessio.saves"] == {(("outcome", "conflict"),): 1}
    assert points["sessio.touches"] == {(("outcome", "session-not-found"),): 1}
    assert points["sessio.revalidations"] == {
        (("outcome", "gone"),): 1,
        (("outcome", "store-unavailable"),): 1,
    }
    assert points["sessio.control.messages"] == {
        (("kind", "disconnect"),): 1,
        (("kind", "unreadable"),): 1,
    }
    assert points["sessio.control.outages"] == {(): 1}
    assert points["sessio.control.up"] == {(): 0}
    assert points["sessio.store.operation.duration"] == {
        (("error", True), ("operation", "publish")): 1
    }
    provider.shutdown()
