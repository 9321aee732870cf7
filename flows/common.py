"""What the flows share: the run's moment and name, the stage runner, the failure alert."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from prefect import get_run_logger

from insday.env import load_env
from insday.orchestration import failure_alert, parse_as_of, run_name
from tasks.collect import collect_imap, collect_inbox


class StagesFailed(RuntimeError):
    """One or more stages of a flow run failed; the message names them."""


def when(as_of: str | None) -> tuple[datetime, datetime | None]:
    """(the run's moment, the collection cut-off): an explicit ``as_of`` also limits which
    files are collected (those received by then); without one, everything complete is."""
    moment = parse_as_of(as_of, load_env().campaign)
    return moment, (moment if as_of and as_of.strip() else None)


def named(flow: str, detail: str | None = None) -> Callable[[], str]:
    """A flow_run_name callable: ``daily_run 2019-06-30`` from the run's parameters."""

    def name() -> str:
        from prefect.runtime import flow_run

        params = flow_run.parameters or {}
        return run_name(flow, params.get("as_of"), load_env().campaign, dry_run=bool(params.get("dry_run")),
                        detail=params.get(detail) if detail else None)

    return name


class Stages:
    """Runs a flow's tasks in order. A failed stage skips the stages that need it, the others
    still run (mail already queued is still delivered), and the flow fails at the end naming
    every failed stage."""

    def __init__(self) -> None:
        self.results: dict[str, Any] = {}
        self.failed: list[str] = []
        self.skipped: list[str] = []

    def run(self, task, *args, needs: tuple[str, ...] = (), **kwargs) -> Any:
        blocked = [n for n in needs if n in self.failed or n in self.skipped]
        if blocked:
            get_run_logger().warning("%s skipped because %s did not complete", task.name, ", ".join(blocked))
            self.skipped.append(task.name)
            return None
        state = task(*args, return_state=True, **kwargs)
        if not state.is_completed():
            get_run_logger().error("%s failed: %s", task.name, state.message)
            self.failed.append(task.name)
            return None
        self.results[task.name] = state.result()
        return self.results[task.name]

    def collect(self, cutoff: datetime | None, dry_run: bool) -> tuple[str, ...]:
        """Every flow's first stages: the inbox folder, then the mailbox. Returns their names,
        for the stages that need what was collected."""
        for task in (collect_inbox, collect_imap):
            self.run(task, cutoff, dry_run)
        return (collect_inbox.name, collect_imap.name)

    def outcome(self) -> dict[str, Any]:
        if self.failed:
            skipped = f"; skipped: {', '.join(self.skipped)}" if self.skipped else ""
            raise StagesFailed(f"failed: {', '.join(self.failed)}{skipped}")
        return self.results


def alert_tech_contact(flow, flow_run, state) -> None:
    """on_failure / on_crashed hook: email the association's technical contact. Never raises."""
    from prefect.logging.loggers import flow_run_logger
    from prefect.settings import PREFECT_UI_URL

    logger = flow_run_logger(flow_run, flow)
    try:
        env = load_env()
        to = env.settings.tech_contact_email or env.campaign.association.tech_contact
        if not to:
            logger.error("flow run failed and no technical contact is set (INSDAY_TECH_CONTACT_EMAIL)")
            return
        ui = PREFECT_UI_URL.value()
        url = f"{ui}/runs/flow-run/{flow_run.id}" if ui else None
        subject, html, text = failure_alert(env.campaign, flow_run.name, state.name, state.message, url)
        from insday.db import session_scope
        from insday.mail import enqueue
        from tasks.mail import deliver_queued

        with session_scope(env.engine) as s:
            enqueue(s, key=f"alert:{flow_run.id}", kind="alert", to_name="技术联系人", to_addr=to,
                    subject=subject, html=html, text=text)
        deliver_queued(env, flow_run.name)
        logger.info("failure alert sent to the technical contact %s", to)
    except Exception:
        logger.exception("could not email the failure alert to the technical contact")


HOOKS = dict(on_failure=[alert_tech_contact], on_crashed=[alert_tech_contact])
