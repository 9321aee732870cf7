"""Validation: the report type's Great Expectations suite (``expectations/<type>.json``),
run once over a whole batch of files, plus the rules GX cannot express (dates inside the
campaign window, duplicate rows, and per report type the rules in ``REPORT_RULES``).

GX is imported on first use only; one context serves the whole process.
"""

from __future__ import annotations

import importlib
import math
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from string import Template
from typing import TYPE_CHECKING

from insday import gx
from insday.campaign import Campaign, ReportType
from insday.intake.issues import cell_issue
from insday.intake.parse import ParsedFile

if TYPE_CHECKING:
    import pandas as pd
    from sqlalchemy import Engine

# Columns computed before validation, named with a leading underscore: fn(record, campaign).
DERIVED = {
    "daily_report": {
        "_steps_per_participant": lambda r, c: None if r.get("steps") is None or r.get("participants") is None
        else r["steps"] / r["participants"] if r["participants"] else (math.inf if r["steps"] else None),
    },
}


# Rules of one report type that GX cannot express (they may need stored data and the time
# the file was received): "module:function", called as fn(RuleContext, ReportType, ParsedFile)
# and adding issues to the file. Imported on first use.
REPORT_RULES = {
    "scoring_sheet": "insday.essays.checks:check_scoring_sheet",
    "votes": "insday.essays.checks:check_votes",
    "events": "insday.reports.rules:check_events",
    "videos": "insday.reports.rules:check_videos",
    "video_leaderboard": "insday.reports.rules:check_video_leaderboard",
    "project": "insday.reports.rules:check_project",
    "survey": "insday.reports.rules:check_survey",
}


@dataclass(frozen=True)
class RuleContext:
    campaign: Campaign
    engine: Engine | None = None  # None (no database at hand): rules that need stored data are skipped
    received_at: datetime | None = None


def report_rule(report_type: str):
    target = REPORT_RULES.get(report_type)
    if target is None:
        return None
    module, name = target.split(":")
    return getattr(importlib.import_module(module), name)


def suite_path(report_type: str):
    return gx.suite_file(report_type)


def expectation_parameters(campaign: Campaign) -> dict:
    """Values suites refer to as {"$PARAMETER": name} (and messages as ${name}), taken from
    the campaign definition."""
    params: dict = {
        "min_daily_steps": campaign.steps.min_daily_steps,
        "min_coverage_yuan": campaign.steps.project_minimums.coverage_yuan,
        "min_project_people": campaign.steps.project_minimums.people,
        "min_term_months": campaign.steps.project_minimums.term_months,
        "survey_min": campaign.survey.scale[0],
        "survey_max": campaign.survey.scale[1],
        "essay_ids": [e.id for e in campaign.essay_list],
        "min_coverage_wan": f"{campaign.steps.project_minimums.coverage_yuan / 10_000:g}",
        "leaderboard_size": campaign.videos.leaderboard_size,
        "max_video_seconds": campaign.videos.max_duration_seconds,
    }
    for criterion in campaign.essays.rubric:
        params[f"max_{criterion.key}"] = int(criterion.max) if criterion.max.is_integer() else criterion.max
    return params


def _plain(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


class Validator:
    def __init__(self, campaign: Campaign, workspace: gx.Workspace | None = None):
        self.campaign = campaign
        self.params = expectation_parameters(campaign)
        self.workspace = workspace or gx.SHARED  # Data Docs take one of their own (it keeps every result)

    def context(self):
        """The GX context this validator runs in (for Data Docs)."""
        return self.workspace.context()

    def definition(self, report_type: str):
        """The GX ValidationDefinition of a report type's suite."""
        return self.workspace.definition(report_type)

    def frame(self, rt: ReportType, files: list[ParsedFile]) -> pd.DataFrame:
        # lazy: pandas costs about 0.5 s; only validating a file (with GX) needs it
        import pandas as pd

        derived = DERIVED.get(rt.key, {})
        rows = []
        for index, parsed in enumerate(files):
            for record in parsed.records:
                row = {"_file": index, "_row": record["_row"]}
                for col in rt.columns:
                    row[col.key] = _plain(record.get(col.key))
                for name, fn in derived.items():
                    row[name] = fn(record, self.campaign)
                rows.append(row)
        columns = ["_file", "_row", *(c.key for c in rt.columns), *derived]
        frame = pd.DataFrame(rows, columns=columns)
        for col in rt.columns:
            if col.type in ("integer", "number", "duration"):
                frame[col.key] = pd.to_numeric(frame[col.key], errors="coerce").astype("float64")
        for name in derived:
            frame[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64")
        return frame

    def run_suite(self, rt: ReportType, files: list[ParsedFile]) -> None:
        """One GX run for every file of one report type; issues are added to each file."""
        if not suite_path(rt.key).exists():
            return
        files = [f for f in files if f.records]
        if not files:
            return
        result = self.workspace.run(rt.key, self.frame(rt, files), self.params, ["_file", "_row"])
        records = {(i, r["_row"]): r for i, f in enumerate(files) for r in f.records}
        for outcome in result.results:
            config = outcome.expectation_config
            if outcome.exception_info and outcome.exception_info.get("raised_exception"):
                raise RuntimeError(f"expectation {config.type} in {suite_path(rt.key).name} failed to run: "
                                   f"{outcome.exception_info.get('exception_message')}")
            if outcome.success:
                continue
            meta = config.meta or {}
            kwargs = config.kwargs
            column = kwargs.get("column") or kwargs.get("column_A") or (kwargs.get("column_list") or [None])[0]
            source = meta.get("column", column)
            severity = "error" if str(config.severity.value) == "critical" else "warning"
            for hit in outcome.result.get("unexpected_index_list") or []:
                index, row = int(hit["_file"]), int(hit["_row"])
                record = records[(index, row)]
                if source in record.get("_bad", ()):
                    continue  # already reported as a value that could not be read
                parsed = files[index]
                header = parsed.headers.get(source, source)
                value = record.get(source)
                parsed.issues.append(cell_issue(severity, parsed.filename, row, header, value,
                                                self._text(meta.get("problem", "不符合要求")),
                                                self._text(meta.get("fix", "请核对"))))

    def _text(self, message: str) -> str:
        """A suite's message with ${parameter} filled in."""
        return Template(message).safe_substitute(self.params)

    def check_rules(self, rt: ReportType, parsed: ParsedFile, context: RuleContext | None = None) -> None:
        """Rules outside GX: dates inside the report's window, duplicate rows, the report type's own."""
        if rt.window:
            window = self.campaign.window(rt.window)
            days = self.campaign.window_days(rt.window)
            first, last = days[0], days[-1]
            for col in rt.columns:
                if col.type not in ("date", "datetime"):
                    continue
                for r in parsed.records:
                    value = r.get(col.key)
                    day = value.astimezone(self.campaign.tz).date() if isinstance(value, datetime) else value
                    if day is not None and not first <= day <= last:
                        parsed.issues.append(cell_issue(
                            "error", parsed.filename, r["_row"], col.header, day.isoformat(),
                            f"不在{window.title}期间（{first.month}月{first.day}日至{last.month}月{last.day}日）内",
                            "请核对日期"))
        keys = list(rt.unique) or [c.key for c in rt.columns]
        seen: dict[tuple, int] = {}
        repeats: Counter = Counter()
        for r in parsed.records:
            key = tuple(r.get(k) for k in keys)
            if all(v is None for v in key):
                continue
            if key in seen:
                repeats[key] += 1
                what = "、".join(f"「{parsed.headers[k]}」" for k in keys) if rt.unique else "所有列"
                severity = "error" if rt.unique else "warning"
                parsed.issues.append(cell_issue(
                    severity, parsed.filename, r["_row"], parsed.headers[keys[0]], r.get(keys[0]),
                    f"与第{seen[key]}行重复（{what}相同）", "请删除重复的行，或核对后改正"))
            else:
                seen[key] = r["_row"]
        rule = report_rule(rt.key)
        if rule is not None:
            rule(context or RuleContext(self.campaign), rt, parsed)

    def validate(self, batch: list[ParsedFile], *, engine: Engine | None = None,
                 received_at: datetime | None = None) -> None:
        """Validate a batch in place: rules per file, then one suite run per report type.
        ``engine`` and ``received_at`` let report-type rules read what was stored by then."""
        context = RuleContext(self.campaign, engine, received_at)
        by_type: dict[str, list[ParsedFile]] = {}
        for parsed in batch:
            if parsed.report_type and parsed.records:
                rt = self.campaign.report_type(parsed.report_type)
                self.check_rules(rt, parsed, context)
                by_type.setdefault(rt.key, []).append(parsed)
        for key, files in by_type.items():
            self.run_suite(self.campaign.report_type(key), files)
