"""Every file in sql/ says what it is on its first line, and every model's grain holds: run on
a database holding each kind of data, each query returns rows and no two share the grain
columns. The ops statements' grains are checked where they run, inside a real import."""

from __future__ import annotations

import re
from collections import Counter

import pytest
import stepdata
from filemaker import daily_row, write_xlsx
from openpyxl import load_workbook
from reportmaker import (BOARD_HEADER, EVENT_HEADER, INDICATOR_HEADER, PROJECT_HEADER, SURVEY_HEADER, VIDEO_HEADER,
                         JPEG, at, board_rows, event_row, indicator_row, make_zip, project_row, summary_members,
                         survey_row, video_row, write)
from sqlalchemy import text

from insday.actions.deadline import extend
from insday.actions.roster import retire_unit
from insday.actions.void import void
from insday.env import Env
from insday.intake.service import ingest_paths
from insday.paths import SQL_DIR
from insday.reports.withdrawals import withdraw_video
from insday.sql import fetch, header, sql_text
from insday.steps import import_aggregates_file, import_donations, importer
from insday.templates import DATA_SHEET, write_templates

FILES = sorted((p.relative_to(SQL_DIR).as_posix().split(".")[0], "postgresql" if ".postgresql." in p.name else "sqlite")
               for p in SQL_DIR.rglob("*.sql"))  # (name, dialect)
MODELS = [name for name, _ in FILES if not name.startswith("ops/")]
OPS_WITH_GRAIN = [name for name, dialect in FILES if name.startswith("ops/") and header(name, dialect).grain is not None]
LATER = at("2019-12-31 00:00")
PARAMS = {"as_of": LATER, "through_date": at("2019-07-31 00:00").date(), "day": at("2019-06-26 00:00").date()}
_WRITES = {"writes": r"(INSERT INTO|UPDATE|MERGE INTO) {}\b", "creates temp table": r"CREATE TEMP TABLE {} AS\s+SELECT\b"}


def repeated(rows: list[dict], grain: tuple[str, ...]) -> list[tuple]:
    """The grain values more than one row has (a one-row grain, (): any second row)."""
    return [key for key, n in Counter(tuple(r[c] for c in grain) for r in rows).items() if n > 1]


def test_every_file_says_what_it_is():
    assert len(FILES) > 40 and {name.split("/")[0] for name, _ in FILES} == {"staging", "marts", "ops"}
    for name, dialect in FILES:
        head, body = header(name, dialect), sql_text(name, dialect)
        if not name.startswith("ops/"):
            assert head.ops is None and head.grain is not None, name
            assert re.match(r"(SELECT|WITH)\b", body), name
            continue
        verb, _, table = head.ops.rpartition(" ")
        if verb in _WRITES:
            assert re.match(_WRITES[verb].format(table), body), (name, head.ops)
            assert (head.grain is None) == (verb == "writes"), name
        else:  # a query over the import's working tables
            assert head.grain is not None and body.startswith("SELECT"), name


def test_a_file_without_a_header_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr("insday.sql.SQL_DIR", tmp_path)
    (tmp_path / "x.sql").write_text("-- Grain: one row per unit\nSELECT 1 AS unit\n", encoding="utf-8")
    with pytest.raises(ValueError, match="first line"):
        header("x")
    (tmp_path / "x.sql").write_text("-- grain: report_type, unit\n-- Grain: ...\nSELECT 1\n", encoding="utf-8")
    assert header("x").grain == ("report_type", "unit")


def _scoring_sheet(env: Env, folder, unit: str, totals: dict[str, int]):
    """The real template with one company's totals (split over the six criteria) for some essays."""
    [template] = write_templates(env.campaign, folder, ["scoring_sheet"])
    book = load_workbook(template)
    ws = book[DATA_SHEET]
    ws["B2"] = unit
    for row in ws.iter_rows(min_row=4):
        if row[0].value in totals:
            left = totals[row[0].value]
            for cell, top in zip(row[3:9], (30, 30, 10, 10, 10, 10)):
                cell.value = min(top, left)
                left -= cell.value
    book.save(folder / f"{unit}打分表.xlsx")
    return folder / f"{unit}打分表.xlsx"


def _fill(env: Env, tmp_path, monkeypatch) -> dict[str, list[dict]]:
    """Every kind of data a model reads, sent as units and the association send it (two units and
    versions where a model picks the current one); return what the import's ops queries and
    temporary tables held when they ran."""
    files = tmp_path / "in"
    files.mkdir()

    def ingest(path, when, status="accepted"):
        [result] = ingest_paths(env, [path], received_at=at(when))
        assert result.status == status, result.errors
        return result

    ingest(write_xlsx(files / "d1.xlsx", [daily_row(steps=2_000_000)]), "2019-06-26 20:00")
    sheet = write_xlsx(files / "d.xlsx", [daily_row(photos=1, videos=0)])  # version 2, with its photo
    ingest(make_zip(files / "人保财险0626.zip", {"日报/每日参与情况.xlsx": sheet.read_bytes(), "日报/照片/IMG_1.JPG": JPEG}),
           "2019-06-26 21:00")
    ingest(write_xlsx(files / "d2.xlsx", [daily_row(unit="国寿财险", day="2019-06-27")]), "2019-06-27 20:00")
    wrong = ingest(write_xlsx(files / "d3.xlsx", [daily_row(unit="太保财险")]), "2019-06-26 20:00")
    void(env, wrong.submission_id, "重复报送", "刘璐", at=at("2019-06-26 22:00"))
    ingest(write_xlsx(files / "bad.xlsx", [daily_row(unit="平安财险", steps="x")]), "2019-06-26 20:00", "rejected")
    extend(env, "人保财险", "daily_report:2019-06-27", at("2019-06-28 12:00"), "系统故障", "刘璐",
           at=at("2019-06-27 09:00"))
    retire_unit(env, "平安财险", at("2019-07-01 00:00"), "已撤销在吉分支机构", "刘璐", at=at("2019-06-28 09:00"))

    for name, head, rows in [("ind", INDICATOR_HEADER, [indicator_row()]),
                             ("ind2", INDICATOR_HEADER, [indicator_row(unit="国寿财险")]),
                             ("ev", EVENT_HEADER, [event_row(), event_row(kind="进社区", place="南关区")]),
                             ("ev2", EVENT_HEADER, [event_row(), event_row(day="2019-07-02")]),  # resent: counts once
                             ("vid", VIDEO_HEADER, [video_row(), video_row(link="https://v.douyin.com/x2/")]),
                             ("board", BOARD_HEADER, board_rows()),
                             ("board2", BOARD_HEADER, board_rows(day="2019-06-23")),
                             ("proj", PROJECT_HEADER, [project_row(), project_row("JL-2019-02")]),
                             ("proj2", PROJECT_HEADER, [project_row(people=900)]),
                             ("survey", SURVEY_HEADER, [survey_row(n, when="2019-04-20 10:00") for n in (1, 2, 3)])]:
        ingest(write(files / f"{name}.xlsx", head, rows), "2019-07-02 10:00")
    withdraw_video(env, "https://v.douyin.com/x2/", "含负面信息", "刘璐", at=at("2019-07-03 10:00"))
    ingest(make_zip(files / "人保财险活动总结.zip", summary_members()), "2019-07-12 10:00")

    judge = env.campaign.unit_by_code["P06"].name
    ingest(_scoring_sheet(env, tmp_path, judge, {"AL01": 90, "AL02": 80}), "2019-06-25 11:00")
    ingest(write_xlsx(files / "votes.xlsx", [["AL01", 11], ["AL02", 7]], header=["作品编号", "票数"],
                      title_rows=[["网络投票结果导出"]]), "2019-07-01 12:00")

    seen: dict[str, list[dict]] = {}
    real_run, real_fetch = importer.run, importer.fetch

    # The importer runs its own statements as ever; these only look at what each one made.
    def run(conn, name, **params):
        real_run(conn, name, **params)
        verb, _, table = header(name, conn.dialect.name).ops.rpartition(" ")
        if verb == "creates temp table":
            seen[name] = [dict(r) for r in conn.execute(text(f"SELECT * FROM {table}")).mappings()]

    def look(conn, name, **params):
        seen[name] = real_fetch(conn, name, **params)
        return seen[name]

    monkeypatch.setattr(importer, "run", run)
    monkeypatch.setattr(importer, "fetch", look)
    steps = env.campaign.steps.model_copy(update={"unlock_threshold": 1})
    walkers = Env(env.settings, env.campaign.model_copy(update={"steps": steps}))
    first = ["2019-06-27 10:00:00,wx_dave_000004,北京,9000", "2019-06-28 10:00:00,wx_dave_000004,北京,9000",
             "2019-06-27 09:00:00,wx_erin_000005,河北,8000"]
    second = ["2019-06-27 08:00:00,wx_dave_000004,上海,20000",  # earlier that day: replaces the 10:00 one
              "2019-06-28 11:00:00,wx_dave_000004,上海,20000",  # later that day: a repeat
              "2019-06-28 11:00:00,wx_erin_000005,河北,8000"]
    for n, lines in enumerate((first, second)):
        import_donations(walkers, stepdata.write(tmp_path / f"s{n}.csv", lines), received_at=at(f"2019-06-29 1{n}:00"))
    drop = write(files / "platform.xlsx", ["日期", "地区", "单位", "步数", "捐步次数"],
                 [["2019-06-27", "北京", "", 30000, 2], ["2019-06-27", "", "人保财险", 3000, 1]])
    import_aggregates_file(env, drop, received_at=at("2019-06-29 12:00"))
    return seen


def test_every_model_grain_is_unique_on_a_filled_database(env, tmp_path, monkeypatch):
    ops = _fill(env, tmp_path, monkeypatch)
    found = {}
    with env.engine.connect() as conn:
        for name in MODELS:
            rows = fetch(conn, name, campaign=env.campaign.name, **PARAMS)
            found[name] = (len(rows), repeated(rows, header(name).grain))
    for name in OPS_WITH_GRAIN:  # seen inside the step imports
        rows = ops.get(name, [])
        found[name] = (len(rows), repeated(rows, header(name).grain))
    empty = {n for n, (count, _) in found.items() if count == 0}
    assert empty == set(), "a model without rows checks nothing: fill what it reads"
    assert {n: dup for n, (_, dup) in found.items() if dup} == {}
    assert found["marts/steps/badge_counts"][0] == 1 and found["ops/steps/tmp_losers"][0] == 2
