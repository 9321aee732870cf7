"""Run the same work in two threads at once, as two overlapping runs would."""

from __future__ import annotations

import threading


def at_once(work, times: int = 2) -> list:
    """Call ``work()`` in ``times`` threads released together; return their results in thread
    order, or raise the first exception any of them raised."""
    start = threading.Barrier(times)
    results: list = [None] * times
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            start.wait()
            results[i] = work()
        except BaseException as exc:  # re-raised below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(times)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results
