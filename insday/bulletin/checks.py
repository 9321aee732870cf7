"""A bulletin's dataset for its GX suite (``expectations/outputs/bulletin.json``), built from
the document and from the files rendered from it (the HTML page and the xlsx workbook read
back), so the checks see what a reader sees.

Every figure the page shows of a concept carries ``data-figure="<concept>"``; each one, and
each cell of the workbook that shows a concept, must equal the document's one value of it.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path

from openpyxl import load_workbook

from insday.bulletin.render import SHARE_SHEET, UNIT_SHEET, overview_rows
from insday.campaign import Campaign
from insday.publishing.checks import Check, run_checks

SUITE = "outputs/bulletin"
_FIGURE = re.compile(r'<span data-figure="([^"]+)">([^<]*)</span>')
HEADLINE = {"units_reporting": "报送单位", "participants_day": "当日参与人数", "steps_day": "当日步数",
            "participants": "累计参与人次", "steps": "累计报送步数", "counted_steps": "累计计入步数",
            "photos": "图片", "videos": "视频", "events": "宣传活动", "people_reached": "活动覆盖人数",
            "video_submissions": "短视频作品", "regions_unlocked": "已解锁地区"}


def check_bulletin(campaign: Campaign, doc: dict, html: str, xlsx: Path) -> list[Check]:
    parameters = {"unit_codes": [u.code for u in campaign.units],
                  "first_day": campaign.start.toordinal(), "last_day": campaign.end.toordinal()}
    return run_checks(SUITE, bulletin_rows(campaign, doc, html, xlsx), parameters)


def bulletin_rows(campaign: Campaign, doc: dict, html: str, xlsx: Path) -> list[dict]:
    reference, names = _reference(doc)
    return [*_units(campaign, doc), *_regions(doc), *_shares(doc), *_sums(doc), *_dates(doc),
            *_figures(reference, names, _html_figures(html)), *_figures(reference, names, _xlsx_figures(doc, xlsx))]


def _reference(doc: dict) -> tuple[dict[str, int | None], dict[str, str]]:
    """Concept -> the document's one value of it, and concept -> how people call it."""
    h, steps = doc["headline"], doc["steps"]
    values = {k: h[k] for k in HEADLINE}
    names = dict(HEADLINE)
    for u in doc["units"]:
        for concept, label in (("unit_steps", "累计报送步数"), ("unit_steps_day", "当日步数"),
                               ("unit_counted_steps", "计入步数")):
            key = f"{concept}:{u['unit']}"
            values[key] = u[concept.removeprefix("unit_")]
            names[key] = f"{u['name']}{label}"
    for r in [*steps["regions"], steps["home"]]:
        for concept, field, label in (("region_group_steps", "group_steps", "合计步数"),
                                      ("region_own_steps", "own_steps", "本地区步数")):
            values[f"{concept}:{r['code']}"] = r[field]
            names[f"{concept}:{r['code']}"] = f"{r['name']}{label}"
    return values, names


def _number(text) -> int | None:
    if text is None:
        return None
    if isinstance(text, (int, float)):
        return int(text)
    digits = str(text).replace(",", "").strip()
    return int(digits) if re.fullmatch(r"-?\d+", digits) else None


def _html_figures(html: str) -> list[tuple[str, str, int | None]]:
    return [("网页", concept, _number(text)) for concept, text in _FIGURE.findall(html)]


def _xlsx_figures(doc: dict, path: Path) -> list[tuple[str, str, int | None]]:
    book = load_workbook(path, read_only=True)
    by_name = {u["name"]: u["unit"] for u in doc["units"]}
    found = []
    labels = dict(overview_rows(doc))
    for label, value in book["概况"].iter_rows(min_row=2, max_col=2, values_only=True):
        if label in labels:
            found.append(("Excel·概况", labels[label], _number(value)))
    for sheet, columns in ((UNIT_SHEET, {"累计报送步数": "unit_steps", "当日步数": "unit_steps_day"}),
                           (SHARE_SHEET, {"报送步数": "unit_steps", "计入步数（7月8日双倍）": "unit_counted_steps"})):
        rows = book[sheet].iter_rows(values_only=True)
        heads = list(next(rows))
        where = {heads.index(h): concept for h, concept in columns.items() if h in heads}
        unit_col = heads.index("单位")
        for row in rows:
            code = by_name.get(row[unit_col]) if len(row) > unit_col else None
            if code is None:
                continue  # total lines and notes
            found += [(f"Excel·{sheet}", f"{concept}:{code}", _number(row[i])) for i, concept in where.items()]
    book.close()
    return found


def _figures(reference: dict, names: dict, found: list[tuple[str, str, int | None]]) -> list[dict]:
    rows = []
    for where, concept, value in found:
        label = f"{where}·{names.get(concept, concept)}"
        if concept not in reference:
            rows.append({"section": "figures", "label": label + "（未知数字）", "value": value, "reference": -1})
        else:
            rows.append({"section": "figures", "label": label, "value": value, "reference": reference[concept]})
    return rows


def _units(campaign: Campaign, doc: dict) -> list[dict]:
    units = doc["units"]
    seen = Counter(u["unit"] for u in units)
    rows = [{"section": "roster", "label": u.display_name, "appearances": seen.get(u.code, 0)}
            for u in campaign.units]
    for u in units:
        ahead = sum(1 for v in units if v["steps"] > u["steps"])  # equal steps share a rank: 1, 2, 2, 4
        rows.append({"section": "units", "label": u["name"], "unit": u["unit"], "rank": u["rank"],
                     "expected_rank": ahead + 1, "steps": u["steps"], "participants": u["participants"]})
    return rows


def _regions(doc: dict) -> list[dict]:
    steps = doc["steps"]
    ordered = sorted(steps["regions"], key=lambda r: (-r["group_steps"], r["code"]))
    position = {r["code"]: i for i, r in enumerate(ordered, start=1)}
    return [{"section": "regions", "label": r["name"], "rank": r["rank"], "expected_rank": position[r["code"]],
             "progress": r["progress"], "expected_progress": round(100 * r["group_steps"] / steps["threshold"], 2)}
            for r in steps["regions"]]


def _shares(doc: dict) -> list[dict]:
    share = doc["home_share"]
    rows = [{"section": "shares", "label": f"会员单位占{share['region']}地区捐步", "share": share["members_share"]}]
    rows += [{"section": "shares", "label": f"{m['name']}占比", "share": m["share"]} for m in share["members"]]
    return rows


def _sums(doc: dict) -> list[dict]:
    h, units, share = doc["headline"], doc["units"], doc["home_share"]

    def row(label: str, parts, total) -> dict:
        return {"section": "sums", "label": label, "value": sum(p or 0 for p in parts), "reference": total}

    rows = [row("各单位累计报送步数之和＝累计报送步数", (u["steps"] for u in units), h["steps"]),
            row("各单位累计人次之和＝累计参与人次", (u["participants"] for u in units), h["participants"]),
            row("各单位计入步数之和＝会员单位计入步数", (u["counted_steps"] for u in units), share["members_steps"]),
            row("累计计入步数＝会员单位计入步数", [h["counted_steps"]], share["members_steps"]),
            row("每日报送步数之和＝累计报送步数", (d["steps"] for d in doc["daily"]), h["steps"]),
            row("每日参与人数之和＝累计参与人次", (d["participants"] for d in doc["daily"]), h["participants"]),
            row("各单位图片之和＝图片", (u["photos"] for u in units), h["photos"]),
            row("各单位视频之和＝视频", (u["videos"] for u in units), h["videos"])]
    if doc["kind"] == "daily":
        rows.append(row("各单位当日步数之和＝当日步数", (u["steps_day"] for u in units), h["steps_day"]))
        rows.append(row("各单位当日人数之和＝当日参与人数", (u["participants_day"] for u in units), h["participants_day"]))
    if share["others_steps"] is not None:
        rows.append(row(f"会员单位＋其他捐步者＝{share['region']}地区捐步", (share["members_steps"], share["others_steps"]),
                        share["region_steps"]))
    for r in doc["steps"]["regions"]:
        rows.append(row(f"{r['name']}本地区＋互助地区＝合计", (r["own_steps"], r["helper_steps"]), r["group_steps"]))
    for r in doc["reports"]:
        rows.append(row(f"{r['title']}：按时＋逾期＋未报＋未截止＋免报＝应报",
                        (r["on_time"], r["late"], r["missing"], r["open"], r["excused"]), r["expected"]))
    return rows


def _dates(doc: dict) -> list[dict]:
    found = [("通报日期", doc["day"]), *(("报送日", d) for d in doc["days"]),
             *((f"{u['name']}解锁日期", u["unlocked_on"]) for u in doc["steps"]["unlocks"])]
    if doc["videos"]:
        found += [("达人榜日期", c["day"]) for c in doc["videos"]["champions"]]
    return [{"section": "dates", "label": f"{label} {value}", "day": date.fromisoformat(value[:10]).toordinal()}
            for label, value in found if value]
