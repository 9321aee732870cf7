"""Flow-run heartbeats that stop as soon as the run ends.

Prefect 3.9's engine emits a heartbeat event every ``PREFECT_FLOWS_HEARTBEAT_FREQUENCY``
seconds (180 by default; the server marks a run crashed when they stop) from a thread that
sleeps in steps of 1 s, and joins that thread when the run ends: every run waited up to a
second for it, most of Prefect's overhead in a daily run. :func:`install` replaces the engine's
context manager with the same one whose thread waits on its stop event instead: the same
events at the same frequency, and a run ends without waiting. Installed only on the Prefect
version it was written against; on any other Prefect's own is kept.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import prefect
from prefect import flow_engine

VERSION = "3.9."


@contextmanager
def send_heartbeats(engine, join_on_exit: bool = True) -> Iterator[None]:
    """``prefect.flow_engine._send_heartbeats`` (3.9), stopping at once."""
    seconds = engine.heartbeat_seconds
    if seconds is None:
        yield
        return
    seconds = max(seconds, flow_engine.MINIMUM_HEARTBEAT_INTERVAL)
    resource, related = engine._build_heartbeat_event_template()
    stop = threading.Event()

    def beat() -> None:
        while not stop.is_set():
            if engine.flow_run and engine.flow_run.state and engine.flow_run.state.is_final():
                return
            try:
                engine._emit_flow_run_heartbeat(resource, related)
            except Exception:
                engine.logger.debug("Failed to emit heartbeat", exc_info=True)
            stop.wait(seconds)

    # the thread sees the run's settings (its PREFECT_API_URL), as the engine's does
    thread = threading.Thread(target=contextvars.copy_context().run, args=(beat,), daemon=True,
                              name="insday-flow-heartbeat")
    thread.start()
    try:
        yield
    finally:
        stop.set()
        if join_on_exit:
            thread.join(timeout=2)


def install() -> bool:
    """Use :func:`send_heartbeats` in this process's flow runs; False (nothing changed) on a
    Prefect version other than 3.9."""
    if not prefect.__version__.startswith(VERSION) or not hasattr(flow_engine, "_send_heartbeats"):
        return False
    flow_engine._send_heartbeats = send_heartbeats
    return True
