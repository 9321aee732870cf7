"""Aggregates from the national platform: pulled over HTTP or dropped as a CSV/xlsx file.

Every pull is kept (``step_pulls`` with its rows); for each region (or member unit) and
day the latest pull that has it is what counts, so pulling again replaces a day's
figures and keeps the history of what was pulled when. A payload with any problem is
refused as a whole, with the problems listed: nothing of it is stored.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Literal, TypedDict
from urllib.parse import urlsplit

from sqlalchemy import insert

from insday.campaign import Campaign, text_key
from insday.db.models import StepPull, StepPulledRegion, StepPulledUnit
from insday.env import Env
from insday.intake.normalize import BadValue, is_blank, parse_date, parse_integer
from insday.intake.read import Unreadable, read_sheets
from insday.settings import Settings
from insday.steps.figures import Unlock, check_time_order, lock_step_data, refresh_unlocks
from insday.steps.rules import RegionResolver, StepsError, step_calendar
from insday.units import UnitMatcher

MAX_PROBLEMS = 10

# Column headers accepted in a dropped file (compared after NFKC, no spaces, lower case).
HEADERS = {
    "date": ("date", "day", "日期"),
    "region": ("region", "地区", "省份", "地区名称"),
    "unit": ("unit", "单位", "单位名称", "会员单位"),
    "steps": ("steps", "步数", "捐步数", "捐赠步数"),
    "donations": ("donations", "捐步次数", "捐赠次数", "人次"),
    "participants": ("participants", "参与人数", "人数"),
}


@dataclass
class Figures:
    regions: list[dict] = field(default_factory=list)
    units: list[dict] = field(default_factory=list)
    platform_as_of: datetime | None = None


class PullReport(TypedDict):
    """``insday steps pull --json``: one pull of the national platform's figures, stored."""

    pull_id: int
    source: Literal["api", "file"]
    location: str  # the URL without its query, or the file's name
    sha256: str
    pulled_at: str  # as recorded (campaign time)
    platform_as_of: str | None  # the payload's own ``as_of``, if it gave one
    regions: int  # rows stored
    units: int
    days: list[str]
    unlocks: list[Unlock]


class PullSkipped(TypedDict):
    """No ``INSDAY_STEPS_API_URL``: nothing pulled, nothing stored."""

    pull_id: None
    source: Literal["api"]
    skipped: str
    regions: int
    units: int
    days: list[str]
    unlocks: list[Unlock]


def pull_aggregates(env: Env, *, as_of: datetime | None = None) -> PullReport | PullSkipped:
    """GET the platform's aggregates (``INSDAY_STEPS_API_URL``) and store them as received at
    ``as_of`` (default now). Retries timeouts, connection errors, 429 and 5xx; raises
    :class:`StepsError` with a clear message when it cannot get a good payload. Without a
    URL there is nothing to pull: the result says ``"skipped"`` and nothing is stored."""
    settings = env.settings
    if not settings.steps_api_url:  # nothing to pull from (say so; the daily flow goes on)
        return {"pull_id": None, "source": "api", "skipped": "INSDAY_STEPS_API_URL is not set", "regions": 0,
                "units": 0, "days": [], "unlocks": []}
    where = _public_url(settings.steps_api_url)
    body = _fetch(settings, where)
    try:
        data = json.loads(body)
    except ValueError:
        raise StepsError(f"全国平台接口 {where} 返回的不是合法的 JSON（前 80 个字符：{body[:80]!r}）") from None
    figures = figures_from_json(env.campaign, data)
    return _store_pull(env, figures, source="api", location=where, sha256=hashlib.sha256(body).hexdigest(),
                      pulled_at=as_of)


def import_aggregates_file(env: Env, path: Path | str, *, received_at: datetime | None = None) -> PullReport:
    """Store the aggregates in a dropped CSV or xlsx file as a pull received at ``received_at``."""
    path = Path(path)
    data = path.read_bytes()
    try:
        sheets = read_sheets(path, data)
    except Unreadable as exc:
        raise StepsError(f"文件「{path.name}」：{exc}") from None
    figures = _figures(env.campaign, _sheet_items(path.name, sheets[0].rows if sheets else []))
    return _store_pull(env, figures, source="file", location=path.name, sha256=hashlib.sha256(data).hexdigest(),
                      pulled_at=received_at)


def _store_pull(env: Env, figures: Figures, *, source: str, location: str, sha256: str,
               pulled_at: datetime | None = None) -> PullReport:
    pulled_at = (pulled_at or datetime.now(timezone.utc)).astimezone(timezone.utc)
    with env.engine.begin() as conn:
        key = env.campaign.name
        lock_step_data(conn, env.campaign)
        check_time_order(conn, env.campaign, pulled_at)
        pull_id = conn.execute(insert(StepPull).values(
            campaign=key, source=source, location=location, sha256=sha256, pulled_at=pulled_at,
            platform_as_of=figures.platform_as_of, region_rows=len(figures.regions),
            unit_rows=len(figures.units)).returning(StepPull.id)).scalar_one()
        if figures.regions:
            conn.execute(insert(StepPulledRegion), [{"campaign": key, "pull_id": pull_id, **r} for r in figures.regions])
        if figures.units:
            conn.execute(insert(StepPulledUnit), [{"campaign": key, "pull_id": pull_id, **u} for u in figures.units])
        unlocks = refresh_unlocks(conn, env.campaign, pulled_at, f"pull {pull_id}")
    days = sorted({f["day"] for f in (*figures.regions, *figures.units)})
    return {"pull_id": pull_id, "source": source, "location": location, "sha256": sha256,
            "pulled_at": pulled_at.astimezone(env.campaign.tz).isoformat(),
            "platform_as_of": figures.platform_as_of.isoformat() if figures.platform_as_of else None,
            "regions": len(figures.regions), "units": len(figures.units),
            "days": [d.isoformat() for d in days], "unlocks": unlocks}


# ----- HTTP ---------------------------------------------------------------------------

def _public_url(url: str) -> str:
    """The URL as it may be shown: no user, password, query or fragment."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    return f"{parts.scheme}://{host}{f':{parts.port}' if parts.port else ''}{parts.path}"


def _fetch(settings: Settings, where: str) -> bytes:
    # lazy: httpx costs about 0.2 s; only pulling from the national platform needs it
    import httpx

    headers = {"Accept": "application/json"}
    if settings.steps_api_token:
        headers["Authorization"] = f"Bearer {settings.steps_api_token.get_secret_value()}"
    attempts = settings.steps_api_retries + 1
    problem = ""
    with httpx.Client(timeout=settings.steps_api_timeout, follow_redirects=True) as client:
        for attempt in range(attempts):
            if attempt:
                time.sleep(settings.steps_api_backoff * 2 ** (attempt - 1))
            try:
                response = client.get(settings.steps_api_url, headers=headers)
            except httpx.TimeoutException:
                problem = f"超时（{settings.steps_api_timeout:g} 秒无响应）"
                continue
            except httpx.TransportError as exc:
                problem = f"无法连接（{type(exc).__name__}）"
                continue
            if response.status_code == 429 or response.status_code >= 500:
                problem = f"HTTP {response.status_code}"
                continue
            if response.status_code != 200:
                raise StepsError(f"全国平台接口 {where} 拒绝了请求：HTTP {response.status_code}。"
                                 "请检查接口地址和令牌（INSDAY_STEPS_API_URL、INSDAY_STEPS_API_TOKEN）")
            return response.content
    raise StepsError(f"全国平台接口 {where} 请求失败，共尝试 {attempts} 次，最后一次：{problem}")


# ----- payloads -----------------------------------------------------------------------

def figures_from_json(campaign: Campaign, data) -> Figures:
    """``{"as_of"?, "regions": [{"region", "date", "steps", "donations"?}], "units"?: [{"unit", "date",
    "steps", "donations"?, "participants"?}]}``."""
    if not isinstance(data, dict) or not isinstance(data.get("regions"), list) or not isinstance(
            data.get("units", []), list):
        raise StepsError('全国平台数据格式不对：应为 {"regions": [...], "units": [...]}（units 可省略）')
    items = [(f"regions[{i}]", "region", x) for i, x in enumerate(data["regions"])]
    items += [(f"units[{i}]", "unit", x) for i, x in enumerate(data.get("units", []))]
    figures = _figures(campaign, items)
    if data.get("as_of"):
        try:
            moment = datetime.fromisoformat(str(data["as_of"]))
        except ValueError:
            raise StepsError(f"全国平台数据的 as_of「{data['as_of']}」不是 ISO 8601 时间") from None
        figures.platform_as_of = moment if moment.tzinfo else moment.replace(tzinfo=campaign.tz)
    return figures


def _sheet_items(filename: str, rows: list[list]) -> Iterable[tuple[str, str, dict]]:
    """(where, "region" or "unit", values) for every filled row below the header row."""
    names = {text_key(alias): key for key, aliases in HEADERS.items() for alias in aliases}
    for number, row in enumerate(rows[:10], start=1):
        keys = [names.get(text_key(cell)) if cell is not None else None for cell in row]
        if {"date", "steps"} <= set(keys) and {"region", "unit"} & set(keys):
            break
    else:
        raise StepsError(f"文件「{filename}」找不到表头：须有 日期(date)、步数(steps)，以及 地区(region) 或 单位(unit)")
    for i, row in enumerate(rows[number:], start=number + 1):
        values = {key: row[j] if j < len(row) else None for j, key in enumerate(keys) if key}
        if any(v not in (None, "") for v in values.values()):
            yield f"第{i}行", "unit" if values.get("unit") not in (None, "") else "region", values


def _figures(campaign: Campaign, items: Iterable[tuple[str, str, object]]) -> Figures:
    """Check and convert (where, "region"/"unit", values) items; any problem refuses them all."""
    class Problem(ValueError):
        pass

    days = step_calendar(campaign).days
    regions = RegionResolver(campaign.steps.regions)
    units = UnitMatcher(list(campaign.units), campaign.province)
    figures, problems, seen = Figures(), [], set()

    def number(where: str, name: str, value, required: bool = False) -> int | None:
        if is_blank(value):
            if required:
                raise Problem(f"{where}：缺少 {name}")
            return None
        try:
            result = parse_integer(value)
        except BadValue as exc:
            raise Problem(f"{where}：{name}「{value}」{exc.problem}") from None
        if result < 0:
            raise Problem(f"{where}：{name}「{value}」不能为负数")
        return result

    def figure(where: str, kind: str, values) -> tuple[tuple, dict]:
        if not isinstance(values, dict):
            raise Problem(f"{where}：应为一个对象（{{...}}），而不是「{values}」")
        try:
            day: date = parse_date(values.get("date"), campaign.year)
        except BadValue as exc:
            raise Problem(f"{where}：日期「{values.get('date')}」{exc.problem}") from None
        if day not in days:
            raise Problem(f"{where}：日期 {day} 不在公益跑期间（{days[0]} 至 {days[-1]}）")
        row = {"day": day, "steps": number(where, "steps", values.get("steps"), required=True),
               "donations": number(where, "donations", values.get("donations"))}
        written = values.get(kind)
        if kind == "unit":
            match = units.resolve("" if is_blank(written) else str(written))
            if match.code is None:
                raise Problem(f"{where}：单位「{written}」{match.problem}")
            row.update(unit_code=match.code, participants=number(where, "participants", values.get("participants")))
            return ("unit", match.code, day), row
        code = regions.resolve(None if is_blank(written) else str(written))
        if code is None:
            raise Problem(f"{where}：地区「{written}」不是公益跑的地区（简称、全称或代码）")
        row["region_code"] = code
        return ("region", code, day), row

    for where, kind, values in items:
        try:
            key, row = figure(where, kind, values)
            if key in seen:
                raise Problem(f"{where}：{key[1]} {key[2]} 的数据重复出现")
        except Problem as exc:
            problems.append(str(exc))
            continue
        seen.add(key)
        (figures.units if kind == "unit" else figures.regions).append(row)
    if problems:
        more = f"\n  ……共 {len(problems)} 处" if len(problems) > MAX_PROBLEMS else ""
        raise StepsError("全国平台数据有问题，本次未保存：\n  " + "\n  ".join(problems[:MAX_PROBLEMS]) + more)
    return figures
