"""Bulletins (通报): content worked out by hand from a small campaign built through real
intake, cut-offs and reproducibility, the HTML in headless Chromium, the charts' CJK font,
injection attempts, the email at a real SMTP server, dry runs and the Prefect task.

The shared campaign (``world``, one per database, its own database so the function-scoped
``env`` tests cannot empty it) — three units report, everyone else never does:

| unit | day | participants | steps | photos | videos | received |
| --- | --- | --- | --- | --- | --- | --- |
| P01 人保财险 | 06-25 | 100 | 1,000,000 | 2 | 1 | 06-25 21:00 (on time) |
| P01 | 06-26 | 120 | 1,500,000 | 3 | 1 | 06-26 22:00 (on time) |
| P01 | 06-26 v2 | 130 | 1,600,000 | 3 | 1 | 06-27 09:30 (correction) |
| P01 | 06-27 | 90 | 800,000 | 1 | 0 | 06-28 11:00 (late, after the 06-27 cut-off) |
| L01 中国人寿 | 06-25 | 200 | 2,500,000 | 5 | 2 | 06-26 10:20 (late, before the cut-off) |
| L01 | 06-26 | 150 | 1,800,000 | 4 | 0 | 06-27 15:00 (late, after the cut-off) |
| L01 | 06-27 | 210 | 2,600,000 | 6 | 3 | 06-27 20:00 |
| C01 长春市协会 | 06-26 | 50 | 600,000 | 1 | 1 | 06-26 18:00 |
| C01 | 06-27 | 60 | 700,000 | 0 | 0 | 06-28 09:00 |

| C01 | 07-08 | 10 | 100,000 | 0 | 0 | 07-09 09:00 (07-08 counts double toward 吉林's share) |

Daily reports are due 10:00 the next day; day D's bulletin knows what arrived by D+1 10:30.

Step data (in the order it arrives, as ``insday.steps`` requires):

| received | what |
| --- | --- |
| 06-26 09:00 | raw records for 06-25: wx_zhangsan_0001 甘肃 12,000; wx_lisi_000002 甘肃 9,000; wx_wangwu_0003 吉林 7,000 (below 7,800) |
| 06-26 09:30 | platform, 06-25: 吉林 40,000,000; 大连 (helps 吉林) 10,000,000; 云南 60,000,000; 北京 (helps 云南) 20,000,000; 甘肃 25,000 (raw: 21,000) |
| 06-27 09:00 | platform, 06-26: 吉林 30,000,000; 大连 10,000,000; 甘肃 10,000 |
| 06-27 09:10 | raw records for 06-26: wx_zhangsan_0001 甘肃 10,000 |
| 06-28 12:00 | platform, 06-27: 吉林 1,000,000 |
| 07-09 09:30 | platform, 07-08: 吉林 2,000,000 (counts double) |
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path

import pytest
from conftest import PG_URL, _drop_postgres_database, _fresh_postgres_database, empty_database
from contracts import check
from filemaker import daily_row, write_csv, write_xlsx
from openpyxl import load_workbook
from reportmaker import BOARD_HEADER, EVENT_HEADER, VIDEO_HEADER, at, event_row, make_zip, summary_members, video_row
from typer.testing import CliRunner

from insday.bulletin import BulletinError, build_bulletin, edition, latest_day, publish_bulletin
from insday.bulletin.editions import previous
from insday.bulletin.data import BulletinDocument, Changes
from insday.bulletin.publish import BulletinReport, DecisionReport, decide_bulletin
from insday.cli import app
from insday.db import get_engine, session_scope
from insday.db.migrate import load_reference_data, upgrade
from insday.env import Env
from insday.intake.service import ingest_paths
from insday.paths import SHIPPED_CAMPAIGN
from insday.settings import Settings, get_settings

EVIL_TITLE = '=HYPERLINK("http://evil.example","点我")'
EVIL_AUTHOR = "<img src=x onerror=alert(1)>"
MEMBERS = 63


def ingest(env, folder: Path, when: str, *files: tuple[str, list[list], list[str] | None]) -> None:
    """Files named ``*.csv`` are written as CSV (how a text starting with = arrives as text), others as xlsx."""
    paths = [(write_csv if name.endswith(".csv") else write_xlsx)(folder / name, rows, **({"header": header} if header else {}))
             for name, rows, header in files]
    results = ingest_paths(env, paths, received_at=at(when), receipts=False)
    assert [r.status for r in results] == ["accepted"] * len(paths), [r.errors for r in results]


def daily(name, unit, day, participants, steps, photos, videos):
    return (name, [daily_row(day=day, unit=unit, participants=participants, steps=steps, photos=photos,
                             videos=videos)], None)


def steps_file(folder: Path, name: str, lines: list[str]) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def raw_steps(env, folder: Path, when: str, name: str, *records: str) -> None:
    from insday.steps import import_donations

    import_donations(env, steps_file(folder, name, ["donated_at,participant_id,region,steps", *records]),
                     received_at=at(when))


def pulled_steps(env, folder: Path, when: str, name: str, day: str, regions: dict[str, int]) -> None:
    from insday.steps import import_aggregates_file

    lines = ["日期,地区,步数", *(f"{day},{region},{steps}" for region, steps in regions.items())]
    import_aggregates_file(env, steps_file(folder, name, lines), received_at=at(when))


def build_world(env: Env, folder: Path) -> None:
    raw_steps(env, folder, "2019-06-26 09:00", "raw25.csv", "2019-06-25 08:00:00,wx_zhangsan_0001,甘肃,12000",
              "2019-06-25 09:00:00,wx_lisi_000002,甘肃,9000", "2019-06-25 10:00:00,wx_wangwu_0003,吉林,7000")
    pulled_steps(env, folder, "2019-06-26 09:30", "pull25.csv", "2019-06-25",
                 {"吉林": 40_000_000, "大连": 10_000_000, "云南": 60_000_000, "北京": 20_000_000, "甘肃": 25_000})
    pulled_steps(env, folder, "2019-06-27 09:00", "pull26.csv", "2019-06-26",
                 {"吉林": 30_000_000, "大连": 10_000_000, "甘肃": 10_000})
    raw_steps(env, folder, "2019-06-27 09:10", "raw26.csv", "2019-06-26 08:00:00,wx_zhangsan_0001,甘肃,10000")
    pulled_steps(env, folder, "2019-06-28 12:00", "pull27.csv", "2019-06-27", {"吉林": 1_000_000})
    pulled_steps(env, folder, "2019-07-09 09:30", "pull08.csv", "2019-07-08", {"吉林": 2_000_000})
    ingest(env, folder, "2019-06-24 12:00",
           ("v.csv", [video_row(title=EVIL_TITLE, author=EVIL_AUTHOR, link="https://v.douyin.com/evil/",
                                 day="2019-06-23")], VIDEO_HEADER))
    ingest(env, folder, "2019-06-25 21:00", daily("p25.xlsx", "人保财险", "2019-06-25", 100, 1_000_000, 2, 1))
    ingest(env, folder, "2019-06-26 10:20", daily("l25.xlsx", "中国人寿", "2019-06-25", 200, 2_500_000, 5, 2))
    ingest(env, folder, "2019-06-26 18:00", daily("c26.xlsx", "长春市协会", "2019-06-26", 50, 600_000, 1, 1))
    ingest(env, folder, "2019-06-26 20:00",
           ("e1.xlsx", [event_row(day="2019-06-26", unit="人保财险", kind="进学校", people=300, materials=500)],
            EVENT_HEADER))
    board = [["2019-06-26", 1, "理赔小故事", "人保财险", "张三", 900, "https://v.example.org/1"],
             ["2019-06-26", 2, EVIL_TITLE, "中国人寿", EVIL_AUTHOR, 800, "javascript:alert(1)"],
             ["2019-06-26", 3, "扶贫路上", "长春市协会", "孙七", 300, None]]
    ingest(env, folder, "2019-06-26 22:00", daily("p26.xlsx", "人保财险", "2019-06-26", 120, 1_500_000, 3, 1),
           ("board26.csv", board, BOARD_HEADER))
    ingest(env, folder, "2019-06-27 09:30", daily("p26b.xlsx", "人保财险", "2019-06-26", 130, 1_600_000, 3, 1))
    ingest(env, folder, "2019-06-27 15:00", daily("l26.xlsx", "中国人寿", "2019-06-26", 150, 1_800_000, 4, 0))
    ingest(env, folder, "2019-06-27 20:00", daily("l27.xlsx", "中国人寿", "2019-06-27", 210, 2_600_000, 6, 3))
    ingest(env, folder, "2019-06-28 09:00", daily("c27.xlsx", "长春市协会", "2019-06-27", 60, 700_000, 0, 0))
    ingest(env, folder, "2019-06-28 11:00", daily("p27.xlsx", "人保财险", "2019-06-27", 90, 800_000, 1, 0))
    ingest(env, folder, "2019-07-09 09:00", daily("c08.xlsx", "长春市协会", "2019-07-08", 10, 100_000, 0, 0))
    ingest(env, folder, "2019-06-28 12:00",
           ("e2.xlsx", [event_row(day="2019-06-27", unit="中国人寿", kind="媒体", place="吉林日报", people=1000,
                                  materials=0, links="https://news.example.org/1")], EVENT_HEADER))
    [summary] = ingest_paths(env, [make_zip(folder / "人保财险7.8活动总结.zip", summary_members())],
                             received_at=at("2019-07-12 15:00"), receipts=False)
    assert summary.status == "accepted", summary.errors
    [late] = ingest_paths(env, [make_zip(folder / "长春市协会活动总结.zip", summary_members("长春市协会活动总结/"))],
                          received_at=at("2019-07-12 18:00"), receipts=False)
    assert late.status == "accepted", late.errors


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request, tmp_path_factory):
    """The campaign of the module docstring, in a database of its own, built once per kind."""
    folder = tmp_path_factory.mktemp("world")
    if request.param == "postgresql":
        if not PG_URL:
            pytest.skip("INSDAY_TEST_DATABASE_URL is not set")
        name = f"insday_test_bulletin_{os.getpid()}"
        url = _fresh_postgres_database(PG_URL, name)
    else:
        url = f"sqlite:///{folder / 'world.db'}"
    upgrade(get_engine(url))
    empty_database(url)
    env = Env(Settings(home=folder / "home", database_url=url, campaign=SHIPPED_CAMPAIGN),
              load_reference_campaign(url))
    build_world(env, folder / "files")
    yield env
    if request.param == "postgresql":
        _drop_postgres_database(PG_URL, name)


def load_reference_campaign(url: str):
    from insday.campaign import get_campaign

    campaign = get_campaign(SHIPPED_CAMPAIGN)
    with session_scope(get_engine(url)) as s:
        load_reference_data(s, campaign)
    return campaign


def unit_row(doc: dict, code: str) -> dict:
    return next(u for u in doc["units"] if u["unit"] == code)


def report(doc: dict, deadline_id: str) -> dict:
    return next(r for r in doc["reports"] if r["id"] == deadline_id)


# ----- editions and cut-offs ----------------------------------------------------------------


def test_each_bulletin_has_its_cut_off_from_the_campaign(campaign):
    d26 = edition(campaign, date(2019, 6, 26))
    assert d26.cutoff == at("2019-06-27 10:30") and d26.key == "2019-06-26" and not d26.final
    final = edition(campaign, None, final=True)
    assert (final.day, final.cutoff, final.key) == (date(2019, 7, 12), at("2019-07-12 17:00"), "final")
    assert previous(campaign, edition(campaign, date(2019, 6, 25))) is None
    assert previous(campaign, d26).day == date(2019, 6, 25)
    assert previous(campaign, final).day == date(2019, 7, 8)
    assert latest_day(campaign, at("2019-06-27 10:29")) == date(2019, 6, 25)
    assert latest_day(campaign, at("2019-06-27 10:30")) == date(2019, 6, 26)
    assert latest_day(campaign, at("2019-06-26 10:29")) is None
    with pytest.raises(BulletinError, match="不是活动报送日"):
        edition(campaign, date(2019, 7, 9))
    with pytest.raises(BulletinError, match="总通报的日期"):
        edition(campaign, date(2019, 7, 8), final=True)


# ----- content -------------------------------------------------------------------------------


def test_daily_bulletin_figures_match_the_hand_count(world):
    doc = build_bulletin(world, date(2019, 6, 26))
    assert doc["as_of"] == "2019-06-27T10:30:00+08:00" and not doc["what_if"]
    assert doc["title"].endswith("通报（第2期·6月26日）")
    h = doc["headline"]
    # known by 06-27 10:30: P01 06-25, P01 06-26 v2 (the correction), L01 06-25, C01 06-26
    assert (h["units"], h["units_reporting"], h["participants_day"], h["steps_day"]) == (MEMBERS, 2, 180, 2_200_000)
    assert (h["participants"], h["steps"], h["photos"], h["videos"]) == (480, 5_700_000, 11, 5)
    assert (h["events"], h["people_reached"], h["video_submissions"]) == (1, 300, 1)

    p01, l01, c01 = (unit_row(doc, c) for c in ("P01", "L01", "C01"))
    assert (p01["rank"], p01["participants"], p01["steps"], p01["steps_day"], p01["photos"]) == (1, 230, 2_600_000,
                                                                                               1_600_000, 5)
    assert (l01["rank"], l01["steps"], l01["steps_day"]) == (2, 2_500_000, None)  # nothing for 06-26 by the cut-off
    assert (c01["rank"], c01["steps"]) == (3, 600_000)
    assert {u["rank"] for u in doc["units"][3:]} == {4} and [u["unit"] for u in doc["units"][:3]] == ["P01", "L01", "C01"]
    # deadlines closed by the cut-off: daily 06-25 and 06-26, the scoring sheet (companies only, nobody sent one)
    assert (p01["on_time"], p01["late"], p01["missing"]) == (2, 0, 1)
    assert (l01["on_time"], l01["late"], l01["missing"]) == (0, 1, 2)
    assert (c01["on_time"], c01["late"], c01["missing"]) == (1, 0, 1)
    assert [r["id"] for r in doc["reports"] if r["this_edition"]] == ["daily_report:2019-06-26"]
    d26 = report(doc, "daily_report:2019-06-26")
    assert (d26["expected"], d26["on_time"], d26["late"], d26["missing"]) == (MEMBERS, 2, 0, MEMBERS - 2)
    assert "L01" in d26["missing_units"] and report(doc, "daily_report:2019-06-25")["late_units"] == ["L01"]

    lm = {u["unit"]: u for u in doc["late_missing"]}
    assert lm["L01"]["late"] == ["每日参与情况（6月25日）"]
    assert lm["L01"]["missing"] == ["征文打分表（附件3-1）", "每日参与情况（6月26日）"]  # by due time
    assert lm["L01"]["phone"] == "138****0400" and lm["P01"]["phone"] == "0431-****5821"
    assert "P01" in lm and lm["P01"]["late"] == []

    c = doc["changes"]  # against 06-25's bulletin (06-26 10:30): P01 06-25 and L01 06-25 were known then
    assert c["previous"]["day"] == "2019-06-25"
    assert (c["participants"], c["steps"], c["photos"], c["videos"], c["events"]) == (180, 2_200_000, 4, 2, 1)
    missing = {(x["unit"], x["deadline"]) for x in c["became_missing"]}
    assert len(missing) == MEMBERS - 2 and ("L01", "daily_report:2019-06-26") in missing
    assert c["caught_up"] == [] and c["became_late"] == []

    s = doc["steps"]  # the platform's figures where it has them; 甘肃 06-25 disagrees with the raw records
    assert [(r["rank"], r["name"], r["own_steps"], r["helper"], r["helper_steps"], r["group_steps"], r["progress"],
             r["unlocked_on"], r["change"]) for r in s["regions"][:3]] == [
        (1, "吉林", 70_000_000, "大连", 20_000_000, 90_000_000, 115.38, "2019-06-26", 40_000_000),
        (2, "云南", 60_000_000, "北京", 20_000_000, 80_000_000, 102.56, "2019-06-25", 0),
        (3, "甘肃", 35_000, "浙江", 0, 35_000, 0.04, None, 10_000)]
    assert len(s["regions"]) == 22 and {r["group_steps"] for r in s["regions"][3:]} == {0}
    assert s["unlocks"] == [{"name": "云南", "unlocked_on": "2019-06-25"}, {"name": "吉林", "unlocked_on": "2019-06-26"}]
    assert c["newly_unlocked"] == [{"name": "吉林", "unlocked_on": "2019-06-26"}]
    assert (h["regions_unlocked"], h["home_region"]["name"], h["home_region"]["progress"]) == (2, "吉林", 115.38)
    assert s["badges"] == {"first_donation": 2, "five_donations": 0, "ten_consecutive_days": 0}
    assert s["top"] == [{"rank": 1, "participant": "wx_****001", "steps": 22_000},
                        {"rank": 2, "participant": "wx_****002", "steps": 9_000}]
    assert s["reconcile"] == {"mismatches": 1, "rows": [{"region": "甘肃", "day": "2019-06-25", "raw_steps": 21_000,
                                                          "pulled_steps": 25_000}]}
    share = doc["home_share"]  # members' reported steps / 吉林's own 70,000,000
    assert (share["region"], share["region_steps"], share["members_steps"], share["others_steps"]) == (
        "吉林", 70_000_000, 5_700_000, 64_300_000)
    assert [(m["unit"], m["steps"], m["share"]) for m in share["members"]] == [
        ("P01", 2_600_000, 3.71), ("L01", 2_500_000, 3.57), ("C01", 600_000, 0.86)]
    assert share["members_share"] == 8.14

    v = doc["videos"]  # the 06-26 board: champion 理赔小故事
    assert v["day"] == "2019-06-26" and [e["rank"] for e in v["entries"]] == [1, 2, 3]
    assert (v["champion"]["title"], v["champion"]["author"], v["champion"]["unit_name"]) == ("理赔小故事", "张三", "人保财险")
    assert v["entries"][1]["link"] is None and v["entries"][0]["link"] == "https://v.example.org/1"


def test_next_day_shows_late_arrivals_as_caught_up(world):
    doc = build_bulletin(world, date(2019, 6, 27))
    h = doc["headline"]
    # new by 06-28 10:30: L01 06-26 (late), L01 06-27, C01 06-27; P01 06-27 arrives at 11:00
    assert (h["units_reporting"], h["participants_day"], h["steps_day"]) == (2, 270, 3_300_000)
    assert (h["participants"], h["steps"]) == (900, 10_800_000)
    c = doc["changes"]
    check(json.loads(json.dumps(doc)), BulletinDocument)
    check(c, Changes)
    assert (c["participants"], c["steps"]) == (420, 5_100_000)
    assert [(x["unit"], x["deadline"]) for x in c["caught_up"]] == [("L01", "daily_report:2019-06-26")]
    assert c["became_late"] == []
    assert ("P01", "daily_report:2019-06-27") in {(x["unit"], x["deadline"]) for x in c["became_missing"]}
    assert unit_row(doc, "L01")["rank"] == 1 and unit_row(doc, "L01")["steps"] == 6_900_000
    assert doc["videos"]["entries"] == [] and [ch["day"] for ch in doc["videos"]["champions"]] == ["2019-06-26"]
    assert doc["headline"]["events"] == 1  # L01's media event arrived 06-28 12:00


def test_final_bulletin_covers_the_whole_campaign_and_the_summaries(world):
    doc = build_bulletin(world, None, final=True)
    check(json.loads(json.dumps(doc)), BulletinDocument)
    assert doc["kind"] == "final" and doc["as_of"] == "2019-07-12T17:00:00+08:00" and doc["title"].endswith("总结通报")
    h = doc["headline"]
    assert (h["units_reporting"], h["participants"], h["steps"]) == (3, 1000, 11_700_000)
    assert h["participants_day"] is None and h["events"] == 2
    own = [r for r in doc["reports"] if r["this_edition"]]
    assert [r["id"] for r in own] == ["summary"]  # the one deadline closed after the 07-08 bulletin
    assert (own[0]["on_time"], own[0]["missing"]) == (1, MEMBERS - 1)  # C01's summary came at 18:00
    p01 = unit_row(doc, "P01")
    # daily 06-25, 06-26 and the summary on time; 06-27 late; 06-28..07-08 (11), scoring sheet, indicators missing
    assert (p01["on_time"], p01["late"], p01["missing"]) == (3, 1, 13)
    assert doc["changes"]["previous"]["day"] == "2019-07-08"
    # 吉林: 40M + 30M + 1M + 2M x 2 (07-08); C01's 07-08 report counts double too
    share = doc["home_share"]
    assert (share["region_steps"], share["members_steps"], share["members_share"]) == (75_000_000, 11_800_000, 15.73)
    # a unit's reported steps are its reported steps in every section; counted, 07-08 is double
    assert [(m["unit"], m["steps"], m["counted_steps"], m["share"]) for m in share["members"]] == [
        ("L01", 6_900_000, 6_900_000, 9.2), ("P01", 3_400_000, 3_400_000, 4.53), ("C01", 1_400_000, 1_500_000, 2.0)]
    assert {m["unit"]: m["steps"] for m in share["members"]} == {u["unit"]: u["steps"] for u in doc["units"] if u["steps"]}
    assert (h["steps"], h["counted_steps"]) == (11_700_000, share["members_steps"])
    assert [e["title"] for e in doc["videos"]["entries"]] == ["理赔小故事", EVIL_TITLE, "扶贫路上"]


# ----- publication: files, HTML in Chromium, charts, injection -------------------------------


def approved(env: Env, day: date) -> dict:
    """Build the bulletin of ``day`` and approve it as the contact person would: it is published."""
    built = publish_bulletin(env, day)
    assert built["approval"]["state"] == "pending" and not built["published"]
    decided = decide_bulletin(env, edition(env.campaign, day), approve=True, actor="刘璐")
    return {**built, **decided}


@pytest.fixture(scope="module")
def published(world):
    return approved(world, date(2019, 6, 26))


def test_files_and_the_list_of_bulletins(world, published):
    folder = world.public_dir / "2019-06-26"
    assert published["folder"] == str(folder)
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")) == [
        "bulletin.json", "bulletin.md", "bulletin.xlsx", "charts", "charts/regions.png", "charts/trend.png",
        "charts/units.png", "index.html"]
    approved(world, date(2019, 6, 25))
    listing = (world.public_dir / "index.html").read_text(encoding="utf-8")
    assert listing.index('href="2019-06-26/index.html"') < listing.index('href="2019-06-25/index.html"')
    assert "第2期·6月26日" in listing and "5,700,000" in listing
    assert "年度主题：爱国爱家，从一份保障开始" in listing
    html = (folder / "index.html").read_text(encoding="utf-8")
    assert 'name="viewport"' in html and "overflow-x: auto" in html and "src=\"data:image/png;base64," in html
    assert '<p class="meta">年度主题：爱国爱家，从一份保障开始</p>' in html  # the theme under every title
    assert "查看当日图片视频" not in html  # no gallery field in the document: no link
    assert not re.search(r"<(link|script)\b", html)  # self-contained: no stylesheet or script to fetch
    md = (folder / "bulletin.md").read_text(encoding="utf-8")
    assert "![会员单位累计步数排名](charts/units.png)" in md and "| 1 | 人保财险 | 130 | 1,600,000 |" in md
    assert "· 年度主题：爱国爱家，从一份保障开始\n" in md

    book = load_workbook(folder / "bulletin.xlsx")
    assert book.sheetnames[:2] == ["概况", "单位明细"] and "报送情况" in book.sheetnames
    ws = book["单位明细"]
    assert ws.freeze_panes == "A2"
    assert [c.value for c in ws[2]] == [1, "人保财险", "财产险", 130, 1_600_000, 230,
                                        2_600_000, 5, 2, 2, 2, 0, 1]
    assert ws.cell(row=2, column=5).number_format == "#,##0" and ws.column_dimensions["B"].width >= 12


def chromium(*args: str, tmp: Path) -> subprocess.CompletedProcess:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        pytest.skip("chromium is not installed")
    profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
    return subprocess.run([binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                           "--disable-component-update", "--no-first-run", "--disable-sync",
                           f"--user-data-dir={profile}", *args], capture_output=True, text=True, timeout=300,
                          check=True)


@pytest.mark.slow
def test_html_renders_in_chromium_at_phone_width(world, published, artifacts_dir, tmp_path):
    from insday.charts import font_path

    page = Path(published["files"]["html"])
    # This machine has no Chinese system font (phones do): give Chromium the bundled one.
    face = f"<style>@font-face {{ font-family: 'Noto Sans CJK SC'; src: url('{font_path().as_uri()}'); }}</style>"
    shown = tmp_path / "page.html"
    shown.write_text(page.read_text(encoding="utf-8").replace("</head>", face + "</head>", 1), encoding="utf-8")
    kind = world.engine.dialect.name
    shot = artifacts_dir / f"bulletin-2019-06-26-{kind}.png"
    # the virtual time budget lets the page load (the 16 MB font, the charts) before the shot
    chromium(f"--screenshot={shot}", "--window-size=420,2400", "--hide-scrollbars", "--virtual-time-budget=20000",
             "--run-all-compositor-stages-before-draw", shown.as_uri(), tmp=tmp_path)
    from PIL import Image

    with Image.open(shot) as image:
        assert image.size == (420, 2400)
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
    assert len(colours) > 1000  # text, cards and the chart, not an empty page
    dom = chromium("--dump-dom", page.as_uri(), tmp=tmp_path).stdout
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", dom.split("<body>")[1]))
    for figure in ("2 / 63", "180", "2,200,000", "5,700,000", "11 / 5", "人保财险", "1,600,000", "理赔小故事",
                   "数据截至 2019年6月27日 10:30", "新增报送步数", "未报送", "吉林地区捐步进度", "115.38%", "90,000,000",
                   "吉林（6月26日）", "8.14%", "wx_****001", "新增未报（每日参与情况（6月26日））：61 家"):
        assert figure in text, figure
    assert "<img src=x onerror" not in dom and "&lt;img src=x onerror=alert(1)&gt;" in dom
    assert "javascript:" not in dom


def test_charts_draw_chinese_with_the_bundled_font(published):
    from PIL import Image

    from insday.charts import missing_glyphs

    for path in map(Path, published["files"]["charts"]):
        with Image.open(path) as img:
            assert img.format == "PNG" and img.width >= 900
            assert set(img.info) <= {"dpi"}  # no software/time metadata: the same figure, the same bytes
    titles = "每日报送步数与参与人数会员单位累计步数排名重点扶贫地区捐步进度解锁线万步绿色为已解锁人保财险中国人寿长春协会"
    assert missing_glyphs(titles) == []


def test_injection_is_escaped_and_never_a_formula(world, published):
    folder = Path(published["folder"])
    html = (folder / "index.html").read_text(encoding="utf-8")
    assert EVIL_AUTHOR not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "javascript:" not in html and 'href="https://v.example.org/1"' in html
    md = (folder / "bulletin.md").read_text(encoding="utf-8")
    assert EVIL_AUTHOR not in md and r"\<img src=x onerror=alert(1)\>" in md
    book = load_workbook(folder / "bulletin.xlsx")
    cells = [c for ws in book for row in ws.iter_rows() for c in row]
    assert not any(c.data_type == "f" for c in cells)
    evil = [c for c in cells if c.value == EVIL_TITLE]
    assert evil and all(c.data_type == "s" and c.quotePrefix for c in evil)
    assert not any(c.value == "javascript:alert(1)" for c in cells)


def test_published_files_show_no_phone_number_or_participant_id(world, published):
    from insday.steps import step_summary

    assert step_summary(world, at("2019-06-27 10:30"))["top"]  # there are participants to hide
    folder = Path(published["folder"])
    book = load_workbook(folder / "bulletin.xlsx")
    texts = [(folder / n).read_text(encoding="utf-8") for n in ("index.html", "bulletin.md", "bulletin.json")]
    texts.append("\n".join(str(c.value) for ws in book for row in ws.iter_rows() for c in row if c.value))
    for text in texts:
        assert "wx_zhangsan_0001" not in text and "wx_lisi_000002" not in text
        assert "0431-83415821" not in text and "13893700400" not in text  # P01's and L01's contacts
    assert "0431-****5821" in texts[0] and "138****0400" in texts[3]


# ----- reproducibility, what-if, dry run, email -----------------------------------------------


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_bulletin_built_again_after_later_data_is_the_same(env, tmp_path):
    ingest(env, tmp_path, "2019-06-26 21:00", daily("p26.xlsx", "人保财险", "2019-06-26", 120, 1_500_000, 3, 1))
    pulled_steps(env, tmp_path, "2019-06-27 09:00", "pull.csv", "2019-06-26", {"吉林": 50_000_000})
    first = approved(env, date(2019, 6, 26))
    before = files_of(Path(first["folder"]))
    assert first["folder"] == str(env.public_dir / "2019-06-26")
    ingest(env, tmp_path, "2019-06-27 11:00", daily("p26b.xlsx", "人保财险", "2019-06-26", 999, 9_999_999, 9, 9),
           daily("l26.xlsx", "中国人寿", "2019-06-26", 150, 1_800_000, 4, 0))
    pulled_steps(env, tmp_path, "2019-06-27 11:30", "pull2.csv", "2019-06-26", {"吉林": 80_000_000})
    again = publish_bulletin(env, date(2019, 6, 26))  # the same figures: the approved version, published again
    assert again["published"] and again["approval"]["by"] == "刘璐" and again["folder"] == first["folder"]
    assert files_of(Path(again["folder"])) == before  # byte for byte: HTML, Markdown, JSON, xlsx, PNG
    assert again["headline"]["steps"] == 1_500_000 and again["headline"]["home_region"]["group_steps"] == 50_000_000

    what_if = publish_bulletin(env, date(2019, 6, 26), as_of=at("2019-06-27 12:00"))
    assert what_if["what_if"] and what_if["headline"]["steps"] == 9_999_999 + 1_800_000
    assert what_if["headline"]["home_region"]["unlocked_on"] == "2019-06-26"  # the later pull unlocks 吉林
    assert what_if["folder"] == str(env.settings.path("what-if", "jilin-2019", "2019-06-26"))
    assert "模拟通报" in (Path(what_if["folder"]) / "index.html").read_text(encoding="utf-8")
    assert files_of(Path(first["folder"])) == before  # the published one is untouched
    with pytest.raises(BulletinError, match="不发送"):
        publish_bulletin(env, date(2019, 6, 26), as_of=at("2019-06-27 12:00"), send=True)


def run_cli(*args: str):
    result = CliRunner().invoke(app, ["bulletin", *args])
    return result


def test_email_reaches_every_contact_once_with_inline_charts_and_the_workbook(env, tmp_path, smtp_server, monkeypatch):
    for key, value in smtp_server.settings_env().items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    ingest(env, tmp_path, "2019-06-26 21:00", daily("p26.xlsx", "人保财险", "2019-06-26", 120, 1_500_000, 3, 1))

    result = run_cli("--date", "2019-06-26", "--send", "--json")  # not yet approved: nothing for the units
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    check(out, BulletinReport)
    assert out["approval"] == {"state": "pending", "by": None, "at": None, "note": None} and not out["published"]
    assert out["mail"]["queued"] == 0 and out["mail"]["awaiting"] == "待审批" and out["delivery"] is None
    assert [c["success"] for c in out["checks"]] == [True] * len(out["checks"]) and len(out["checks"]) >= 10
    assert not smtp_server.messages and not (env.public_dir / "2019-06-26").exists()

    decided = CliRunner().invoke(app, ["bulletin", "approve", "2019-06-26", "--note", "数字已核对", "--json"])
    assert decided.exit_code == 0, decided.output
    out = json.loads(decided.stdout)
    check(out, DecisionReport)
    assert out["approval"]["state"] == "approved" and out["approval"]["note"] == "数字已核对"
    assert out["mail"] == {"queued": MEMBERS + 1, "exists": 0, "planned": 0, "unreachable": []}
    sent = CliRunner().invoke(app, ["send", "--json"])  # the next send takes the bulletin and the approval request
    assert sent.exit_code == 0, sent.output
    assert json.loads(sent.stdout)["sent"] == MEMBERS + 2 and len(smtp_server.messages) == MEMBERS + 2
    [request] = [m for m in smtp_server.messages if m["X-Insday-Kind"] == "approval"]
    assert request["Subject"] == "【待审批】" + out["title"] and request["To"].addresses[0].addr_spec == \
        env.campaign.association.email
    assert {p.get_filename() for p in request.iter_attachments()} == {"index.html", "bulletin.xlsx"}
    bulletins = [m for m in smtp_server.messages if m["X-Insday-Kind"] == "bulletin"]
    to = sorted(m["To"].addresses[0].addr_spec for m in bulletins)
    assert to == sorted([u.email for u in env.campaign.units] + [env.campaign.association.email])

    message = next(m for m in smtp_server.messages if "hongmei.cheng@picc-p.example.com" in m["To"])
    assert message["Subject"].startswith("【通报】") and message["X-Insday-Kind"] == "bulletin"
    html = message.get_body(("html",)).get_content()
    assert 'src="cid:trend.png"' in html and 'src="cid:units.png"' in html and "1,500,000" in html
    images = {p["Content-ID"].strip("<>"): p for p in message.walk() if p.get_content_type() == "image/png"}
    assert set(images) >= {"trend.png", "units.png"}
    assert images["units.png"].get_content() == (Path(out["folder"]) / "charts" / "units.png").read_bytes()
    [attached] = [p for p in message.iter_attachments() if p.get_filename().endswith(".xlsx")]
    assert attached.get_filename() == "活动通报（6月26日）.xlsx"
    assert attached.get_content() == (Path(out["folder"]) / "bulletin.xlsx").read_bytes()

    again = run_cli("--date", "2019-06-26", "--send", "--json")
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["mail"]["exists"] == MEMBERS + 1 and len(smtp_server.messages) == MEMBERS + 2


def test_dry_run_writes_aside_and_sends_nothing(env, tmp_path):
    ingest(env, tmp_path, "2019-06-26 21:00", daily("p26.xlsx", "人保财险", "2019-06-26", 120, 1_500_000, 3, 1))
    result = publish_bulletin(env, date(2019, 6, 26), send=True, dry_run=True)
    check(json.loads(json.dumps(result, default=str)), BulletinReport)
    assert result["folder"] == str(env.settings.path("dry-run", "jilin-2019", "2019-06-26"))
    assert (env.settings.path("dry-run", "jilin-2019") / "index.html").exists() and not env.public_dir.exists()
    assert result["mail"] == {"queued": 0, "exists": 0, "planned": MEMBERS + 1, "unreachable": []}
    with session_scope(env.engine) as s:
        from sqlalchemy import func, select

        from insday.db.models.mail import OutboxMessage

        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_cli_picks_the_latest_day_and_refuses_what_cannot_be(env):
    result = run_cli("--as-of", "2019-06-28T12:00", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["day"] == "2019-06-27" and out["what_if"] and out["folder"].endswith("what-if/jilin-2019/2019-06-27")
    assert run_cli("--date", "2019-07-20").exit_code == 2
    assert run_cli("--date", "06/26").exit_code == 2
    assert run_cli("--final", "--date", "2019-07-08").exit_code == 2
    assert run_cli("--as-of", "2019-06-20T12:00").exit_code == 2  # no bulletin yet
    refused = run_cli("--date", "2019-06-26", "--as-of", "2019-06-27T12:00", "--send")
    assert refused.exit_code == 2 and "不发送" in refused.output


# ----- the Prefect task --------------------------------------------------------------------


@pytest.mark.usefixtures("prefect_harness")
def test_prefect_task_publishes_and_creates_its_artifacts(env, tmp_path, monkeypatch):
    monkeypatch.setenv("INSDAY_AUTO_APPROVE", "true")  # as a replay does: approved at once, and said so
    get_settings.cache_clear()
    from prefect import flow
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    from insday.tasks.bulletin import publish_bulletin as task

    @flow
    def run(as_of: datetime) -> dict:
        return task(date(2019, 6, 26), as_of)

    ingest(env, tmp_path, "2019-06-26 21:00", daily("p26.xlsx", "人保财险", "2019-06-26", 120, 1_500_000, 3, 1))
    result = run(at("2019-06-27 10:30"))
    assert result["mail"]["queued"] == MEMBERS + 1 and "bulletin" not in result
    assert result["approval"]["state"] == "approved" and "INSDAY_AUTO_APPROVE" in result["approval"]["by"]
    page = html.unescape(Path(result["files"]["html"]).read_text(encoding="utf-8"))
    assert result["title"] in page and "人保财险" in page  # the page published is the approved bulletin
    with get_client(sync_client=True) as client:
        [md] = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["jilin-2019-daily-bulletin"])),
                                     sort="CREATED_DESC", limit=1)
        [table] = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["jilin-2019-daily-bulletin-units"])),
            sort="CREATED_DESC", limit=1)
    assert md.type == "markdown" and "第2期·6月26日" in md.data and "| 1 | 人保财险 | 120 | 1,500,000 |" in md.data
    rows = json.loads(table.data) if isinstance(table.data, str) else table.data
    assert rows[0]["单位"] == "人保财险" and rows[0]["累计报送步数"] == 1_500_000 and len(rows) == MEMBERS

    early = run(at("2019-06-27 10:15"))  # a replay before the cut-off: what-if, not sent
    assert early["what_if"] and early["mail"] is None


# ----- the bulletin's own expectations (expectations/outputs/bulletin.json) --------------------


def _failed(checks) -> dict[str, str]:
    return {c.expectation: c.detail for c in checks if not c.success}


def test_a_published_bulletin_passes_every_check(world, published):
    from insday.bulletin.checks import check_bulletin

    folder = Path(published["folder"])
    doc = json.loads((folder / "bulletin.json").read_text(encoding="utf-8"))
    checks = check_bulletin(world.campaign, doc, (folder / "index.html").read_text(encoding="utf-8"),
                            folder / "bulletin.xlsx")
    assert len(checks) == 11 and _failed(checks) == {}
    assert published["checks"] == [c.as_dict() for c in checks]  # what the approval was asked on


@pytest.mark.parametrize("spoil, expectation, named", [
    (lambda d: d["home_share"].update(members_share=120.0), "占比在 0% 至 100% 之间", "会员单位占吉林地区捐步"),
    (lambda d: d["headline"].update(steps=d["headline"]["steps"] + 1), "各部分之和等于合计", "各单位累计报送步数之和"),
    (lambda d: d["units"][1].update(rank=3), "单位排名连续且与累计报送步数一致", "中国人寿"),
    (lambda d: d["units"].__setitem__(2, dict(d["units"][0])), "每个会员单位出现且只出现一次", "人保财险"),
    (lambda d: d["steps"]["regions"][0].update(progress=99.0), "地区进度与合计步数一致", "吉林"),
    (lambda d: d["days"].append("2019-08-01"), "日期均在活动期间内", "2019-08-01"),
], ids=["share-over-100", "parts-vs-total", "rank-gap", "unit-doubled", "progress", "date-outside"])
def test_each_kind_of_bad_figure_fails_its_expectation(world, published, spoil, expectation, named):
    from insday.bulletin.checks import check_bulletin

    folder = Path(published["folder"])
    doc = json.loads((folder / "bulletin.json").read_text(encoding="utf-8"))
    spoil(doc)
    failed = _failed(check_bulletin(world.campaign, doc, (folder / "index.html").read_text(encoding="utf-8"),
                                    folder / "bulletin.xlsx"))
    assert expectation in failed and named in failed[expectation], failed


def test_a_figure_that_differs_between_page_workbook_and_document_fails(world, published, tmp_path):
    from insday.bulletin.checks import check_bulletin

    folder = Path(published["folder"])
    doc = json.loads((folder / "bulletin.json").read_text(encoding="utf-8"))
    html = (folder / "index.html").read_text(encoding="utf-8")
    assert '<span data-figure="unit_steps:P01">2,600,000</span>' in html  # the unit table and the share table
    html = html.replace('<span data-figure="unit_steps:P01">2,600,000</span>',
                        '<span data-figure="unit_steps:P01">2,700,000</span>', 1)
    book = load_workbook(folder / "bulletin.xlsx")
    book["概况"]["B6"] = 1  # 当日参与人数 as the workbook would show it
    book.save(tmp_path / "b.xlsx")
    failed = _failed(check_bulletin(world.campaign, doc, html, tmp_path / "b.xlsx"))
    assert set(failed) == {"各部分、各格式（网页、Excel）数字一致"}
    assert "网页·人保财险累计报送步数" in failed["各部分、各格式（网页、Excel）数字一致"]
    assert "Excel·概况·当日参与人数" in failed["各部分、各格式（网页、Excel）数字一致"]


def test_a_bulletin_that_fails_its_checks_is_kept_back_and_the_association_told(env, tmp_path):
    """Reports of a unit the roster no longer lists still count in the day's totals but not in
    the unit table: the parts no longer add up, so nothing goes out."""
    from insday.campaign import load_campaign
    from insday.db.models import Approval
    from insday.db.models.mail import OutboxMessage
    from insday.publishing.approval import ApprovalError
    from sqlalchemy import select

    ingest(env, tmp_path, "2019-06-26 21:00", daily("p26.xlsx", "人保财险", "2019-06-26", 120, 1_500_000, 3, 1),
           daily("l26.xlsx", "富德生命人寿", "2019-06-26", 80, 900_000, 1, 0))
    folder = tmp_path / "campaign"
    shutil.copytree(SHIPPED_CAMPAIGN, folder)
    roster = folder / "units.csv"
    roster.write_text("".join(line for line in roster.read_text(encoding="utf-8").splitlines(keepends=True)
                              if not line.startswith("L12,")), encoding="utf-8")
    retired = Env(env.settings, load_campaign(folder))

    result = publish_bulletin(retired, date(2019, 6, 26), send=True)
    failed = {c["expectation"]: c["detail"] for c in result["checks"] if not c["success"]}
    assert "各部分之和等于合计" in failed and "各单位当日步数之和＝当日步数" in failed["各部分之和等于合计"]
    assert not result["published"] and result["approval"]["state"] == "pending"
    assert not (env.public_dir / "2019-06-26").exists()
    with session_scope(env.engine) as s:
        mail = s.scalars(select(OutboxMessage)).all()
        [told] = [m for m in mail if m.kind != "receipt"]  # no bulletin for anyone: one message, to the association
        assert (told.kind, told.to_addr) == ("approval", env.campaign.association.email)
        assert told.subject.startswith("【通报未发布】") and "各单位当日步数之和＝当日步数" in told.text
        assert s.scalar(select(Approval.checks_passed)) is False
    with pytest.raises(ApprovalError, match="未通过数据校验，不能批准"):
        decide_bulletin(retired, edition(retired.campaign, date(2019, 6, 26)), approve=True, actor="刘璐")
    assert not (env.public_dir / "2019-06-26").exists()


def test_units_reporting_more_than_the_platform_counted_is_a_discrepancy_never_a_share(env, tmp_path):
    from insday.bulletin.checks import check_bulletin
    from insday.steps import import_aggregates_file

    ingest(env, tmp_path, "2019-06-26 21:00", daily("p26.xlsx", "人保财险", "2019-06-26", 120, 1_500_000, 3, 1),
           daily("l26.xlsx", "中国人寿", "2019-06-26", 80, 900_000, 1, 0))
    # the platform counted 2,000,000 steps for 吉林 that day, 1,200,000 of them by 人保财险's staff
    import_aggregates_file(env, steps_file(tmp_path, "pull.csv", [
        "日期,地区,单位,步数", "2019-06-26,吉林,,2000000", "2019-06-26,,人保财险,1200000"]), received_at=at("2019-06-27 09:00"))
    result = approved(env, date(2019, 6, 26))
    share = result["bulletin"]["home_share"]
    assert (share["region_steps"], share["members_steps"], share["consistent"]) == (2_000_000, 2_400_000, False)
    assert share["members_share"] is None and {m["share"] for m in share["members"]} == {None}
    assert share["days_over"] == [{"day": "2019-06-26", "members_steps": 2_400_000, "region_steps": 2_000_000}]
    assert share["units_over"] == [{"unit": "P01", "name": "人保财险", "day": "2019-06-26", "reported": 1_500_000,
                                    "platform": 1_200_000}]
    folder = Path(result["folder"])
    html = (folder / "index.html").read_text(encoding="utf-8")
    assert "数据不一致：6月26日会员单位报送 2,400,000 步，多于全国平台统计的吉林地区当日 2,000,000 步" in html
    assert "人保财险（6月26日，报送 1,500,000，平台 1,200,000）" in html and "本期不计算占比" in html
    assert "%" not in html.split("地区捐步中的会员单位</h3>")[1].split("</table>")[0].replace("—", "")
    note = load_workbook(folder / "bulletin.xlsx")["地区捐步中的会员单位"]
    assert any("数据不一致" in str(c.value) for row in note.iter_rows() for c in row if c.value)
    doc = json.loads((folder / "bulletin.json").read_text(encoding="utf-8"))
    assert all(c.success for c in check_bulletin(env.campaign, doc, html, folder / "bulletin.xlsx"))
