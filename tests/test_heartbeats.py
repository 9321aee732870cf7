"""Flow-run heartbeats (insday.flows.heartbeats): sent while a run is going, stopped when it ends
instead of the run waiting for the heartbeat thread's next wake-up."""

from __future__ import annotations

import threading

import pytest

from insday.flows import heartbeats

pytestmark = pytest.mark.usefixtures("prefect_harness")


def beating() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "insday-flow-heartbeat" and t.is_alive()]


def test_flow_runs_send_heartbeats_and_stop_them_when_they_end():
    from prefect import flow, flow_engine
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    import insday.flows.common  # noqa: F401 (installs the heartbeats, as every flow module does)

    assert flow_engine._send_heartbeats is heartbeats.send_heartbeats
    emitted = []
    real = flow_engine.FlowRunEngine._emit_flow_run_heartbeat

    def emit(engine, resource, related):
        emitted.append(resource)
        return real(engine, resource, related)

    @flow
    def busy():
        return len(beating())

    flow_engine.FlowRunEngine._emit_flow_run_heartbeat = emit
    try:
        with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: 30}):
            during = busy()
    finally:
        flow_engine.FlowRunEngine._emit_flow_run_heartbeat = real
    assert during == 1 and emitted  # a heartbeat as the run started, from insday's thread
    assert not beating()  # stopped by the time the run returned: joined, not left to time out


def test_no_heartbeat_thread_when_heartbeats_are_off():
    from prefect import flow

    @flow
    def quiet():
        return len(beating())

    assert quiet() == 0
