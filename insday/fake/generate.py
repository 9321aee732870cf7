"""Synthetic but realistic submissions for a whole campaign, deterministic for a seed.

Every member unit gets a temperament (punctual or not, careful or sloppy, its favourite
file format and way of writing its own name), and the generator writes the files it would
have sent, each with the moment it arrives. Mistakes are the ones real submitters make;
a rejected file is followed by a corrected one a few hours later. The result is a folder
of files plus ``manifest.json`` listing arrivals in time order.
"""

from __future__ import annotations

import gzip
import io
import json
import random
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TypedDict

from PIL import Image

from insday.campaign import Campaign, ReportType, Unit
from insday.fake.files import FORMATS, Sheet, full_width, write_table, zip_bytes
from insday.steps.rules import step_calendar

AMBIGUOUS = {"平安": "平安", "人民": "人保", "太平洋": "太平洋", "太平": "太平", "阳光": "阳光", "人寿财产": "国寿"}
PLATFORMS = ("抖音", "快手", "腾讯微视", "秒拍")
CITY_PLACES = ("市区",)  # where the campaign names no places (campaign.yaml places)
VENUES = {"进学校": "实验小学", "进农村": "新农村党群服务中心", "进社区": "社区服务中心", "进机关": "政务服务中心",
          "进企业": "工业园区", "职场": "公司职场", "媒体": "电视台演播厅"}
SURVEY_COMMENTS = ("理赔很快，服务热情", "希望简化理赔材料", "电话一直占线", "业务员解释得很清楚", "", "", "",
                   "柜面排队时间长", "总体满意")


class ArrivalRecord(TypedDict):
    """A file of the synthetic campaign (``insday fake generate --json``, manifest.json)."""

    at: str  # when it arrives
    path: str  # relative to the output folder
    report_type: str
    unit: str | None  # None: not a member unit's file (the vote export, the video boards, the platform's donations)
    note: str  # what is special about it (a mistake, a correction), or ""


@dataclass
class Arrival:
    at: datetime
    path: str  # relative to the output folder
    report_type: str
    unit: str | None
    note: str = ""

    def as_dict(self) -> ArrivalRecord:
        return {**asdict(self), "at": self.at.isoformat()}


@dataclass
class Temperament:
    on_time: float
    late: float  # the rest is missing
    sloppy: float
    fmt: str
    naming: str  # full | short | code
    staff: int
    runners: int  # staff who join the step run (they walk for the home region)
    tallied: float  # share of the runners' donations the unit's contact person collects screenshots of

    def outcome(self, rng: random.Random) -> str:
        x = rng.random()
        return "on_time" if x < self.on_time else "late" if x < self.on_time + self.late else "missing"


@dataclass
class Generator:
    campaign: Campaign
    out: Path
    seed: int = 78
    participants: int = 6_000  # the general public's donors, all regions (the units' staff come on top)
    until: date | None = None  # files arriving after this day are planned (same randomness) but not written
    arrivals: list[Arrival] = field(default_factory=list)

    def __post_init__(self):
        self.rng = random.Random(self.seed)
        self.tz = self.campaign.tz
        self.temper = {u.code: self._temperament(u) for u in self.campaign.units}
        self.videos: list[dict] = []
        self.teams: dict[str, str] = {}  # participant id -> unit code, as the platform knows its units' staff
        self._walked: dict[date, list[str]] | None = None
        self._tallies: dict[tuple[str, date], tuple[int, int]] = {}  # what the unit counts
        self._platform: dict[tuple[str, date], tuple[int, int]] = {}  # every counted donation of its runners

    # ----- people ------------------------------------------------------

    def _temperament(self, unit: Unit) -> Temperament:
        rng = self.rng
        kind = rng.choices(["diligent", "ordinary", "slack"], weights=[55, 35, 10])[0]
        on_time, late = {"diligent": (0.97, 0.03), "ordinary": (0.85, 0.12), "slack": (0.6, 0.25)}[kind]
        staff = rng.randint(60, 1500) if unit.kind != "city" else rng.randint(10, 40)
        return Temperament(on_time=on_time, late=late, sloppy=rng.choice([0.01, 0.03, 0.06, 0.12]),
                           fmt=rng.choices(FORMATS, weights=[55, 15, 20, 10])[0],
                           naming=rng.choices(["full", "short", "code"], weights=[45, 45, 10])[0],
                           staff=staff, runners=max(2, int(staff * rng.uniform(0.1, 0.3))),
                           tallied=rng.uniform(0.85, 1.0))

    @property
    def home_region(self):
        """The region the members walk for (the campaign's province)."""
        return self.campaign.steps.by_code[self.campaign.bulletin.home_region]

    def name_of(self, unit: Unit, naming: str | None = None) -> str:
        naming = naming or self.temper[unit.code].naming
        if naming == "code":
            return unit.code
        if naming == "short" and unit.short_names:
            return self.rng.choice(unit.short_names)
        return unit.name

    def short(self, unit: Unit) -> str:
        return min(unit.short_names, key=len) if unit.short_names else unit.name

    def _ambiguous(self, unit: Unit) -> str | None:
        return next((v for k, v in AMBIGUOUS.items() if k in unit.name), None)

    # ----- moments -----------------------------------------------------

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(day, time(0), self.tz) + timedelta(hours=hour, minutes=minute)

    def between(self, start: datetime, end: datetime) -> datetime:
        seconds = int((end - start).total_seconds())
        moment = start + timedelta(seconds=self.rng.randint(0, max(seconds, 0)))
        return moment.replace(second=0, microsecond=0)

    # ----- writing -----------------------------------------------------

    def _skip(self, at: datetime) -> bool:
        return self.until is not None and self.campaign.local(at).date() > self.until

    def _emit(self, at: datetime, rt: ReportType, unit: Unit | None, sheet: Sheet, stem: str, fmt: str,
              note: str = "") -> None:
        if self._skip(at):
            return
        folder = self.out / f"{at:%Y%m%d-%H%M}"
        path = write_table(self.campaign, rt, sheet, folder / stem, fmt)
        self.arrivals.append(Arrival(at, str(path.relative_to(self.out)), rt.key, unit.code if unit else None, note))

    def _emit_bytes(self, at: datetime, report_type: str, unit: Unit | None, name: str, data: bytes,
                    note: str = "") -> None:
        if self._skip(at):
            return
        folder = self.out / f"{at:%Y%m%d-%H%M}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        path.write_bytes(data)
        self.arrivals.append(Arrival(at, str(path.relative_to(self.out)), report_type, unit.code if unit else None,
                                     note))

    def submit(self, rt: ReportType, unit: Unit | None, at: datetime, rows: list[dict], stem: str,
               *, fmt: str | None = None, title_lines: tuple = (), mistake: bool = False, late_fix: bool = True,
               note: str = "") -> None:
        """One file (and, if it carries a mistake, the corrected one a few hours later)."""
        fmt = fmt or (self.temper[unit.code].fmt if unit else "xlsx_title")
        headers = [c.header for c in rt.columns if not c.optional_column]
        keys = [c.key for c in rt.columns if not c.optional_column]
        good = Sheet(headers, [[r.get(k) for k in keys] for r in rows], title_lines)
        if mistake:
            bad_rows, kind = self._spoil(rt, unit, [dict(r) for r in rows])
            if bad_rows is not None:
                self._emit(at, rt, unit, Sheet(headers, [[r.get(k) for k in keys] for r in bad_rows], title_lines),
                           stem, fmt, f"mistake: {kind}")
                if late_fix:
                    at = at + timedelta(hours=self.rng.randint(1, 6), minutes=self.rng.randint(0, 59))
                    stem, note = stem + "(修改)", "corrected resubmission"
        self._emit(at, rt, unit, good, stem, fmt, note)

    def _spoil(self, rt: ReportType, unit: Unit | None, rows: list[dict]):
        """A realistic mistake: the rows to send instead, and what went wrong."""
        rng = self.rng
        row = rows[rng.randrange(len(rows))]
        numeric = [c for c in rt.columns if c.type in ("integer", "number") and isinstance(row.get(c.key), (int, float))]
        unit_col = rt.unit_column
        options = ["text_number", "negative"] if numeric else []
        if unit and unit_col and unit_col.key in row and self._ambiguous(unit):
            options.append("ambiguous_name")
        if rt.period != "none":
            options.append("bad_date")
        if len(rows) > 1:
            options.append("duplicate_row")
        if not options:
            return None, ""
        kind = rng.choice(options)
        if kind == "text_number":
            col = rng.choice(numeric)
            value = row[col.key]
            row[col.key] = f"约{value / 10000:.0f}万" if value >= 10000 else f"{value}个"
        elif kind == "negative":
            col = rng.choice(numeric)
            row[col.key] = -abs(row[col.key]) or -1
        elif kind == "ambiguous_name":
            row[unit_col.key] = self._ambiguous(unit)
        elif kind == "bad_date":
            for r in rows:
                r[rt.period] = "6月31日"
        else:
            rows.append(dict(row))
        return rows, kind

    # ----- report types ------------------------------------------------

    def daily_reports(self) -> None:
        rt = self.campaign.report_type("daily_report")
        days = self.campaign.window_days(rt.window)
        spec = next(d for d in self.campaign.deadlines if d.report_type == "daily_report" and d.each_day_of)
        for day in days:
            for unit in self.campaign.units:
                t = self.temper[unit.code]
                outcome = t.outcome(self.rng)
                if outcome == "missing":
                    continue
                due = self.campaign.at(day + timedelta(days=spec.due_days_after), spec.due_time)
                at = (self.between(self.at(day, 17), self.at(day, 23, 30)) if self.rng.random() < 0.6
                      else self.between(self.at(day + timedelta(days=1), 7), due - timedelta(minutes=5))) \
                    if outcome == "on_time" else self.between(due + timedelta(minutes=5), due + timedelta(hours=30))
                participants, steps = self.tally(unit.code, day)
                row = {"report_date": self._date_text(day, t.fmt), "unit": self.name_of(unit),
                       "participants": participants, "steps": steps, "photos": self.rng.randint(0, 12),
                       "videos": self.rng.randint(0, 3), "media_links": f"https://mp.example.org/{unit.code}/{day:%m%d}",
                       "contact": unit.contact, "phone": unit.phone}
                if t.fmt.startswith("csv") and self.rng.random() < 0.3:
                    row["participants"] = full_width(participants)
                    row["steps"] = f"{steps:,}"
                stem = self.rng.choice([f"{self.short(unit)}{day:%m%d}每日报送", f"每日参与情况-{self.short(unit)}-{day.month}月{day.day}日",
                                        f"{day:%Y%m%d}{self.short(unit)}"])
                title = ((f"{self.short(unit)} 7.8保险宣传日每日参与情况（{day.month}月{day.day}日）",),)
                self.submit(rt, unit, at, [row], stem, title_lines=title if t.fmt != "template" else (),
                            mistake=self.rng.random() < t.sloppy)
                full = self._platform.get((unit.code, day), (0, 0))
                if full[0] > participants and self.rng.random() < 0.2:  # corrected: screenshots that came late
                    row = {**row, "participants": full[0], "steps": full[1]}
                    self.submit(rt, unit, at + timedelta(hours=2), [row], stem + "（更正）", note="resubmission")

    def _date_text(self, day: date, fmt: str):
        if fmt == "template":
            return day
        return self.rng.choice([day.isoformat(), f"{day.year}/{day.month}/{day.day}", f"{day.month}月{day.day}日",
                                f"{day.year}年{day.month}月{day.day}日"])

    def scoring_sheets(self) -> None:
        rt = self.campaign.report_type("scoring_sheet")
        due = self.campaign.deadline_spec("scoring_sheet").due
        quality = {e.id: min(97.0, max(50.0, self.rng.gauss(78, 8))) for e in self.campaign.essay_list}
        rubric = self.campaign.essays.rubric
        for unit in self.campaign.members("companies"):
            t = self.temper[unit.code]
            outcome = t.outcome(self.rng)
            if outcome == "missing":
                continue
            at = self.between(due - timedelta(days=4), due - timedelta(minutes=10)) if outcome == "on_time" \
                else self.between(due + timedelta(minutes=10), due + timedelta(hours=20))
            bias = self.rng.gauss(0, 3)
            partial = self.rng.random() < 0.1
            rows = []
            for essay in self.campaign.essay_list:
                row = {"essay_id": essay.id, "title": essay.title, "category": essay.category}
                if not (partial and self.rng.random() < 0.1):
                    level = (quality[essay.id] + bias + self.rng.gauss(0, 4)) / 100
                    for c in rubric:
                        row[c.key] = min(c.max, max(0.0, round(c.max * level * 2) / 2))
                    if self.rng.random() < 0.5:
                        row["total"] = sum(row[c.key] for c in rubric)
                rows.append(row)
            fmt = "template" if t.fmt in ("template", "xlsx_title") else "csv_gbk"
            label = rt.unit_label or "评分单位"
            title = ((f"{label}：", self.name_of(unit)),) if fmt == "template" else ((f"{label}：{self.name_of(unit)}",),)
            self.submit(rt, unit, at, rows, f"附件3-1打分表-{self.short(unit)}", fmt=fmt, title_lines=title,
                        mistake=self.rng.random() < t.sloppy * 2)

    def votes(self, shortlist: list[str], at: datetime) -> Arrival:
        """The online vote export for the shortlisted essays (the association sends it once it is known)."""
        rt = self.campaign.report_type("votes")
        titles = {e.id: e.title for e in self.campaign.essay_list}
        rows = [{"essay_id": i, "title": titles.get(i), "votes": self.rng.randint(300, 6000)} for i in shortlist]
        self.submit(rt, None, at, rows, "网络投票结果导出", fmt="xlsx_title")
        return self.arrivals[-1]

    def indicators(self) -> None:
        rt = self.campaign.report_type("indicators")
        due = self.campaign.deadline_spec("indicators").due
        for unit in self.campaign.members("companies"):
            t = self.temper[unit.code]
            outcome = t.outcome(self.rng)
            if outcome == "missing":
                continue
            at = self.between(due - timedelta(days=6), due - timedelta(minutes=30)) if outcome == "on_time" \
                else self.between(due + timedelta(hours=1), due + timedelta(days=2))
            scale = t.staff / 500
            row = {"unit": self.name_of(unit), "claims_paid": round(self.rng.uniform(3000, 60000) * scale, 2),
                   "tax_paid": round(self.rng.uniform(300, 6000) * scale, 2), "employees": t.staff,
                   "agents": self.rng.randint(0, 20 * t.staff) if unit.kind == "life" else self.rng.randint(0, t.staff),
                   "poverty_coverage": round(self.rng.uniform(500, 80000) * scale, 2),
                   "poverty_people": self.rng.randint(200, 50000), "contact": unit.contact, "phone": unit.phone}
            self.submit(rt, unit, at, [row], f"社会贡献指标-{self.short(unit)}", mistake=self.rng.random() < t.sloppy)

    def events(self) -> None:
        rt = self.campaign.report_type("events")
        kinds = next(c for c in rt.columns if c.key == "kind").choices or ()
        days = self.campaign.window_days(rt.window)
        for unit in self.campaign.units:
            held = sorted(self.rng.sample(days, k=self.rng.randint(1, 6)))
            batches = [held[: len(held) // 2], held[len(held) // 2:]] if len(held) > 3 else [held]
            for batch in batches:
                if not batch:
                    continue
                rows = []
                for day in batch:
                    kind = self.rng.choice(kinds)
                    rows.append({"event_date": self._date_text(day, self.temper[unit.code].fmt),
                                 "unit": self.name_of(unit), "kind": kind, "title": f"保险知识{kind}活动",
                                 "place": f"{self.rng.choice(self.campaign.places or CITY_PLACES)}{VENUES.get(kind, '')}",
                                 "people_reached": self.rng.randint(30, 3000), "materials": self.rng.randint(0, 2000),
                                 "media_links": f"https://news.example.com/{unit.code}/{day:%m%d}" if kind == "媒体" else None})
                at = self.between(self.at(batch[-1], 18), self.at(batch[-1] + timedelta(days=2), 12))
                self.submit(rt, unit, at, rows, f"宣传活动统计-{self.short(unit)}-{batch[-1]:%m%d}",
                            mistake=self.rng.random() < self.temper[unit.code].sloppy)

    def videos_and_leaderboard(self) -> None:
        rt = self.campaign.report_type("videos")
        days = self.campaign.window_days(rt.window)
        for unit in self.campaign.units:
            for n in range(self.rng.choice([0, 1, 1, 2, 3])):
                published = self.rng.choice(days[:-2])
                video = {"unit": self.name_of(unit), "title": f"{self.short(unit)}保险小课堂第{n + 1}期",
                         "author": self.rng.choice(["王", "李", "张", "刘", "陈", "杨"]) + self.rng.choice(["晓", "明", "丽", "伟", "静"]) + self.rng.choice(["东", "华", "敏", "洋", "婷"]),
                         "platform": self.rng.choice(PLATFORMS), "link": f"https://v.example.com/{unit.code}{n}",
                         "published_on": published, "_unit": unit}
                self.videos.append(video)
                at = self.between(self.at(published, 12), self.at(published, 22))
                self.submit(rt, unit, at, [video], f"短视频报送-{self.short(unit)}-{n + 1}")
        board = self.campaign.report_type("video_leaderboard")
        votes = {id(v): self.rng.randint(50, 400) for v in self.videos}
        for day in self.campaign.window_days(board.window):
            live = [v for v in self.videos if v["published_on"] <= day]
            if not live:
                continue
            for v in live:
                votes[id(v)] += self.rng.randint(0, 300)
            top = sorted(live, key=lambda v: -votes[id(v)])[:10]
            rows = [{"board_date": day, "rank": i, "title": v["title"], "unit": v["_unit"].name, "author": v["author"],
                     "votes": votes[id(v)]} for i, v in enumerate(top, start=1)]
            self.submit(board, None, self.at(day, 21, 30), rows, f"短视频达人榜{day:%m%d}", fmt="xlsx_title")

    def projects(self) -> None:
        rt = self.campaign.report_type("project")
        home = self.home_region
        counties = ("白城市镇赉县", "松原市乾安县", "延边州汪清县", "白山市靖宇县")
        companies = self.rng.sample(self.campaign.members("companies"), k=4)
        minimum = self.campaign.steps.project_minimums
        end = self.campaign.window(self.campaign.steps.window).end
        for n, unit in enumerate(companies, start=1):
            head = unit.name.split(home.name)[0]
            row = {"project_id": f"FP{self.campaign.year}-{n:02d}", "unit": unit.name,
                   "region": f"{home.full_name}{counties[(n - 1) % len(counties)]}",
                   "head_office": head, "coverage": minimum.coverage_yuan + self.rng.randint(0, 30) * 1_000_000,
                   "people": minimum.people + self.rng.randint(0, 4000), "term_months": minimum.term_months,
                   "donated_on": None, "claims_paid": None, "completed_on": None}
            claimed = self.between(end + timedelta(days=1), end + timedelta(days=5))
            if n == 1:  # a claim below the minimum coverage, then corrected
                self.submit(rt, unit, claimed, [{**row, "coverage": minimum.coverage_yuan - 3_000_000}],
                            f"扶贫项目认领-{self.short(unit)}", fmt="xlsx_title", late_fix=False, note="below minimum")
                claimed += timedelta(days=1)
            self.submit(rt, unit, claimed, [row], f"扶贫项目认领-{self.short(unit)}", fmt="xlsx_title")
            donated = (claimed + timedelta(days=self.rng.randint(20, 60))).date()
            published = donated + timedelta(days=self.rng.randint(1, 10))
            update = {**row, "donated_on": donated, "published_on": published, "claims_paid": self.rng.randint(0, 200_000),
                      "link": f"https://www.jiaia.example.org/fp/{row['project_id']}"}
            self.submit(rt, unit, self.at(published, 15), [update], f"扶贫项目捐赠-{self.short(unit)}", fmt="xlsx_title")

    def survey(self) -> None:
        rt = self.campaign.report_type("survey")
        window = self.campaign.window(rt.window)
        companies = self.campaign.members("companies")
        weights = [self.rng.choice([1, 1, 2, 4, 8]) for _ in companies]
        low, high = self.campaign.survey.scale
        rows = []
        for n in range(1, 1501):
            unit = self.rng.choices(companies, weights=weights)[0]
            base = self.rng.uniform(3.2, 4.8)
            row = {"response_id": f"Q{n:05d}", "submitted_at": self.between(window.start, window.end - timedelta(hours=1))
                   .strftime("%Y-%m-%d %H:%M"), "company": unit.name,
                   "comment": self.rng.choice(SURVEY_COMMENTS) or None}
            for key in ("q_claims", "q_sales", "q_counter", "q_phone", "q_overall"):
                row[key] = max(low, min(high, round(self.rng.gauss(base, 0.8))))
            rows.append(row)
        self.submit(rt, None, window.end + timedelta(days=5, hours=10), rows, "满意度调查问卷导出", fmt="csv_bom")

    def summaries(self) -> None:
        spec = self.campaign.deadline_spec("summary")
        for unit in self.campaign.units:
            t = self.temper[unit.code]
            outcome = t.outcome(self.rng)
            if outcome == "missing":
                continue
            at = self.between(spec.due - timedelta(days=3), spec.due - timedelta(minutes=20)) if outcome == "on_time" \
                else self.between(spec.due + timedelta(minutes=20), spec.due + timedelta(days=1))
            members = {"活动方案.docx": _docx_like(f"{unit.name}7.8活动方案"),
                       "活动总结.docx": _docx_like(f"{unit.name}7.8活动总结"),
                       "照片/现场照片1.jpg": _jpeg(self.rng), "照片/现场照片2.jpg": _jpeg(self.rng),
                       "视频链接.txt": f"https://v.example.com/{unit.code}/summary\n".encode()}
            name = f"{self.short(unit)}-7.8活动总结.zip"
            if self.rng.random() < t.sloppy * 2:
                broken = {k: v for k, v in members.items() if not k.endswith(".jpg")}
                self._emit_bytes(at, "summary", unit, name, zip_bytes(broken), "mistake: no photos")
                at += timedelta(hours=self.rng.randint(1, 5))
            self._emit_bytes(at, "summary", unit, name.replace(".zip", "（终稿）.zip") if at > spec.due else name,
                             zip_bytes(members))

    def tally(self, code: str, day: date) -> tuple[int, int]:
        """(participants, steps) a unit's contact person counts for a day: the runners whose
        donation counted on the platform and who sent a screenshot. Now and then a runner is
        counted twice, as happens with screenshots forwarded in two chats."""
        self._walk()
        return self._tallies.get((code, day), (0, 0))

    def _walk(self) -> None:
        """Every donation of the step run, decided once (own random stream, so the other
        files do not change with it): the general public's over all regions, and the member
        units' runners', who walk for the home region."""
        if self._walked is not None:
            return
        rng = random.Random(f"{self.seed}:walk")
        steps = self.campaign.steps
        window = self.campaign.window(steps.window)
        calendar = step_calendar(self.campaign)
        regions = list(steps.regions)
        home, helper = self.home_region, steps.helper_of(self.home_region.code)
        weights = [30 if r is home else 6 if r is helper else 2 for r in regions]
        people = [(f"o{rng.getrandbits(48):012x}", rng.choices(regions, weights=weights)[0], rng.uniform(0.2, 0.95),
                   None) for _ in range(self.participants)]
        for unit in self.campaign.units:
            for _ in range(self.temper[unit.code].runners):
                pid = f"o{rng.getrandbits(48):012x}"
                self.teams[pid] = unit.code
                people.append((pid, home, rng.uniform(0.4, 0.95), unit.code))
        self._walked = {}
        for day in self.campaign.window_days(steps.window):
            lines, tallies, platform = [], {}, {}
            busy = 1.3 if day in steps.double_days else 1.0  # more walk on the day that counts double
            for pid, own, activity, team in people:
                if rng.random() > min(0.98, activity * busy):
                    continue
                region = own if team or rng.random() < 0.9 else rng.choice(regions)
                walked = int(rng.lognormvariate(9.35, 0.35))
                moment = self.between(max(window.start, self.at(day, 6)), min(window.end, self.at(day, 23, 59)))
                if rng.random() < 0.002:
                    moment = self.at(day, 5, 30)  # before the run opened that day: not counted
                name = rng.choice([region.name, region.full_name, region.code])
                if team is None and rng.random() < 0.001:
                    name = "火星"
                lines.append(f"{moment.isoformat()},{pid},{name},{walked}\n")
                if rng.random() < 0.01:  # a second donation the same day: only the first counts
                    lines.append(f"{(moment + timedelta(hours=1)).isoformat()},{pid},{name},{walked + 500}\n")
                counted = calendar.reason(moment, region.code, walked) is None  # the importer's rule
                if team and counted:
                    n, total = platform.get(team, (0, 0))
                    platform[team] = (n + 1, total + walked)
                    if rng.random() < self.temper[team].tallied:
                        n, total = tallies.get(team, (0, 0))
                        twice = walked if rng.random() < 0.0005 else 0
                        tallies[team] = (n + 1, total + walked + twice)
            self._walked[day] = lines
            self._tallies.update({(code, day): figures for code, figures in tallies.items()})
            self._platform.update({(code, day): figures for code, figures in platform.items()})

    def donations(self) -> None:
        """Raw donation records from the national platform, one gzipped CSV per run day, sent the next morning."""
        self._walk()
        for day, lines in self._walked.items():
            data = gzip.compress(("donated_at,participant_id,region,steps\n" + "".join(lines)).encode("utf-8"),
                                 mtime=0)
            self._emit_bytes(self.at(day + timedelta(days=1), 8), "donations", None, f"donations-{day:%Y%m%d}.csv.gz",
                             data)

    # ----- all ---------------------------------------------------------

    def run(self) -> list[Arrival]:
        self.out.mkdir(parents=True, exist_ok=True)
        for part in (self.survey, self.scoring_sheets, self.daily_reports, self.indicators, self.events,
                     self.videos_and_leaderboard, self.projects, self.summaries, self.donations):
            part()
        self.arrivals.sort(key=lambda a: (a.at, a.path))
        (self.out / "manifest.json").write_text(json.dumps([a.as_dict() for a in self.arrivals], ensure_ascii=False,
                                                           indent=1), encoding="utf-8")
        return self.arrivals


def _docx_like(text: str) -> bytes:
    return zip_bytes({"word/document.xml": f"<w:document><w:t>{text}</w:t></w:document>".encode()})


def _jpeg(rng: random.Random) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (rng.randrange(256), rng.randrange(256), rng.randrange(256))).save(buffer, "JPEG")
    return buffer.getvalue()


def load_manifest(folder: Path) -> list[Arrival]:
    data = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return [Arrival(**{**a, "at": datetime.fromisoformat(a["at"])}) for a in data]


