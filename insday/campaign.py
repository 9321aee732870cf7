"""The campaign definition: ``campaigns/<name>/campaign.yaml`` plus its roster CSVs.

Loaded into pydantic models and checked as a whole; any problem raises
:class:`CampaignError` naming the file and the place in it.

A campaign is selected by ``INSDAY_CAMPAIGN`` or ``insday --campaign NAME``: its name (a
folder under ``campaigns/``) or the path of any campaign folder. With one campaign installed
it is the default; with several, one must be named (:func:`campaign_folder`).
"""

from __future__ import annotations

import csv
import re
import unicodedata
from datetime import date, datetime, time, timedelta
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Literal, TypedDict
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from insday.paths import CAMPAIGNS_DIR
from insday.settings import get_settings

UnitKind = Literal["property", "life", "city", "association"]
KIND_TITLES = {"property": "财产险公司", "life": "人身险公司", "city": "地市协会", "association": "省协会"}
WHO = Literal["members", "companies", "claimants", "association"]
ColumnType = Literal["text", "integer", "number", "date", "datetime", "unit", "choice", "duration"]

_DURATION = re.compile(r"^(\d+)(mo|d|h|m)$")


class CampaignError(ValueError):
    """The campaign definition is invalid; the message says where and why."""


def parse_duration(text: str) -> timedelta | int:
    """``3d``, ``16h``, ``30m`` -> timedelta; ``1mo`` -> months as an int."""
    m = _DURATION.match(str(text).strip())
    if not m:
        raise ValueError(f"时长格式应为 数字+单位（d/h/m/mo），如 3d、2h，而不是 {text!r}")
    n, unit = int(m.group(1)), m.group(2)
    if unit == "mo":
        return n
    return {"d": timedelta(days=n), "h": timedelta(hours=n), "m": timedelta(minutes=n)}[unit]


def add_months(moment: datetime, months: int) -> datetime:
    year, month = divmod(moment.month - 1 + months, 12)
    year += moment.year
    day = min(moment.day, [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28,
                           31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month])
    return moment.replace(year=year, month=month + 1, day=day)


def text_key(text: str) -> str:
    """The form names and headers are compared in: NFKC, no whitespace, lower case."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).lower()


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Association(_Model):
    code: str = "ASSOC"
    name: str
    short_name: str
    contact: str
    phone: str
    email: str
    tech_contact: str | None = None
    website: str | None = None


class Window(_Model):
    start: datetime
    end: datetime
    title: str


class Column(_Model):
    key: str
    header: str
    type: ColumnType = "text"
    required: bool = False
    aliases: tuple[str, ...] = ()
    choices: tuple[str, ...] | None = None
    choice_aliases: dict[str, str] = {}  # other words submitters use -> the choice they mean
    optional_column: bool = False
    association: bool = False  # a unit column that may also name the association itself (its own activities)

    @model_validator(mode="after")
    def _choices(self):
        if (self.type == "choice") != bool(self.choices):
            raise ValueError("类型为 choice 的列必须给出 choices，其他类型不能给出")
        unknown = sorted(set(self.choice_aliases.values()) - set(self.choices or ()))
        if unknown:
            raise ValueError(f"choice_aliases 指向的值 {unknown} 不在 choices 中")
        if self.association and self.type != "unit":
            raise ValueError("association 只适用于类型为 unit 的列")
        return self


class BundlePart(_Model):
    key: str
    title: str
    required: bool = False
    patterns: tuple[str, ...]  # shell patterns matched against the path inside the bundle
    link_patterns: tuple[str, ...] = ()  # text files that stand for the part by the web addresses in them
    hint: str | None = None  # what to include, as the template tells the submitter


class MediaKind(_Model):
    """Files of one kind (photos, videos) a report may come with in a zip beside its sheet."""

    title: str
    count: str  # the column whose figure the number of files is checked against
    patterns: tuple[str, ...]  # shell patterns matched against the file name, case-insensitively


# The columns a bundle's rows are stored in: one row per member (and per link) and part.
BUNDLE_COLUMNS = {"part", "path", "size", "sha256", "link"}


class ReportType(_Model):
    key: str = ""
    title: str
    table: str
    who: WHO
    kind: Literal["table", "bundle"] = "table"
    unit: Literal["column", "title_or_column", "none", "filename"]
    unit_label: str | None = None
    period: str = "none"
    window: str | None = None
    mode: Literal["replace", "append"] = "replace"
    unique: tuple[str, ...] = ()
    instructions: tuple[str, ...] = ()
    columns: tuple[Column, ...] = ()
    parts: tuple[BundlePart, ...] = ()
    media: dict[str, MediaKind] = {}  # a zip of the sheet with these files is accepted (daily photos/videos)

    @model_validator(mode="after")
    def _shape(self):
        keys = [c.key for c in self.columns]
        if len(set(keys)) != len(keys):
            raise ValueError("列 key 重复")
        if self.kind == "table" and not self.columns:
            raise ValueError("表格类报表必须定义 columns")
        if self.kind == "bundle":
            if not self.parts or len({p.key for p in self.parts}) != len(self.parts):
                raise ValueError("打包类报表必须定义 parts，且 key 不重复")
            if not BUNDLE_COLUMNS <= set(keys):
                raise ValueError(f"打包类报表的 columns 须包含 {sorted(BUNDLE_COLUMNS)}")
        if not set(self.unique) <= set(keys):
            raise ValueError(f"unique 中的列 {sorted(set(self.unique) - set(keys))} 不存在")
        if self.period != "none" and self.period not in keys:
            raise ValueError(f"period 指向的列 {self.period!r} 不存在")
        if self.unit in ("column", "title_or_column") and not any(c.type == "unit" for c in self.columns):
            raise ValueError("unit 为 column 时必须有一列类型为 unit")
        for name, kind in self.media.items():
            if kind.count not in keys:
                raise ValueError(f"media.{name}: count 指向的列 {kind.count!r} 不存在")
        if self.media and self.kind != "table":
            raise ValueError("media 只适用于表格类报表")
        return self

    @property
    def unit_column(self) -> Column | None:
        return next((c for c in self.columns if c.type == "unit"), None)

    @property
    def association_may_report(self) -> bool:
        """The unit column may name the association: its own activities are recorded as its own."""
        col = self.unit_column
        return bool(col and col.association)

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]


class DeadlineSpec(_Model):
    id: str
    title: str
    report_type: str
    who: WHO
    due: datetime | None = None
    each_day_of: str | None = None
    due_days_after: int = 1
    due_time: time | None = None
    due_after_completion: str | None = None
    grace: str | None = None
    reminders: tuple[str, ...] | None = None
    catch_up: str | None = None

    @model_validator(mode="after")
    def _one_rule(self):
        rules = [self.due is not None, self.each_day_of is not None, self.due_after_completion is not None]
        if sum(rules) != 1:
            raise ValueError("须且只能给出 due、each_day_of 或 due_after_completion 之一")
        if self.each_day_of and self.due_time is None:
            raise ValueError("each_day_of 须同时给出 due_time")
        return self


class DeadlineDefaults(_Model):
    grace: str = "0m"
    reminders: tuple[str, ...] = ("3d", "1d", "2h")
    # How long after a deadline closes its overdue notices and digest are still sent: a run
    # later than that (after a missed schedule) no longer sends them, so it cannot flood.
    catch_up: str = "1d"


class Region(_Model):
    code: str
    name: str
    full_name: str
    helps: str | None = None
    helped: bool = False

    @model_validator(mode="after")
    def _role(self):
        if self.helped == (self.helps is not None):
            raise ValueError(f"{self.name}: 须为重点扶贫地区（helped: true）或互助地区（helps: 代码）之一")
        return self


class Badges(_Model):
    first_donation: int = 1
    five_donations: int = 5
    consecutive_days: int = 10


class ProjectMinimums(_Model):
    coverage_yuan: int
    people: int
    term_months: int


class StepRules(_Model):
    window: str
    min_daily_steps: int
    double_days: tuple[date, ...]
    double_factor: int = 2
    unlock_threshold: int
    top_n: int = 50
    badges: Badges = Badges()
    regions: tuple[Region, ...]
    project_minimums: ProjectMinimums

    @model_validator(mode="after")
    def _regions(self):
        codes = [r.code for r in self.regions]
        if len(set(codes)) != len(codes):
            raise ValueError("地区代码重复")
        names = [text_key(n) for r in self.regions for n in (r.name, r.full_name)]
        if len(set(names)) != len(names):
            raise ValueError("地区名称重复")
        helped = {r.code for r in self.regions if r.helped}
        helpers: dict[str, str] = {}
        for r in self.regions:
            if r.helps is None:
                continue
            if r.helps not in helped:
                raise ValueError(f"{r.name} 互助的地区代码 {r.helps!r} 不是重点扶贫地区")
            if r.helps in helpers:
                raise ValueError(f"地区 {r.helps} 被 {helpers[r.helps]} 和 {r.name} 重复互助")
            helpers[r.helps] = r.name
        return self

    @cached_property
    def by_code(self) -> dict[str, Region]:
        return {r.code: r for r in self.regions}

    def helper_of(self, code: str) -> Region | None:
        return next((r for r in self.regions if r.helps == code), None)


class Category(_Model):
    name: str
    award: str


class Criterion(_Model):
    key: str
    name: str
    max: float


class Prize(_Model):
    name: str
    count: int = Field(ge=0)


class Panel(_Model):
    chair: str
    chair_unit_name: str


class Weights(_Model):
    panel: float = Field(ge=0, le=1)
    votes: float = Field(ge=0, le=1)

    @model_validator(mode="after")
    def _sum(self):
        if abs(self.panel + self.votes - 1) > 1e-9:
            raise ValueError("评分权重之和须为 1")
        return self


class EssayRules(_Model):
    roster: str
    categories: tuple[Category, ...]
    rubric: tuple[Criterion, ...]
    panel: Panel
    panel_score: Literal["mean", "trimmed_mean"] = "mean"
    trim_each_end: int = Field(1, ge=0)
    shortlist_per_category: int = Field(10, ge=1)
    weights: Weights
    prizes: tuple[Prize, ...]
    own_essay: Literal["warn", "error"] = "warn"
    results_on: date  # the results are published that day at schedule.results_at

    @property
    def max_total(self) -> float:
        return sum(c.max for c in self.rubric)


class SurveyRules(_Model):
    min_responses: int = 30
    scale: tuple[int, int] = (1, 5)
    questions: tuple[str, ...] = ()  # survey columns holding scores
    overall: str | None = None  # the question companies are ranked by (default: the last one)
    satisfied_min: int = 4  # a score of at least this counts as satisfied
    confidence: float = Field(0.95, gt=0, lt=1)


class VideoRules(_Model):
    leaderboard_size: int = Field(10, ge=1)
    max_duration_seconds: int = Field(60, ge=1)  # a reported duration above this is an error
    # A withdrawn video leaves the boards: the others keep the ranks they were published with
    # (True), or move up to close the gap (False; the next one becomes the day's champion).
    keep_ranks_after_withdrawal: bool = True


class ScheduleRules(_Model):
    """When the flows run (insday.schedule): durations (``30m``, ``1h``) after the deadlines they
    follow, times of day (``"17:00"``) in the campaign's time zone. Each run's moment is also the
    cut-off of what it knows (a daily bulletin, the essay shortlist, the final bulletin). A
    campaign may omit any of them: the defaults are the 2019 notice's."""

    daily_after_due: timedelta = timedelta(minutes=30)  # day D's run and bulletin cut-off, after D's reports close
    watch_first: time = time(8)  # the hourly deadline watch: first run of a day (on the hour)
    watch_last: time = time(18)  # and the last one
    shortlist_after_due: timedelta = timedelta(minutes=30)  # the shortlist (frozen then), after the sheets close
    results_at: time = time(17)  # the essay results, on essays.results_on
    final_after_due: timedelta = timedelta(hours=1)  # the final bulletin and its cut-off, after the last deadline

    @field_validator("daily_after_due", "shortlist_after_due", "final_after_due", mode="before")
    @classmethod
    def _duration(cls, value):
        if isinstance(value, timedelta):
            return value
        delta = parse_duration(value)
        if not isinstance(delta, timedelta):
            raise ValueError(f"须以 d/h/m 为单位，而不是 {value!r}")
        return delta

    @model_validator(mode="after")
    def _watch(self):
        if any(t.minute or t.second for t in (self.watch_first, self.watch_last)):
            raise ValueError("watch_first、watch_last 须为整点，如 \"08:00\"")
        if self.watch_first > self.watch_last:
            raise ValueError("watch_first 须不晚于 watch_last")
        return self


class BulletinRules(_Model):
    """What the bulletins show beyond the data; their cut-offs are the runs' moments (``schedule:``)."""

    home_region: str  # the region code the member units' share of steps is taken of


OUTPUTS = ("daily_bulletin", "final_bulletin", "essay_shortlist", "essay_results", "whitepaper", "survey")


class Approval(_Model):
    """Whether an output waits for the association's contact person before it goes out."""

    approval: Literal["required", "auto"] = "required"  # auto: published when all its checks pass
    timeout: str = "4h"  # how long a flow run waits for the decision
    on_timeout: Literal["hold", "publish"] = "hold"  # hold: nothing goes out until decided

    @property
    def timeout_delta(self) -> timedelta:
        delta = parse_duration(self.timeout)
        if not isinstance(delta, timedelta):
            raise ValueError(f"publishing: timeout 须以 d/h/m 为单位，而不是 {self.timeout!r}")
        return delta


class WhitePaper(_Model):
    title: str = "保险业社会贡献白皮书"
    data_year: int


class UnitRecord(TypedDict):
    """A unit as units.csv describes it (``insday units --json``)."""

    code: str
    name: str  # the full (legal) name
    display_name: str
    short_names: list[str]
    kind: UnitKind
    contact: str
    email: str
    phone: str


class Unit(_Model):
    code: str
    name: str  # the full (legal) name
    display_name: str  # the one name every status, message, bulletin and artifact shows (units.csv)
    short_names: tuple[str, ...] = ()
    kind: UnitKind
    contact: str
    email: str
    phone: str
    # The effective roster (insday.roster): on it from ``since`` (added by `insday units add`) and
    # until ``until`` (retired by `insday units retire`); None: from units.csv, for the whole campaign.
    since: datetime | None = None
    until: datetime | None = None

    def expected_for(self, due: datetime) -> bool:
        """Whether the unit is expected for a deadline due at ``due``: one added from T only for
        deadlines due after T; one retired from T only for deadlines due by T."""
        return (self.since is None or due > self.since) and (self.until is None or due <= self.until)

    def on_roster(self, moment: datetime) -> bool:
        """Whether the unit is on the roster at ``moment`` (files, bulletins, recipients)."""
        return (self.since is None or moment >= self.since) and (self.until is None or moment < self.until)

    def as_dict(self) -> UnitRecord:
        return {"code": self.code, "name": self.name, "display_name": self.display_name,
                "short_names": list(self.short_names),
                "kind": self.kind, "contact": self.contact, "email": self.email, "phone": self.phone}


class RosterChange(_Model):
    """A unit joining (``add``) or leaving (``retire``) the roster from ``effective`` on."""

    id: int
    kind: Literal["add", "retire"]
    unit: str
    name: str
    effective: datetime
    reason: str
    actor: str
    created_at: datetime


class Essay(_Model):
    id: str
    title: str
    author: str
    unit: str
    category: str


class Campaign(_Model):
    name: str
    title: str
    theme: str | None = None  # the year's theme, shown on bulletins, the white paper, essay results, certificates
    year: int
    # The province the units' branches are named after (人保财险吉林省分公司 is 人保财险), and
    # places in it the fake data's events are held at (insday fake / insday demo).
    province: str | None = None
    places: tuple[str, ...] = ()
    timezone: str
    start: date
    end: date
    association: Association
    roster: str
    windows: dict[str, Window]
    deadline_defaults: DeadlineDefaults = DeadlineDefaults()
    deadlines: tuple[DeadlineSpec, ...]
    report_types: dict[str, ReportType]
    steps: StepRules
    essays: EssayRules
    survey: SurveyRules = SurveyRules()
    videos: VideoRules = VideoRules()
    whitepaper: WhitePaper | None = None
    bulletin: BulletinRules | None = None
    schedule: ScheduleRules = ScheduleRules()
    publishing: dict[Literal[OUTPUTS], Approval] = {}  # an output not listed requires approval
    units: tuple[Unit, ...] = ()
    essay_list: tuple[Essay, ...] = ()
    folder: Path | None = None
    # Set by insday.roster.effective: the changes applied to units.csv (``units`` then includes the
    # added units, with since/until), the units.csv roster they were applied to, and as of when.
    roster_changes: tuple[RosterChange, ...] = ()
    roster_base: tuple[Unit, ...] | None = None
    roster_as_of: datetime | None = None

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        ZoneInfo(value)
        return value

    @model_validator(mode="before")
    @classmethod
    def _localise(cls, data):
        """Attach the time zone to naive local times ("2019-06-25 16:00", "24:00" = end of day)."""
        if not isinstance(data, dict):
            return data
        tz = ZoneInfo(data.get("timezone", "Asia/Shanghai"))

        def local(value):
            if isinstance(value, datetime):
                return value if value.tzinfo else value.replace(tzinfo=tz)
            text = str(value).strip()
            if text.endswith("24:00"):
                day = date.fromisoformat(text[:10])
                return datetime.combine(day + timedelta(days=1), time(0), tz)
            parsed = datetime.fromisoformat(text)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)

        for window in (data.get("windows") or {}).values():
            if isinstance(window, dict):
                for k in ("start", "end"):
                    if k in window:
                        window[k] = local(window[k])
        for spec in data.get("deadlines") or []:
            if isinstance(spec, dict) and spec.get("due") is not None:
                spec["due"] = local(spec["due"])
        for key, rt in (data.get("report_types") or {}).items():
            if isinstance(rt, dict):
                rt.setdefault("key", key)
        return data

    @model_validator(mode="after")
    def _cross_refs(self):
        tz = self.tz
        for name, w in self.windows.items():
            if w.end <= w.start:
                raise ValueError(f"windows.{name}: 结束时间须晚于开始时间")
        ids = [d.id for d in self.deadlines]
        if len(set(ids)) != len(ids):
            raise ValueError("deadlines: id 重复")
        for d in self.deadlines:
            if d.report_type not in self.report_types:
                raise ValueError(f"deadlines.{d.id}: 未知报表类型 {d.report_type!r}")
            if d.each_day_of and d.each_day_of not in self.windows:
                raise ValueError(f"deadlines.{d.id}: 未知时间窗口 {d.each_day_of!r}")
            for text in (d.grace, *(d.reminders or ()), d.due_after_completion):
                if text is not None:
                    parse_duration(text)
            if d.catch_up is not None and not isinstance(parse_duration(d.catch_up), timedelta):
                raise ValueError(f"deadlines.{d.id}: catch_up 须以 d/h/m 为单位")
        for text in (self.deadline_defaults.grace, *self.deadline_defaults.reminders):
            parse_duration(text)
        if not isinstance(parse_duration(self.deadline_defaults.catch_up), timedelta):
            raise ValueError("deadline_defaults.catch_up 须以 d/h/m 为单位")
        for rule in self.publishing.values():
            rule.timeout_delta  # noqa: B018 - raises on a timeout without d/h/m
        for key, rt in self.report_types.items():
            if rt.window and rt.window not in self.windows:
                raise ValueError(f"report_types.{key}: 未知时间窗口 {rt.window!r}")
        if self.steps.window not in self.windows:
            raise ValueError(f"steps.window: 未知时间窗口 {self.steps.window!r}")
        sheet = self.report_types.get("scoring_sheet")
        if sheet:
            keys = {c.key for c in sheet.columns}
            missing = [c.key for c in self.essays.rubric if c.key not in keys]
            if missing:
                raise ValueError(f"essays.rubric: 打分表缺少列 {missing}")
        survey = self.report_types.get("survey")
        asked = [*self.survey.questions, *([self.survey.overall] if self.survey.overall else [])]
        if asked:
            keys = {c.key for c in survey.columns} if survey else set()
            missing = [q for q in asked if q not in keys]
            if missing:
                raise ValueError(f"survey: 问卷报表缺少题目列 {missing}")
            if self.survey.overall and self.survey.overall not in self.survey.questions:
                raise ValueError("survey.overall 须是 questions 之一")
        if self.bulletin and self.bulletin.home_region not in self.steps.by_code:
            raise ValueError(f"bulletin.home_region: 未知地区代码 {self.bulletin.home_region!r}")
        del tz
        return self

    # ----- derived views -------------------------------------------------

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.tz)

    def at(self, day: date, clock: time = time(0)) -> datetime:
        return datetime.combine(day, clock, self.tz)

    def window(self, name: str) -> Window:
        return self.windows[name]

    def window_days(self, name: str) -> list[date]:
        """Calendar days a window touches (its end at 24:00 is the next day's 00:00)."""
        w = self.windows[name]
        first = self.local(w.start).date()
        last = self.local(w.end - timedelta(microseconds=1)).date()
        return [first + timedelta(days=i) for i in range((last - first).days + 1)]

    @cached_property
    def unit_by_code(self) -> dict[str, Unit]:
        return {u.code: u for u in self.units}

    def approval(self, output: str) -> Approval:
        """The approval rule of one output (``OUTPUTS``); unlisted outputs require approval."""
        return self.publishing.get(output, Approval())

    def display_name(self, code: str) -> str:
        """The name a unit is shown by (the association's short name for its code; an unknown code as is)."""
        unit = self.unit_by_code.get(code)
        if unit is not None:
            return unit.display_name
        return self.association.short_name if code == self.association.code else code

    @property
    def association_unit(self) -> Unit:
        a = self.association
        return Unit(code=a.code, name=a.name, display_name=a.short_name, short_names=(a.short_name,),
                    kind="association",
                    contact=a.contact, email=a.email, phone=a.phone)

    def members(self, who: str = "members") -> list[Unit]:
        """The units a report is expected from."""
        if who == "members":
            return list(self.units)
        if who == "companies":
            return [u for u in self.units if u.kind in ("property", "life")]
        if who == "association":
            return [self.association_unit]
        return []  # claimants: known only from the project reports

    def expects(self, code: str, due: datetime) -> bool:
        """Whether unit ``code`` is expected for a deadline due at ``due`` (its roster dates)."""
        unit = self.unit_by_code.get(code)
        return unit is None or unit.expected_for(due)

    def report_type(self, key: str) -> ReportType:
        return self.report_types[key]

    def deadline_spec(self, deadline_id: str) -> DeadlineSpec:
        return next(d for d in self.deadlines if d.id == deadline_id)


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(fh)]


def _unit(row: dict[str, str]) -> Unit:
    """A roster row. Without a ``display_name`` the shortest Chinese short name is shown."""
    short = tuple(s.strip() for s in row["short_names"].split(";") if s.strip())
    chinese = [n for n in short if re.search(r"[\u4e00-\u9fff]", n)]
    display = row.get("display_name") or (min(chinese, key=len) if chinese else row["name"])
    return Unit(code=row["code"], name=row["name"], display_name=display, short_names=short, kind=row["kind"],
                contact=row["contact"], email=row["email"], phone=row["phone"])


def _check_roster(units: list[Unit], association: Association) -> None:
    codes: set[str] = set()
    names: dict[str, str] = {}
    for u in units:
        if u.code in codes or u.code == association.code:
            raise ValueError(f"单位代码 {u.code} 重复")
        codes.add(u.code)
        for name in {u.name, u.display_name, *u.short_names, u.code}:
            key = text_key(name)
            if names.get(key, u.code) != u.code:
                raise ValueError(f"单位名称「{name}」同时属于 {names[key]} 和 {u.code}，无法区分")
            names[key] = u.code


def load_campaign(folder: Path | str) -> Campaign:
    """Load and check a campaign folder; raise CampaignError with file and place on any problem."""
    folder = Path(folder)
    source = folder / "campaign.yaml"
    try:
        data = yaml.load(source.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except FileNotFoundError as exc:
        raise CampaignError(f"找不到活动定义文件 {source}") from exc
    except yaml.YAMLError as exc:
        raise CampaignError(f"{source}: YAML 格式错误：{exc}") from exc
    try:
        campaign = Campaign.model_validate(data)
    except ValidationError as exc:
        raise CampaignError(_explain(source, exc)) from None

    current = source
    try:
        current = folder / campaign.roster
        units = [_unit(r) for r in _read_csv(current)]
        _check_roster(units, campaign.association)
        current = folder / campaign.essays.roster
        essays = [Essay(**r) for r in _read_csv(current)] if current.exists() else []
        codes = {u.code for u in units}
        categories = {c.name for c in campaign.essays.categories}
        seen: set[str] = set()
        for e in essays:
            if e.id in seen:
                raise ValueError(f"作品编号 {e.id} 重复")
            seen.add(e.id)
            if e.unit not in codes:
                raise ValueError(f"作品 {e.id} 的单位代码 {e.unit} 不在名单中")
            if e.category not in categories:
                raise ValueError(f"作品 {e.id} 的类别 {e.category} 不在 essays.categories 中")
    except FileNotFoundError as exc:
        raise CampaignError(f"找不到文件 {exc.filename}") from None
    except (ValidationError, ValueError, KeyError) as exc:
        detail = _explain(current, exc) if isinstance(exc, ValidationError) else f"{current}: {exc}"
        raise CampaignError(detail) from None
    return campaign.model_copy(update={"units": tuple(units), "essay_list": tuple(essays),
                                       "folder": folder.resolve()})


def _explain(source: Path, exc: ValidationError) -> str:
    lines = [f"{source}: 活动定义有 {exc.error_count()} 处错误"]
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "(根)"
        lines.append(f"  - {where}: {err['msg']}")
    return "\n".join(lines)


def installed(root: Path = CAMPAIGNS_DIR) -> list[Path]:
    """The campaign folders under ``root``, by name."""
    return sorted(p.parent for p in root.glob("*/campaign.yaml"))


def campaign_folder(selected: str | Path | None, root: Path = CAMPAIGNS_DIR) -> Path:
    """The folder of the selected campaign; raise CampaignError (in Chinese) naming the
    installed ones when there is no such campaign or several and none is selected."""
    folders = installed(root)
    names = "、".join(p.name for p in folders) or "（无）"
    if selected is None or str(selected) == "":
        if len(folders) == 1:
            return folders[0]
        raise CampaignError(f"已安装 {len(folders)} 个活动（{names}），请用 --campaign 名称 或 INSDAY_CAMPAIGN 选择一个")
    path = Path(selected).expanduser()
    if (path / "campaign.yaml").is_file():
        return path
    if (root / str(selected) / "campaign.yaml").is_file():
        return root / str(selected)
    raise CampaignError(f"没有名为「{selected}」的活动（已安装：{names}；也可写活动文件夹的路径）")


@lru_cache(maxsize=4)
def _cached(folder: str) -> Campaign:
    return load_campaign(folder)


def get_campaign(folder: Path | str | None = None) -> Campaign:
    """The campaign in ``folder`` (cached per folder); None: the selected one (INSDAY_CAMPAIGN)."""
    if folder is None:
        folder = campaign_folder(get_settings().campaign)
    return _cached(str(Path(folder).resolve()))
