"""White paper data (《吉林保险业社会贡献白皮书》) from the companies' social-contribution
indicators: the province's totals, per-company tables and charts, as an xlsx workbook
and a draft chapter (Markdown and HTML).

Totals cover the companies that reported; a company that did not report is listed as
such and never counted as zero.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Literal, TypedDict

from insday.campaign import KIND_TITLES
from insday.charts import figure, png_bytes
from insday.env import Env
from insday.publishing.outputs import guard, whitepaper_rows
from insday.reports.common import (count, data_uri, fetch_as_of, heading, jsonable, local_text, money, out_dir,
                                   render, short_name, yi)
from insday.reports.outreach import WORKPLACE, outreach_summary
from insday.reports.xlsx import INTEGER, MONEY, PERCENT, Table, write_workbook

TOP_IN_CHARTS = 15


def metrics(env: Env) -> list[dict]:
    """The indicators' figures as the template states them: key, label and unit, from the
    column header ("赔款支出(万元)" -> 赔款支出, 万元; a count without a unit is in 人)."""
    out = []
    for col in env.campaign.report_type("indicators").columns:
        if col.type in ("number", "integer"):
            m = re.match(r"^(.*?)\s*[(（](.+?)[)）]\s*$", col.header)
            label, unit = (m.group(1), m.group(2)) if m else (col.header, "人" if col.type == "integer" else "")
            out.append({"key": col.key, "label": label, "unit": unit, "money": col.type == "number"})
    return out


def _value(metric: dict, raw):
    return money(raw) if metric["money"] else int(raw)


def _sums(metric_list: list[dict], companies: list[dict]) -> dict:
    return {m["key"]: sum((c["values"][m["key"]] for c in companies), Decimal(0) if m["money"] else 0)
            for m in metric_list}


class Metric(TypedDict):
    key: str
    label: str  # as the template heads the column
    unit: str  # e.g. 万元
    money: bool  # an amount (万元, 2 decimals); else a count


class CompanyRef(TypedDict):
    code: str
    name: str
    short_name: str
    kind: Literal["property", "life"]


class CompanyFigures(CompanyRef):
    values: dict[str, float | int]  # metric key -> figure
    shares: dict[str, float | None]  # metric key -> share of the total, 0..1 (None: a total of 0)
    received_at: str
    timeliness: Literal["on_time", "late"]


class KindTotals(TypedDict):
    kind: Literal["property", "life"]
    title: str
    expected: int
    reported: int
    totals: dict[str, float | int]


class CampaignHeading(TypedDict):
    title: str
    theme: str | None
    heading: str


class CompanySites(TypedDict):
    unit: str
    name: str
    short_name: str
    sites: int
    posters: int
    led_screens: int
    service_desks: int


class WorkplacePublicity(TypedDict):
    """The companies' workplace publicity (events of the kind 职场) and all their events in the campaign."""

    companies: int
    sites: int
    posters: int
    led_screens: int
    service_desks: int
    events: int
    people_reached: int
    by_company: list[CompanySites]


class WhitepaperReport(TypedDict):
    """``insday whitepaper --json``: the figures of :func:`whitepaper_data` as JSON, and the files."""

    as_of: str
    title: str
    year: int | None  # the data year (whitepaper.data_year)
    metrics: list[Metric]
    expected: int
    reported: int
    totals: dict[str, float | int]  # reporting companies only
    by_kind: list[KindTotals]
    companies: list[CompanyFigures]  # by the first metric, largest first
    missing: list[CompanyRef]  # not reported: listed, never counted as zero
    campaign: CampaignHeading
    workplace: WorkplacePublicity
    files: dict[str, str]  # xlsx, markdown, html, chart_<key> -> path


def whitepaper_data(env: Env, as_of: datetime) -> dict:
    """The white paper's figures as known at ``as_of``: :class:`WhitepaperReport` without its
    files, amounts as Decimal and times as datetime.

    ``workplace`` is the companies' workplace publicity in the campaign (events of the kind
    职场, as known at ``as_of``: sites and what they show) and their outreach events of every
    kind; the indicators' figures are the data year's.
    """
    campaign = env.campaign
    rt = campaign.report_type("indicators")
    metric_list = metrics(env)
    reported = {r["unit"]: r for r in fetch_as_of(env, "staging/indicators_current", as_of)}
    expected = campaign.members(rt.who)
    companies, missing = [], []
    for unit in expected:
        row = reported.get(unit.code)
        base = {"code": unit.code, "name": unit.name, "short_name": short_name(unit), "kind": unit.kind}
        if row is None:
            missing.append(base)
            continue
        companies.append({**base, "values": {m["key"]: _value(m, row[m["key"]]) for m in metric_list},
                          "received_at": row["received_at"], "timeliness": row["timeliness"]})
    first = metric_list[0]["key"]
    companies.sort(key=lambda c: (-c["values"][first], c["code"]))
    totals = _sums(metric_list, companies)
    for c in companies:
        c["shares"] = {k: (float(c["values"][k] / totals[k]) if totals[k] else None) for k in totals}
    by_kind = []
    for kind in [k for k in KIND_TITLES if any(u.kind == k for u in expected)]:  # 财产险 before 人身险
        members = [c for c in companies if c["kind"] == kind]
        by_kind.append({"kind": kind, "title": KIND_TITLES[kind], "expected": sum(u.kind == kind for u in expected),
                        "reported": len(members), "totals": _sums(metric_list, members)})
    paper = campaign.whitepaper
    return {"as_of": as_of, "title": paper.title if paper else rt.title, "year": paper.data_year if paper else None,
            "metrics": metric_list, "expected": len(expected), "reported": len(companies), "totals": totals,
            "by_kind": by_kind, "companies": companies, "missing": missing,
            "campaign": {"title": campaign.title, "theme": campaign.theme, "heading": heading(campaign)},
            "workplace": _workplace(env, as_of, {u.code for u in expected})}


def _workplace(env: Env, as_of: datetime, companies: set[str]) -> dict:
    """The companies' workplace publicity and outreach events in the campaign."""
    summary = outreach_summary(env, as_of)
    sites = [u for u in summary["workplace"]["by_unit"] if u["unit"] in companies]
    events = [u for u in summary["by_unit"] if u["unit"] in companies]
    return {"companies": len(sites), **{f: sum(u[f] for u in sites) for f in ("sites", *WORKPLACE)},
            "events": sum(u["events"] for u in events), "people_reached": sum(u["people_reached"] for u in events),
            "by_company": sites}


# ----- outputs ---------------------------------------------------------------


def _charts(data: dict) -> dict[str, bytes]:
    charts: dict[str, bytes] = {}
    labels = {m["key"]: m for m in data["metrics"]}
    for key in ("claims_paid", "tax_paid", "poverty_coverage"):
        if key not in labels or not data["companies"]:
            continue
        ranked = sorted(data["companies"], key=lambda c: -c["values"][key])[:TOP_IN_CHARTS][::-1]
        fig = figure(8, max(3.0, 0.32 * len(ranked) + 1.2))
        ax = fig.add_subplot()
        values = [float(c["values"][key]) / 10000 for c in ranked]
        bars = ax.barh([c["short_name"] for c in ranked], values, color="#2f6fb0")
        ax.bar_label(bars, labels=[f"{v:,.2f}" for v in values], padding=3, fontsize=8)
        ax.set_xlabel("亿元")
        ax.set_title(f"各公司{labels[key]['label']}（前{len(ranked)}名，亿元）")
        ax.margins(x=0.15)
        charts[key] = png_bytes(fig)
    if {"employees", "agents"} <= labels.keys() and data["reported"]:
        fig = figure(7, 3.6)
        ax = fig.add_subplot()
        kinds = [k for k in data["by_kind"] if k["reported"]]
        names = [k["title"] for k in kinds]
        employees = [k["totals"]["employees"] for k in kinds]
        agents = [k["totals"]["agents"] for k in kinds]
        ax.bar(names, employees, label=labels["employees"]["label"], color="#2f6fb0")
        ax.bar(names, agents, bottom=employees, label=labels["agents"]["label"], color="#f0a030")
        for i, (e, a) in enumerate(zip(employees, agents)):
            ax.text(i, e + a, f"{e + a:,}人", ha="center", va="bottom", fontsize=9)
        ax.set_ylabel("人数")
        ax.set_title("推动就业：员工与代理人")
        ax.legend()
        ax.margins(y=0.15)
        charts["jobs"] = png_bytes(fig)
    return charts


def _sections(data: dict) -> list[dict]:
    """The draft chapter's text, one section per contribution, in the white paper's words."""
    t, year, n = data["totals"], data["year"], data["reported"]
    kinds = {k["kind"]: k for k in data["by_kind"]}
    who = f"{year}年，全省已报送数据的{n}家保险公司" if year else f"全省已报送数据的{n}家保险公司"

    def by_kind(key: str, fmt) -> str:
        parts = [f"{k['title']}{k['reported']}家{fmt(k['totals'][key])}" for k in kinds.values() if k["reported"]]
        return "其中，" + "，".join(parts) + "。" if parts else ""

    def leaders(key: str, unit: str) -> str:
        ranked = sorted(data["companies"], key=lambda c: -c["values"][key])[:5]
        shown = "、".join(f"{c['short_name']}（{yi(c['values'][key])}{unit}）" for c in ranked)
        return f"居前五位的公司是：{shown}。" if ranked else ""

    sections = []
    if "claims_paid" in t:
        sections.append({"title": "一、经济补偿", "chart": "claims_paid", "paragraphs": [
            f"{who}共支付赔款{yi(t['claims_paid'])}亿元，为受灾企业和家庭提供了及时的经济补偿。"
            + by_kind("claims_paid", lambda v: f"支付赔款{yi(v)}亿元"), "赔款支出" + leaders("claims_paid", "亿元")]})
    if "tax_paid" in t:
        sections.append({"title": "二、税收贡献", "chart": "tax_paid", "paragraphs": [
            f"{who}共缴纳税款{yi(t['tax_paid'])}亿元。" + by_kind("tax_paid", lambda v: f"纳税{yi(v)}亿元"),
            "纳税额" + leaders("tax_paid", "亿元")]})
    if {"employees", "agents"} <= t.keys():
        sections.append({"title": "三、推动就业", "chart": "jobs", "paragraphs": [
            f"{who}共有员工{count(t['employees'])}人、个人代理人{count(t['agents'])}人，"
            f"合计提供就业岗位{count(t['employees'] + t['agents'])}个。"
            + by_kind("employees", lambda v: f"员工{count(v)}人")]})
    if {"poverty_coverage", "poverty_people"} <= t.keys():
        sections.append({"title": "四、精准扶贫", "chart": "poverty_coverage", "paragraphs": [
            f"{who}共为贫困地区和贫困人口提供扶贫保险保障{yi(t['poverty_coverage'])}亿元，"
            f"覆盖{count(t['poverty_people'])}人。" + by_kind("poverty_coverage", lambda v: f"提供保障{yi(v)}亿元")]})
    w = data["workplace"]
    if w["sites"] or w["events"]:
        theme = data["campaign"]["theme"]
        text = "“7.8全国保险公众宣传日”活动期间，" + (f"围绕“{theme}”的年度主题，" if theme else "")
        if w["sites"]:
            text += (f"{w['companies']}家保险公司在{count(w['sites'])}处办公和营业场所开展职场宣传，"
                     f"悬挂、张贴宣传海报和标语{count(w['posters'])}张（幅），"
                     f"用{count(w['led_screens'])}块LED屏等多媒体设备滚动播放活动主题和行业形象宣传片，"
                     f"设置宣传咨询服务台{count(w['service_desks'])}个。")
        if w["events"]:
            text += f"各公司共开展“保险五进入”、职场和媒体宣传活动{count(w['events'])}场，覆盖{count(w['people_reached'])}人。"
        sections.append({"title": "五、职场宣传", "chart": None, "paragraphs": [text]})
    return sections


def write_whitepaper(env: Env, as_of: datetime, out: Path | None = None) -> WhitepaperReport:
    """Write whitepaper.xlsx, whitepaper.md, whitepaper.html and charts/*.png; return the
    data (JSON-ready) with ``files``."""
    data = whitepaper_data(env, as_of)
    guard(env, "whitepaper", f"{env.campaign.local(as_of):%Y-%m-%dT%H:%M}", data["title"], "whitepaper",
          whitepaper_rows(env, data),
          {}, data)
    folder = out_dir(env, "whitepaper", out)
    metric_list = data["metrics"]
    heads = [f"{m['label']}({m['unit']})" for m in metric_list]
    formats = {i: (MONEY if m["money"] else INTEGER) for i, m in enumerate(metric_list)}
    coverage = (f"已报送 {data['reported']} 家，应报送 {data['expected']} 家；"
                f"未报送的 {len(data['missing'])} 家未计入合计。数据截至 {local_text(env.campaign, as_of)}。")
    totals = [["全省合计", data["reported"], *[data["totals"][m["key"]] for m in metric_list]]]
    totals += [[k["title"], k["reported"], *[k["totals"][m["key"]] for m in metric_list]] for k in data["by_kind"]]
    detail = [[n, c["name"], c["short_name"], next(k["title"] for k in data["by_kind"] if k["kind"] == c["kind"]),
               *[c["values"][m["key"]] for m in metric_list], c["shares"][metric_list[0]["key"]]]
              for n, c in enumerate(data["companies"], start=1)]
    tables = [
        Table("全省汇总", ["范围", "已报送公司数", *heads], totals,
              {1: INTEGER, **{i + 2: f for i, f in formats.items()}}, note=coverage),
        Table("分公司明细", ["序号", "公司名称", "简称", "类型", *heads, f"{metric_list[0]['label']}占比"], detail,
              {0: INTEGER, **{i + 4: f for i, f in formats.items()}, len(heads) + 4: PERCENT}, note=coverage),
        Table("未报送公司", ["序号", "公司名称", "简称", "类型"],
              [[n, u["name"], u["short_name"], next(k["title"] for k in data["by_kind"] if k["kind"] == u["kind"])]
               for n, u in enumerate(data["missing"], start=1)], {0: INTEGER},
              note="以上公司未报送社会贡献指标，未计入全省合计。"),
    ]
    w = data["workplace"]
    if w["by_company"]:
        tables.append(Table("职场宣传", ["序号", "公司名称", "简称", "场所数", "海报标语(张)", "LED屏(块)", "咨询服务台(个)"],
                            [[n, c["name"], c["short_name"], c["sites"], c["posters"], c["led_screens"],
                              c["service_desks"]] for n, c in enumerate(w["by_company"], start=1)],
                            {0: INTEGER, 3: INTEGER, 4: INTEGER, 5: INTEGER, 6: INTEGER},
                            note=f"“7.8”活动期间各公司报送的职场宣传（截至 {local_text(env.campaign, as_of)}）。"))
    files = {"xlsx": write_workbook(folder / "whitepaper.xlsx", tables)}
    charts = _charts(data)
    (folder / "charts").mkdir(exist_ok=True)
    for key, png in charts.items():
        (folder / "charts" / f"{key}.png").write_bytes(png)
        files[f"chart_{key}"] = folder / "charts" / f"{key}.png"
    context = {"data": data, "sections": _sections(data), "as_of_text": local_text(env.campaign, as_of),
               "heads": heads, "charts": charts, "uri": {k: data_uri(v) for k, v in charts.items()}}
    files["markdown"] = folder / "whitepaper.md"
    files["markdown"].write_text(render("whitepaper.md.j2", **context), encoding="utf-8")
    files["html"] = folder / "whitepaper.html"
    files["html"].write_text(render("whitepaper.html.j2", **context), encoding="utf-8")
    return jsonable({**data, "files": {k: str(v) for k, v in files.items()}})

