"""``insday demo``: the whole 2019 campaign replayed, day by day, through the real flows.

A synthetic campaign (``insday.fake``) supplies what the member units, the association and
the national platform send, each file with the moment it arrives. The replay walks the
campaign's own run calendar (``insday.orchestration.run_plan``): before each run the files
that have arrived by then are dropped into the inbox with that arrival time as their mtime,
then the flow runs with ``as_of`` = the scheduled moment. Everything else is the product
as deployed: SQLite, the .eml outbox, a temporary Prefect server (unless PREFECT_API_URL
points at one).

The hourly ``deadline_watch`` runs only in the hours where a reminder or an overdue notice
falls due (the others would find nothing to do); the national platform
(``insday.fake.platform``) is a local HTTP server answering with the aggregates of the
donation records received so far; the raw
donation files arrive in the inbox each morning, as the association receives them, and the
next run's collection imports them.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from insday.campaign import Campaign
from insday.db import session_scope
from insday.db.bootstrap import init_database
from insday.db.models import OutboxMessage, Submission
from insday.deadlines import registry
from insday.env import load_env
from insday.essays.service import shortlisted_ids
from insday.fake.generate import Generator
from insday.fake.platform import Platform
from insday.intake.pages import build_pages
from insday.orchestration import fires, run_plan
from insday.reports.survey import write_survey_report
from insday.reports.whitepaper import write_whitepaper
from insday.runreport import STAGES, stage_line
from insday.schedule import next_watch
from insday.settings import get_settings

VOTES_ARRIVE = timedelta(hours=9)  # the vote export arrives the morning after the vote closes


@dataclass(order=True)
class Run:
    at: datetime
    flow: str
    params: dict = field(default_factory=dict, compare=False)


def schedule(campaign: Campaign, start: datetime, end: datetime) -> list[Run]:
    """The runs of the campaign's calendar between ``start`` and ``end``, watches thinned to
    the hours where something falls due."""
    runs: list[Run] = []
    for planned in run_plan(campaign):
        if planned.flow == "deadline_watch":
            continue
        for line in planned.schedules:
            runs += [Run(at, planned.flow, dict(line.parameters)) for at in fires(line, campaign) if start <= at <= end]
    due = set()
    for d in registry(campaign):
        for moment in (*(d.due - offset for offset in d.reminders), d.closes):
            slot = next_watch(campaign, moment)
            if start <= slot <= end:
                due.add(slot)
    runs += [Run(at, "deadline_watch") for at in due]
    return sorted(runs)


@dataclass
class Outcome:
    home: Path
    runs: int
    files: dict[str, int]
    messages: dict[str, int]
    outputs: dict[str, Path]


def _deliver(arrival, source: Path, inbox: Path) -> Path:
    target = inbox / arrival.path
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source / arrival.path, target)
    stamp = arrival.at.timestamp()
    os.utime(target, (stamp, stamp))
    return target


def run_demo(home: Path, *, seed: int = 78, until: date | None = None, participants: int = 6_000,
             progress: Callable[[str, date, int, int], None] | None = None,
             done: Callable[[str, datetime, int, int, str, float], None] | None = None) -> Outcome:
    """Replay the campaign into ``home`` (created if needed; a rerun into the same home converges)."""
    home = home.resolve()
    os.environ["INSDAY_HOME"] = str(home)
    os.environ.pop("INSDAY_DATABASE_URL", None)
    for key in [k for k in os.environ if k.startswith(("INSDAY_SMTP_", "INSDAY_IMAP_"))]:
        del os.environ[key]
    os.environ.setdefault("PREFECT_HOME", str(home / "prefect"))
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # A replay has nobody to approve its bulletins: each one that passes its checks is approved
    # at once, recorded as such (the audit log, the run's log line, the approval in bulletin --json).
    os.environ["INSDAY_AUTO_APPROVE"] = "true"
    get_settings.cache_clear()
    env = load_env()
    campaign = env.campaign
    init_database(env.engine, campaign)
    last_day = min(until or campaign.end, campaign.end)
    incoming = home / "incoming"
    generator = Generator(campaign, incoming, seed=seed, participants=participants, until=last_day)
    pending = list(generator.run())

    platform = Platform(campaign, generator.teams)
    os.environ["INSDAY_STEPS_API_URL"] = platform.url
    get_settings.cache_clear()
    env = load_env()
    start = campaign.at(campaign.start)
    end = campaign.at(last_day + timedelta(days=1)) - timedelta(seconds=1)
    runs = schedule(campaign, start, end)
    try:
        _replay(env, generator, pending, runs, platform, incoming, progress, done)
    finally:
        platform.stop()
    return _outcome(env, home, len(runs), until=end)


def _replay(env, generator, pending, runs, platform, incoming, progress, done) -> None:
    """Each run in turn; ``progress`` is told before a run starts, ``done`` after it with the
    Chinese lines of what it did (the stages' lines of its run report) and its seconds."""
    # lazy: Prefect reads PREFECT_HOME and its logging settings when imported: run_demo sets them first
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    # lazy: the flows import Prefect, and build their forms from the campaign run_demo selects
    from insday.flows.daily_run import daily_run
    from insday.flows.deadline_watch import deadline_watch
    from insday.flows.essay_awards import essay_awards
    from insday.flows.final_bulletin import final_bulletin

    flows = {"daily_run": daily_run, "deadline_watch": deadline_watch, "essay_awards": essay_awards,
             "final_bulletin": final_bulletin}
    campaign = env.campaign
    vote_window = campaign.window("essay_vote")
    inbox = env.inbox_dir
    for n, run in enumerate(runs, start=1):
        while pending and pending[0].at <= run.at:
            arrival = pending.pop(0)
            if arrival.report_type == "donations":  # the platform's raw export: it has these donations
                platform.receive(incoming / arrival.path)
            _deliver(arrival, incoming, inbox)  # the inbox takes reports and donation exports alike
        platform.now = run.at
        if progress:
            progress(run.flow, campaign.local(run.at).date(), n, len(runs))
        as_of = campaign.local(run.at).replace(tzinfo=None).isoformat(timespec="minutes")
        started = time.perf_counter()
        with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):  # a replay needs no crash detection
            state = flows[run.flow](as_of=as_of, **run.params, return_state=True)
        if not state.is_completed():
            raise RuntimeError(f"{run.flow} {as_of} did not complete: {state.message}")
        if done:
            results = state.result()
            said = "；".join(stage_line(campaign, name, result, run.at) for name, result in results.items()
                            if name in STAGES and result is not None and name != "collect_imap")
            done(run.flow, run.at, n, len(runs), said, time.perf_counter() - started)
        if run.flow == "essay_awards" and run.params.get("stage") == "shortlist":
            ids = sorted(shortlisted_ids(campaign, env.engine, run.at))
            if ids and campaign.local(vote_window.end).date() <= campaign.end:
                pending.append(generator.votes(ids, vote_window.end + VOTES_ARRIVE))
                pending.sort(key=lambda a: (a.at, a.path))


def _outcome(env, home: Path, runs: int, until: datetime) -> Outcome:
    with session_scope(env.engine) as s:
        own, mail = Submission.campaign == env.campaign.name, OutboxMessage.campaign == env.campaign.name
        statuses = dict(s.execute(select(Submission.status, func.count()).where(own).group_by(Submission.status)).all())
        late = s.scalar(select(func.count()).where(own, Submission.timeliness == "late"))
        kinds = dict(s.execute(select(OutboxMessage.kind, func.count()).where(mail).group_by(OutboxMessage.kind)).all())
    public = env.public_dir
    whitepaper = write_whitepaper(env, until, public / "whitepaper")
    survey = write_survey_report(env, until, public / "survey")
    docs = Path(build_pages(env, env.settings.path("docs", env.campaign.name))["index"])
    outputs = {
        "bulletins": public / "index.html",
        "emails": env.settings.outbox_dir,
        "essay results": public / "essays",
        "white paper": Path(next(iter(whitepaper.get("files", {}).values()), public / "whitepaper")).parent,
        "survey report": Path(next(iter(survey.get("files", {}).values()), public / "survey")).parent,
        "validation reports": docs,
        "database": Path(env.settings.db_url.split("///", 1)[-1]),
    }
    return Outcome(home, runs, {**statuses, "late": late}, kinds, outputs)
