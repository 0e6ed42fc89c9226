"""`Tally`, the counts both exporters read: what a snapshot holds, and that counts made from
many threads at once all arrive (each connection's counts update their tables directly)."""

from __future__ import annotations

import threading

from sessio.metrics._tally import Tally


def test_snapshot_holds_each_count_under_its_labels() -> None:
    tally = Tally()
    tally.connect("/", "session", None)
    tally.connect("/chat", "refused", "no-cookie")
    tally.save("save", "saved", 0)
    tally.save("touch", "saved", 2)
    tally.sockets_with_session("/", 1)
    counters, gauges, _ = tally.snapshot()
    assert counters["connects"] == {
        ("/", "session", "none"): 1,
        ("/chat", "refused", "no-cookie"): 1,
    }
    assert counters["saves"] == {("saved",): 1}
    assert counters["touches"] == {("saved",): 1}
    assert counters["save_retries"] == {("touch",): 2}
    assert gauges["sockets_with_session"] == {("/",): 1}
    # A snapshot is a copy: later counts do not change it.
    tally.connect("/", "session", None)
    assert counters["connects"][("/", "session", "none")] == 1
    assert tally.snapshot()[0]["connects"][("/", "session", "none")] == 2


def test_counts_from_many_threads_all_arrive() -> None:
    tally = Tally()
    threads, each = 4, 3000

    def connections() -> None:
        for _ in range(each):
            tally.connect("/", "session", None)
            tally.save("save", "saved", 0)
            tally.save("touch", "saved", 0)
            tally.sockets_with_session("/", 1)
            tally.sockets_with_session("/", -1)
            tally.sockets_with_session("/", 1)

    workers = [threading.Thread(target=connections) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    counters, gauges, _ = tally.snapshot()
    assert counters["connects"] == {("/", "session", "none"): threads * each}
    assert counters["saves"] == {("saved",): threads * each}
    assert counters["touches"] == {("saved",): threads * each}
    assert gauges["sockets_with_session"] == {("/",): threads * each}
