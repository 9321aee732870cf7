"""Essay contest: scoring sheets and votes at intake, panel score, shortlist, final ranking,
prizes and ties, outputs. Every expected number is worked out by hand in the comments."""

from __future__ import annotations

import json
import re
import shutil
from datetime import datetime
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from contracts import check
from filemaker import write_xlsx
from openpyxl import load_workbook
from sqlalchemy import select, update
from typer.testing import CliRunner

from insday.cli import app
from insday.db import session_scope
from insday.db.models import Essay
from insday.env import Env
from insday.essays.publish import chromium, publish_essays
from insday.essays.scoring import panel_score, rounded
from insday.essays.service import ResultsReport, ShortlistReport, essay_results, shortlist
from insday.intake.service import ingest_paths
from insday.templates import DATA_SHEET, write_templates

TZ = ZoneInfo("Asia/Shanghai")
MAXIMA = (30, 30, 10, 10, 10, 10)
FIRST_ROW = 4  # the template: title, 评分单位 line, header, then the 62 essays


def at(month, day, hour=12, minute=0):
    return datetime(2019, month, day, hour, minute, tzinfo=TZ)


def split(total: int) -> tuple:
    """Six criterion scores adding up to ``total`` (filled up to each maximum in order)."""
    scores, left = [], total
    for top in MAXIMA:
        scores.append(min(top, left))
        left -= scores[-1]
    assert left == 0
    return tuple(scores)


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    from insday.campaign import get_campaign
    from insday.paths import SHIPPED_CAMPAIGN

    [path] = write_templates(get_campaign(SHIPPED_CAMPAIGN), tmp_path_factory.mktemp("tpl"), ["scoring_sheet"])
    return path


def sheet(template, path, unit: str, scores: dict, totals: dict | None = None, edit=None):
    """A scoring sheet filled in the real template: ``scores`` essay id -> six scores or a
    total to split; essays not named stay blank."""
    book = load_workbook(template)
    ws = book[DATA_SHEET]
    ws["B2"] = unit
    for row in range(FIRST_ROW, FIRST_ROW + 62):
        essay = ws.cell(row=row, column=1).value
        if essay in scores:
            value = scores[essay]
            for col, v in enumerate(value if isinstance(value, tuple) else split(value), start=4):
                ws.cell(row=row, column=col, value=v)
        if essay in (totals or {}):
            ws.cell(row=row, column=10, value=totals[essay])
    if edit:
        edit(ws)
    book.save(path)
    return path


def ingest(env, path, when):
    [result] = ingest_paths(env, [path], received_at=when)
    return result


def votes_file(path, counts: dict):
    return write_xlsx(path, [[k, v] for k, v in counts.items()], header=["作品编号", "票数"],
                      title_rows=[["网络投票结果导出"]])


def by_id(payload, category):
    return {e["id"]: e for e in payload["categories"][category]}


# ----- intake -------------------------------------------------------------------------


def test_sheet_errors_reject_the_file_and_name_row_column_value_and_fix(env, template, tmp_path):
    def edit(ws):
        ws.cell(row=FIRST_ROW + 62, column=1, value="ZZ99")  # an essay that does not exist
        for col, v in enumerate(split(50), start=4):
            ws.cell(row=FIRST_ROW + 62, column=col, value=v)
        ws.cell(row=FIRST_ROW + 63, column=1, value="AL03")  # AL03 a second time
        ws.cell(row=FIRST_ROW + 3, column=5).value = None  # AL04 scored without 人物描写

    path = sheet(template, tmp_path / "坏表.xlsx", "人保财险", {
        "AL01": (31, 20, 8, 8, 8, 8),      # 作品案例 above its maximum 30
        "AL03": ("很好", 20, 8, 8, 8, 8),  # not a number
        "AL04": split(80),
        "AL05": (25, 24, 8, 8, 7, 8),      # 25+24+8+8+7+8 = 80, but 合计 says 81
        "AL06": (20, 20, 5, 5, 5, -1),     # below 0
    }, totals={"AL05": 81}, edit=edit)
    r = ingest(env, path, at(6, 25))
    assert r.status == "rejected"
    found = {(e["row"], e["column"]): e["message"] for e in r.errors}
    assert "值「31」超出「作品案例」的分值范围（0 至 30 分）。请填写 0 至 30 之间的分数" in found[(4, "作品案例")]
    assert "坏表.xlsx" in found[(4, "作品案例")] and "第4行" in found[(4, "作品案例")]
    assert "值「很好」不是数字" in found[(6, "作品案例")]
    assert "未填写" in found[(7, "人物描写")] and "请补全「人物描写」（满分 30 分）" in found[(7, "人物描写")]
    assert "值「81」不等于六项得分之和 80" in found[(8, "合计")]
    assert "值「-1」超出「语言文字」的分值范围（0 至 10 分）" in found[(9, "语言文字")]
    assert "值「ZZ99」不是本次征文的作品编号" in found[(66, "作品编号")]
    assert "与第6行重复" in found[(67, "作品编号")]
    assert shortlist(env, at(6, 26))["categories"]["典型案例"][0]["panel_score"] is None  # nothing counted


def test_blank_essays_are_named_and_own_essay_is_flagged(env, template, tmp_path):
    # P01 (人保财险) wrote AL02; it scores AL01, AL02 and RW01 and leaves the other 59 blank.
    path = sheet(template, tmp_path / "人保.xlsx", "人保财险", {"AL01": 80, "AL02": 90, "RW01": 70},
                 edit=lambda ws: ws.delete_rows(FIRST_ROW + 61))  # RW29 removed from the sheet
    r = ingest(env, path, at(6, 25))
    assert r.status == "accepted", r.errors
    [own] = [w for w in r.warnings if w["column"] == "作品编号"]
    assert own["row"] == 5 and "AL02" in own["message"] and "本单位" in own["message"]
    [blank] = [w for w in r.warnings if "未打分" in w["message"]]
    assert "以下 59 篇作品未打分" in blank["message"]
    assert "AL03（第6行）" in blank["message"] and "RW29（未列出）" in blank["message"]
    assert "AL01（" not in blank["message"] and "RW01（" not in blank["message"]
    # the flagged score counts (the committee's decision): AL02's panel score is P01's 90
    assert by_id(shortlist(env, at(6, 26)), "典型案例")["AL02"]["panel_score"] == 90


def test_own_essay_is_an_error_when_the_campaign_says_so(env, template, tmp_path):
    strict = env.campaign.model_copy(update={"essays": env.campaign.essays.model_copy(update={"own_essay": "error"})})
    strict_env = Env(env.settings, strict)
    r = ingest(strict_env, sheet(template, tmp_path / "s.xlsx", "人保财险", {"AL01": 80, "AL02": 90}), at(6, 25))
    assert r.status == "rejected"
    [e] = r.errors
    assert (e["row"], e["column"]) == (5, "作品编号") and "请将本行各项得分留空" in e["message"]


# ----- panel score --------------------------------------------------------------------


def test_panel_score_mean_partial_missing_rejected_resubmitted_and_knowledge_time(env, template, tmp_path):
    # 06-24 10:00 人保财险 v1: AL01 25+24+8+8+7+8 = 80, AL05 70
    ingest(env, sheet(template, tmp_path / "p01v1.xlsx", "人保财险", {"AL01": (25, 24, 8, 8, 7, 8), "AL05": 70}),
           at(6, 24, 10))
    # 06-24 11:00 平安财险, a partial sheet: AL01 28+27+9+9+9+9 = 91 only
    ingest(env, sheet(template, tmp_path / "p02.xlsx", "平安财险", {"AL01": (28, 27, 9, 9, 9, 9)}), at(6, 24, 11))
    # 06-24 12:00 中国人寿: rejected (31 > 30), so not counted
    bad = ingest(env, sheet(template, tmp_path / "l01.xlsx", "中国人寿", {"AL01": (31, 30, 10, 10, 10, 10),
                                                                         "AL05": 10}), at(6, 24, 12))
    assert bad.status == "rejected"
    # 06-25 09:00 人保财险 v2 replaces v1: AL01 27.5+26+9+9+8+9 = 88.5, AL05 72
    v2 = ingest(env, sheet(template, tmp_path / "p01v2.xlsx", "人保财险", {"AL01": (27.5, 26, 9, 9, 8, 9), "AL05": 72},
                           totals={"AL01": 88.5}), at(6, 25, 9))
    assert (v2.status, v2.version) == ("accepted", 2), v2.errors
    # every other company's sheet is missing: only the sheets received count

    before = by_id(shortlist(env, at(6, 24, 23)), "典型案例")
    assert (before["AL01"]["panel_score"], before["AL01"]["sheets"]) == (85.5, 2)  # (80 + 91) / 2
    assert (before["AL05"]["panel_score"], before["AL05"]["sheets"]) == (70, 1)
    after = by_id(shortlist(env, at(6, 25, 10)), "典型案例")
    assert (after["AL01"]["panel_score"], after["AL01"]["sheets"]) == (89.75, 2)  # (88.5 + 91) / 2
    assert (after["AL05"]["panel_score"], after["AL05"]["sheets"]) == (72, 1)
    assert (after["AL02"]["panel_score"], after["AL02"]["sheets"], after["AL02"]["shortlisted"]) == (None, 0, False)
    assert shortlist(env, at(6, 24, 9))["categories"]["典型案例"][0]["panel_score"] is None


def test_trimmed_mean_is_a_setting(env, template, tmp_path):
    trimmed = env.campaign.model_copy(update={"essays": env.campaign.essays.model_copy(
        update={"panel_score": "trimmed_mean", "trim_each_end": 1})})
    tenv = Env(env.settings, trimmed)
    # AL01: 70, 80, 85, 93 -> drop 70 and 93 -> (80 + 85) / 2 = 82.5
    # AL03: 80, 90 (two sheets, nothing to drop) -> (80 + 90) / 2 = 85
    for n, (unit, al01, al03) in enumerate([("P04", 70, 80), ("P06", 80, 90), ("P07", 85, None), ("P08", 93, None)]):
        scores = {"AL01": al01} | ({"AL03": al03} if al03 else {})
        name = env.campaign.unit_by_code[unit].name
        assert ingest(tenv, sheet(template, tmp_path / f"{unit}.xlsx", name, scores), at(6, 25, 9, n)).status == "accepted"
    got = by_id(shortlist(tenv, at(6, 26)), "典型案例")
    assert (got["AL01"]["panel_score"], got["AL01"]["sheets"]) == (82.5, 4)
    assert (got["AL03"]["panel_score"], got["AL03"]["sheets"]) == (85, 2)
    # the shipped setting, the plain mean: (70 + 80 + 85 + 93) / 4 = 82
    assert by_id(shortlist(env, at(6, 26)), "典型案例")["AL01"]["panel_score"] == 82


def test_panel_score_and_rounding_by_hand():
    assert panel_score([]) is None
    assert panel_score([Fraction(80), Fraction(85), Fraction(91)]) == Fraction(256, 3)  # 85.333...
    assert rounded(Fraction(256, 3)) == 85.33
    assert rounded(Fraction(86665, 1000)) == 86.67  # half up, not half even
    assert panel_score([Fraction(1), Fraction(50), Fraction(99)], "trimmed_mean", 1) == 50
    assert panel_score([Fraction(10), Fraction(20)], "trimmed_mean", 1) == 15  # too few to trim: the mean


# ----- shortlist ----------------------------------------------------------------------


def test_shortlist_top_ten_with_a_tie_at_the_cut_off(env, template, tmp_path):
    # One sheet (太平财险 P06 wrote none of these): AL01..AL12 = 95, 94, ..., 86, 86, 80.
    totals = dict(zip([f"AL{i:02d}" for i in range(1, 13)], [95, 94, 93, 92, 91, 90, 89, 88, 87, 86, 86, 80]))
    people = {"RW01": 90, "RW02": 85, "RW03": 85}
    name = env.campaign.unit_by_code["P06"].name
    r = ingest(env, sheet(template, tmp_path / "s.xlsx", name, totals | people), at(6, 25, 15))
    assert r.status == "accepted", r.errors
    got = shortlist(env, at(6, 25, 16))
    cases = by_id(got, "典型案例")
    # 10th and 11th are tied at 86: both stay on the list (11 essays) and the tie is reported
    assert [e["id"] for e in got["categories"]["典型案例"] if e["shortlisted"]] == [f"AL{i:02d}" for i in range(1, 12)]
    assert (cases["AL10"]["rank"], cases["AL11"]["rank"], cases["AL12"]["rank"]) == (10, 10, 12)
    assert cases["AL12"]["shortlisted"] is False
    [tie] = got["ties"]
    assert (tie["stage"], tie["kind"], tie["category"], tie["essays"], tie["places"], tie["score"], tie["resolved"]) == (
        "shortlist", "cutoff", "典型案例", ["AL10", "AL11"], [10, 11], 86, False)
    assert "评审委员会" in tie["message"]
    # fewer than ten scored essays: all three are shortlisted; a tie inside the list decides nothing
    assert [(e["id"], e["rank"], e["shortlisted"]) for e in got["categories"]["人物风采"][:3]] == [
        ("RW01", 1, True), ("RW02", 2, True), ("RW03", 2, True)]
    assert all(not e["shortlisted"] for e in got["categories"]["人物风采"][3:])

    # votes for the tied essay AL11 count; a vote for AL12 (not shortlisted) is an error
    ok = ingest(env, votes_file(tmp_path / "v.xlsx", {"AL10": 5, "AL11": 6}), at(7, 4, 20))
    assert ok.status == "accepted", ok.errors
    rejected = ingest(env, votes_file(tmp_path / "w.xlsx", {"AL11": 6, "AL12": 9}), at(7, 4, 21))
    assert rejected.status == "rejected"
    [e] = rejected.errors
    assert (e["row"], e["column"]) == (4, "作品编号")
    assert "值「AL12」不在入围名单中（截至2019年07月04日 21:00）" in e["message"] and "w.xlsx" in e["message"]


def test_votes_are_checked_against_the_shortlist_as_of_their_arrival(env, template, tmp_path):
    early = ingest(env, votes_file(tmp_path / "early.xlsx", {"AL01": 10}), at(6, 25, 10))
    assert early.status == "rejected" and "不在入围名单中" in early.errors[0]["message"]  # no sheet yet
    name = env.campaign.unit_by_code["P06"].name
    ingest(env, sheet(template, tmp_path / "s.xlsx", name, {"AL01": 90, "AL02": 80}), at(6, 25, 11))
    bad = ingest(env, votes_file(tmp_path / "bad.xlsx", {"AL01": -3, "AL02": "12.5", "XX01": 1}), at(7, 1))
    assert bad.status == "rejected"
    messages = " ".join(e["message"] for e in bad.errors)
    assert "值「-3」不是有效的票数" in messages and "值「12.5」不是整数" in messages
    assert "值「XX01」不是本次征文的作品编号" in messages
    partial = ingest(env, votes_file(tmp_path / "ok.xlsx", {"AL01": 11}), at(7, 1))
    assert partial.status == "accepted"
    assert any("入围作品 AL02 未列出，按 0 票计算" in w["message"] for w in partial.warnings)


# ----- final ranking and prizes ---------------------------------------------------------

# One sheet (P06) gives each essay its panel score; then votes. Final = 0.7 * panel + 0.3 * votes / top * 100.
# 典型案例, top votes 1000 (vote score = votes / 10):
#   AL01 95, 1000 -> 66.5 + 30   = 96.5  } tied, equal panel: rank 1, 一等奖/二等奖 undecided
#   AL02 95, 1000 -> 96.5               }
#   AL03 94,  800 -> 65.8 + 24   = 89.8    rank 3, 二等奖
#   AL04 92,  700 -> 64.4 + 21   = 85.4  } tied: rank 4, both 三等奖 (places 4-5 are both third prizes)
#   AL05 92,  700 -> 85.4               }
#   AL06 90,  600 -> 63 + 18     = 81.0  } tied at the last prize place (6-7): rank 6, undecided
#   AL07 90,  600 -> 81.0               }
#   AL08 89,  500 -> 62.3 + 15   = 77.3    rank 8
#   AL09 88,  300 -> 61.6 + 9    = 70.6  } equal final score, broken by panel score: AL09 9th, AL10 10th
#   AL10 85,  370 -> 59.5 + 11.1 = 70.6  }
# 人物风采, top votes 2000 (vote score = votes / 20):
#   RW01 96, 2000 -> 67.2 + 30   = 97.2    rank 1, 一等奖
#   RW02 93, 1500 -> 65.1 + 22.5 = 87.6    rank 2, 二等奖
#   RW03 90, 1200 -> 63 + 18     = 81.0  } tied across 二等奖/三等奖 (places 3-4): rank 3, undecided
#   RW04 90, 1200 -> 81.0               }
#   RW05 88, 1000 -> 61.6 + 15   = 76.6    rank 5, 三等奖
#   RW06 86,  600 -> 60.2 + 9    = 69.2  } equal final score, broken by panel: RW06 6th 三等奖, RW07 7th none
#   RW07 83,  740 -> 58.1 + 11.1 = 69.2  }
#   RW08 80, (missing from the vote file: 0) -> 56.0   rank 8
PANEL = {"AL01": 95, "AL02": 95, "AL03": 94, "AL04": 92, "AL05": 92, "AL06": 90, "AL07": 90, "AL08": 89,
         "AL09": 88, "AL10": 85, "RW01": 96, "RW02": 93, "RW03": 90, "RW04": 90, "RW05": 88, "RW06": 86,
         "RW07": 83, "RW08": 80}
VOTES = {"AL01": 1000, "AL02": 1000, "AL03": 800, "AL04": 700, "AL05": 700, "AL06": 600, "AL07": 600, "AL08": 500,
         "AL09": 300, "AL10": 370, "RW01": 2000, "RW02": 1500, "RW03": 1200, "RW04": 1200, "RW05": 1000,
         "RW06": 600, "RW07": 740}
FINAL = {"AL01": (96.5, 1, None), "AL02": (96.5, 1, None), "AL03": (89.8, 3, "二等奖"), "AL04": (85.4, 4, "三等奖"),
         "AL05": (85.4, 4, "三等奖"), "AL06": (81.0, 6, None), "AL07": (81.0, 6, None), "AL08": (77.3, 8, None),
         "AL09": (70.6, 9, None), "AL10": (70.6, 10, None), "RW01": (97.2, 1, "一等奖"), "RW02": (87.6, 2, "二等奖"),
         "RW03": (81.0, 3, None), "RW04": (81.0, 3, None), "RW05": (76.6, 5, "三等奖"), "RW06": (69.2, 6, "三等奖"),
         "RW07": (69.2, 7, None), "RW08": (56.0, 8, None)}
RESULTS_AT = at(7, 8, 18)


@pytest.fixture
def final_round(env, template, tmp_path):
    name = env.campaign.unit_by_code["P06"].name
    r = ingest(env, sheet(template, tmp_path / "panel.xlsx", name, PANEL), at(6, 25, 15))
    assert r.status == "accepted", r.errors
    v = ingest(env, votes_file(tmp_path / "votes.xlsx", VOTES), at(7, 5, 9))
    assert v.status == "accepted", v.errors
    return env


def test_final_ranking_weights_prizes_and_ties_at_every_boundary(final_round):
    got = essay_results(final_round, RESULTS_AT)
    assert set(got) == {"categories", "ties", "late_sheets"} and got["late_sheets"] is None
    assert list(got["categories"]) == ["典型案例", "人物风采"]
    for category in got["categories"]:
        for e in got["categories"][category]:
            assert set(e) == {"id", "panel_score", "sheets", "votes", "final_score", "rank", "prize"}
            assert (e["final_score"], e["rank"], e["prize"]) == FINAL[e["id"]], e
            assert (e["panel_score"], e["sheets"], e["votes"]) == (PANEL[e["id"]], 1, VOTES.get(e["id"], 0))
    assert [e["id"] for e in got["categories"]["典型案例"]] == [f"AL{i:02d}" for i in range(1, 11)]

    ties = {tuple(t["essays"]): t for t in got["ties"]}
    assert set(ties) == {("AL01", "AL02"), ("AL04", "AL05"), ("AL06", "AL07"), ("AL09", "AL10"),
                         ("RW03", "RW04"), ("RW06", "RW07")}

    def shape(key):
        t = ties[key]
        return t["kind"], t["places"], t["score"], t["decides"], t["prizes"], t["resolved"]

    assert shape(("AL01", "AL02")) == ("unresolved", [1, 2], 96.5, "prize", ["一等奖", "二等奖"], False)
    assert shape(("AL04", "AL05")) == ("unresolved", [4, 5], 85.4, "order", ["三等奖"], False)
    assert shape(("AL06", "AL07")) == ("unresolved", [6, 7], 81.0, "prize", ["三等奖", None], False)
    assert shape(("AL09", "AL10")) == ("broken_by_panel_score", [9, 10], 70.6, "order", [None], True)
    assert shape(("RW03", "RW04")) == ("unresolved", [3, 4], 81.0, "prize", ["二等奖", "三等奖"], False)
    assert shape(("RW06", "RW07")) == ("broken_by_panel_score", [6, 7], 69.2, "prize", ["三等奖", None], True)
    assert "请评审委员会决定" in ties[("AL01", "AL02")]["message"]


def test_the_shortlist_is_frozen_and_a_late_sheet_is_reported_not_counted(final_round, template, tmp_path):
    # A revised sheet of 07-06 would put AL11 (99) and AL12 (98) on the list, AL09 (88) and AL10 (50) off it.
    name = final_round.campaign.unit_by_code["P06"].name
    late = ingest(final_round, sheet(template, tmp_path / "revised.xlsx", name,
                                     {**PANEL, "AL10": 50, "AL11": 99, "AL12": 98}), at(7, 6, 9))
    assert late.status == "accepted" and late.version == 2, late.errors
    got = essay_results(final_round, RESULTS_AT)
    for category in got["categories"]:  # the finalists, their scores and prizes: as frozen on 06-25 16:30
        assert {e["id"]: (e["final_score"], e["rank"], e["prize"]) for e in got["categories"][category]} == {
            k: v for k, v in FINAL.items() if k[:2] == ("AL" if category == "典型案例" else "RW")}
    assert got["late_sheets"] == {"sheets": [{"unit": "P06", "received_at": "2019-07-06T09:00:00+08:00"}],
                                  "would_add": ["AL11", "AL12"], "would_drop": ["AL09", "AL10"]}
    assert {e["id"] for e in shortlist(final_round, at(7, 6, 10))["categories"]["典型案例"] if e["shortlisted"]} == {
        f"AL{i:02d}" for i in range(1, 11)}
    files = publish_essays(final_round, RESULTS_AT, tmp_path / "out", "results", pdf=False)
    notes = {row[0]: row[1] for row in load_workbook(next(f for f in files if f.name == "essay-results.xlsx"))["说明"]
             .iter_rows(min_row=2, values_only=True)}
    assert notes["入围名单确定后收到的评分表（未计入）"] == (
        "都邦财险（2019年07月06日 09:00）：2019年06月25日 16:30入围名单确定后收到，未计入，入围名单不变；"
        "如计入，入围名单将新增 AL11、AL12；移出 AL09、AL10。")


def test_results_before_any_vote_file(env, template, tmp_path):
    name = env.campaign.unit_by_code["P06"].name
    ingest(env, sheet(template, tmp_path / "panel.xlsx", name, {"AL01": 90, "RW01": 80}), at(6, 25, 15))
    got = essay_results(env, at(7, 8))
    assert got["categories"]["典型案例"] == [{"id": "AL01", "panel_score": 90, "sheets": 1, "votes": None,
                                            "final_score": None, "rank": None, "prize": None}]
    assert got["ties"] == []


def test_a_later_vote_file_replaces_the_earlier_one(final_round, tmp_path):
    # AL03 jumps to 1000 votes at 07-06: 0.7 * 94 + 30 = 95.8, still below AL01/AL02's 96.5
    ingest(final_round, votes_file(tmp_path / "v2.xlsx", VOTES | {"AL03": 1000}), at(7, 6))
    assert by_id(essay_results(final_round, RESULTS_AT), "典型案例")["AL03"]["final_score"] == 95.8
    assert by_id(essay_results(final_round, at(7, 5, 12)), "典型案例")["AL03"]["final_score"] == 89.8


# ----- outputs ----------------------------------------------------------------------


def test_outputs_contain_the_winners_and_escape_injection(final_round, tmp_path):
    with session_scope(final_round.engine) as s:
        s.execute(update(Essay).where(Essay.id == "AL03").values(
            title='=HYPERLINK("http://evil.example","点我")', author="<script>alert(1)</script>"))
        s.execute(update(Essay).where(Essay.id == "RW01").values(title="@SUM(A1:A9)<b>粗</b>", author="-2+3"))
    out = tmp_path / "out"
    written = publish_essays(final_round, RESULTS_AT, out, "results", pdf=False)
    names = {p.relative_to(out).as_posix() for p in written}
    # decided prizes only: 典型案例 AL03, AL04, AL05; 人物风采 RW01, RW02, RW05, RW06
    winners = ["AL03", "AL04", "AL05", "RW01", "RW02", "RW05", "RW06"]
    assert names == {"essay-results.xlsx", "essay-results.html", "essay-certificates.xlsx", "certificates/all.html",
                     *(f"certificates/{w}.html" for w in winners)}

    html = (out / "essay-results.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>粗</b>" not in html and "&lt;b&gt;粗&lt;/b&gt;" in html
    assert 'name="viewport"' in html and "待定（并列）" in html and "二等奖" in html
    assert "并列情况" in html and "请评审委员会决定" in html
    assert "年度主题：爱国爱家，从一份保障开始" in html  # the year's theme, from campaign.yaml

    book = load_workbook(out / "essay-results.xlsx")
    assert book.sheetnames[:2] == ["典型案例", "人物风采"] and "并列情况" in book.sheetnames
    assert book["说明"]["B2"].value == '2019年吉林保险业"7.8全国保险公众宣传日"活动 · 年度主题：爱国爱家，从一份保障开始'
    ws = book["典型案例"]
    assert ws.freeze_panes == "A2"
    rows = {r[2]: r for r in ws.iter_rows(min_row=2, values_only=True)}
    assert rows["AL03"][:2] == (3, "二等奖") and rows["AL01"][:2] == (1, "待定（并列）")
    title = next(c for c in ws["D"] if c.value == '=HYPERLINK("http://evil.example","点我")')  # the text as sent
    assert title.data_type == "s" and title.quotePrefix  # a text cell that stays text when edited
    assert rows["AL03"][10] == 89.8 and ws.cell(row=2, column=11).number_format == "0.00"
    cells = [c for row in book["人物风采"].iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    people = {r[2]: r for r in book["人物风采"].iter_rows(min_row=2, values_only=True)}
    assert people["RW01"][3] == "@SUM(A1:A9)<b>粗</b>" and people["RW01"][4] == "-2+3"

    listed = list(load_workbook(out / "essay-certificates.xlsx").active.iter_rows(min_row=2, values_only=True))
    assert [(r[2], r[3]) for r in listed] == [("优秀案例二等奖", "AL03"), ("优秀案例三等奖", "AL04"),
                                              ("优秀案例三等奖", "AL05"), ("优秀服务明星一等奖", "RW01"),
                                              ("优秀服务明星二等奖", "RW02"), ("优秀服务明星三等奖", "RW05"),
                                              ("优秀服务明星三等奖", "RW06")]

    cert = (out / "certificates" / "AL04.html").read_text(encoding="utf-8")
    with session_scope(final_round.engine) as s:
        al04 = s.scalars(select(Essay).where(Essay.id == "AL04")).one()
    unit = final_round.campaign.unit_by_code[al04.unit].name
    for text in ("荣誉证书", "优秀案例三等奖", f"《{al04.title}》", al04.author, unit, "吉林省保险行业协会", "2019年7月8日",
                 '<p class="theme">爱国爱家，从一份保障开始</p>'):
        assert text in cert
    assert "size: A4 landscape" in cert
    cert = (out / "certificates" / "AL03.html").read_text(encoding="utf-8")
    assert "<script>" not in cert and "&lt;script&gt;" in cert
    assert (out / "certificates" / "all.html").read_text(encoding="utf-8").count('class="sheet"') == 7


def test_shortlist_outputs(final_round, tmp_path):
    written = publish_essays(final_round, at(6, 26), tmp_path, "shortlist")
    assert {p.name for p in written} == {"essay-shortlist.xlsx", "essay-shortlist.html"}
    html = (tmp_path / "essay-shortlist.html").read_text(encoding="utf-8")
    with session_scope(final_round.engine) as s:
        titles = dict(s.execute(select(Essay.id, Essay.title)).all())
    assert all(titles[e] in html for e in PANEL) and titles["AL11"] not in html
    assert "6月28日至7月4日" in html
    ws = load_workbook(tmp_path / "essay-shortlist.xlsx")["典型案例"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 33 and rows[0][:2] == (1, "AL01") and rows[0][7] == "入围"
    assert rows[-1][5] is None and rows[-1][7] is None  # essays nobody scored come last


@pytest.mark.slow
@pytest.mark.skipif(chromium() is None, reason="chromium is not installed")
def test_certificates_print_to_an_a4_landscape_pdf(final_round, tmp_path, artifacts_dir):
    written = publish_essays(final_round, RESULTS_AT, tmp_path, "results", pdf=True)
    pdf = tmp_path / "certificates" / "certificates.pdf"
    assert pdf in written
    shutil.copy(pdf, artifacts_dir / "essay-certificates.pdf")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page\b", data)) == 7
    width, height = map(float, re.search(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)", data).groups())
    assert (round(width), round(height)) == (842, 595)  # A4 landscape in points


# ----- command line -------------------------------------------------------------------

runner = CliRunner()


def run(*args):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_cli_list_json(env):
    result = run("essays", "list", "--json")
    assert result.exit_code == 0
    essays = json.loads(result.stdout)
    assert len(essays) == 62 and set(essays[0]) == {"id", "title", "category", "unit"}
    assert sum(e["category"] == "典型案例" for e in essays) == 33
    assert sum(e["category"] == "人物风采" for e in essays) == 29
    assert essays[0] == {"id": "AL01", "title": "暴雨中的48小时：一起农险理赔纪实", "category": "典型案例", "unit": "P05"}


def test_cli_results_and_shortlist(final_round, tmp_path):
    result = run("essays", "results", "--as-of", "2019-07-08T18:00", "--json")
    assert result.exit_code == 0
    payload = json.loads(result.stdout)
    check(payload, ResultsReport)
    assert payload == essay_results(final_round, RESULTS_AT)
    assert by_id(payload, "人物风采")["RW01"]["prize"] == "一等奖"

    result = run("essays", "results", "--as-of", "2019-07-08T18:00", "--out", str(tmp_path / "r"))
    assert result.exit_code == 0 and "essay-results.html" in result.output and "RW01" in result.output
    certificate = (tmp_path / "r" / "certificates" / "RW01.html").read_text(encoding="utf-8")
    assert "人物风采" in certificate and "一等奖" in certificate  # RW01's category and prize

    result = run("essays", "shortlist", "--as-of", "2019-06-26", "--json")
    payload = json.loads(result.stdout)
    check(payload, ShortlistReport)
    assert [e["id"] for e in payload["categories"]["人物风采"] if e["shortlisted"]] == [f"RW{i:02d}" for i in range(1, 9)]
    assert run("essays", "shortlist", "--as-of", "soon").exit_code == 2
