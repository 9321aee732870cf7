"""Headers that carry their unit: 参与人数（人）, 步数（步）, 日期：, 赔款支出（元）. A header is read as
the template's column whatever bracket (full- or half-width) or trailing colon it has; a unit
other than the template's is converted (元 -> 万元, 万人 -> 人, 万元 -> 元) or the file is refused
with the reason, never stored in the wrong unit."""

from __future__ import annotations

from decimal import Decimal

import pytest
from filemaker import daily_row, write_csv, write_xlsx
from reportmaker import INDICATOR_HEADER, PROJECT_HEADER, at, indicator_row, project_row, write
from sqlalchemy import select

from insday.campaign import Column
from insday.db import session_scope
from insday.db.models import Submission
from insday.db.models.reports import DailyReport, IndicatorRow, ProjectRow
from insday.intake.measures import scale_for, split_header
from insday.intake.service import ingest_paths
from insday.reports.whitepaper import whitepaper_data

WHEN = at("2019-06-27 09:00")


def one(env, path, when=WHEN):
    [result] = ingest_paths(env, [path], received_at=when, receipts=False)
    return result


def stored(env, model):
    with session_scope(env.engine) as s:
        return list(s.scalars(select(model).order_by(model.id)))


def test_headers_with_units_and_colons_are_the_templates_columns(env, tmp_path):
    header = ["日期：", "单位名称:", "参与人数（人）", "步数（步）", "图片数(张)", "视频数【个】", "图片视频链接", "联系人", "联系电话（手机）"]
    r = one(env, write_xlsx(tmp_path / "units.xlsx", [daily_row(participants=120, steps=1_500_000)], header=header))
    assert (r.status, r.report_type, r.unit) == ("accepted", "daily_report", "P01"), r.errors
    assert r.warnings == []  # same unit as the template: nothing to say
    [row] = stored(env, DailyReport)
    assert (row.participants, row.steps, row.photos, row.videos, row.phone) == (120, 1_500_000, 3, 1, "0431-85000312")


def test_a_count_in_ten_thousands_is_converted(env, tmp_path):
    header = ["日期", "单位名称", "参与人数(人)", "步数(万步)", "图片数", "视频数", "图片视频链接", "联系人", "联系电话"]
    r = one(env, write_csv(tmp_path / "wan.csv", [daily_row(steps="150.5")], header=header, encoding="gbk"))
    assert r.status == "accepted", r.errors
    assert stored(env, DailyReport)[0].steps == 1_505_000
    assert [w["message"] for w in r.warnings] == ["文件「wan.csv」：第1行：「步数(万步)」列按「万步」填写，已换算（乘以 10,000）后保存"]

    bad = one(env, write_csv(tmp_path / "odd.csv", [daily_row(day="2019-06-25", participants="1.23456")],
                             header=["日期", "单位名称", "参与人数（万人）", *header[3:]], encoding="gbk"))
    assert bad.status == "rejected"
    assert bad.errors[0]["message"] == ("文件「odd.csv」第2行「参与人数」列：值「1.23456」按表头的单位换算后为 12345.6，"
                                        "不是整数。请按模板的单位填写整数")


def test_yuan_are_converted_to_the_templates_wan_yuan(env, tmp_path):
    header = ["单位名称", "赔款支出（元）", "纳税额（万元）", "员工人数（人）", "代理人数", "扶贫保障金额(亿元)", "扶贫覆盖人数（人）",
              "联系人", "联系电话"]
    r = one(env, write(tmp_path / "yuan.xlsx", header, [indicator_row(claims=2_500_005_000, coverage="1.2")]))
    assert r.status == "accepted", r.errors
    [row] = stored(env, IndicatorRow)
    assert (Decimal(str(row.claims_paid)), Decimal(str(row.tax_paid)), Decimal(str(row.poverty_coverage))) == (
        Decimal("250000.50"), Decimal("30000"), Decimal("12000"))  # all in 万元, as the template says
    assert [w["message"] for w in r.warnings] == [
        "文件「yuan.xlsx」：第1行：「赔款支出（元）」列按「元」填写，已换算为「万元」（除以 10,000）后保存",
        "文件「yuan.xlsx」：第1行：「扶贫保障金额(亿元)」列按「亿元」填写，已换算为「万元」（乘以 10,000）后保存"]
    assert whitepaper_data(env, at("2019-07-05 00:00"))["totals"]["claims_paid"] == Decimal("250000.50")


@pytest.mark.parametrize("header, unit", [("纳税额（人）", "人"), ("纳税额(美元)", "美元")])
def test_a_unit_that_cannot_be_converted_refuses_the_file(env, tmp_path, header, unit):
    columns = list(INDICATOR_HEADER)
    columns[2] = header
    path = write(tmp_path / "bad.xlsx", columns, [indicator_row()])
    r = one(env, path)
    assert r.status == "rejected"
    [e] = r.errors
    assert (e["row"], e["column"]) == (1, header)
    assert e["message"] == (f"文件「bad.xlsx」：第1行：表头「{header}」的单位「{unit}」无法换算为模板的「万元」，文件未入库。"
                            "请按「万元」填写，表头为「纳税额(万元)」")
    assert stored(env, IndicatorRow) == []  # nothing partial
    with session_scope(env.engine) as s:
        sub = s.scalars(select(Submission)).one()
    assert (env.settings.archive_dir / sub.archive_path).read_bytes() == path.read_bytes()  # the raw file is kept


def test_a_money_unit_on_a_count_column_is_refused(env, tmp_path):
    header = ["日期", "单位名称", "参与人数", "步数（元）", "图片数", "视频数", "图片视频链接", "联系人", "联系电话"]
    r = one(env, write_xlsx(tmp_path / "steps.xlsx", [daily_row()], header=header))
    assert r.status == "rejected" and r.errors[0]["column"] == "步数（元）"
    assert "单位「元」与「步数」不符" in r.errors[0]["message"]


def test_wan_yuan_for_a_yuan_column_is_converted_before_the_minimum_is_checked(env, tmp_path):
    header = list(PROJECT_HEADER)
    header[4] = "保障额度（万元）"
    ok = one(env, write(tmp_path / "p1.xlsx", header, [project_row(coverage=1500)]), when=at("2019-07-20 10:00"))
    assert ok.status == "accepted", ok.errors
    assert Decimal(str(stored(env, ProjectRow)[0].coverage)) == Decimal("15000000")
    low = one(env, write(tmp_path / "p2.xlsx", header, [project_row("JL-2019-02", coverage=1000)]), when=at("2019-07-20 10:00"))
    assert low.status == "rejected" and any(e["column"] == "保障额度(元)" for e in low.errors), low.errors


def test_brackets_and_scales_as_pure_functions():
    assert split_header("参与人数(人)") == ("参与人数", "人")
    assert split_header("视频数【个】") == ("视频数", "个")
    assert split_header("金额(单位:万元)") == ("金额", "万元")
    assert split_header("步数") == ("步数", None)
    money = Column(key="claims_paid", header="赔款支出(万元)", type="number")
    assert scale_for(money, "赔款支出(元)", "元").factor == Decimal("0.0001")
    assert scale_for(money, "赔款支出（万）", "万").factor == 1  # 万 alone: 万元
    count = Column(key="s_case", header="作品案例", type="number")
    assert scale_for(count, "作品案例（30分）", "30分").problem is None  # a remark, not a unit
    assert scale_for(Column(key="d", header="日期", type="date"), "日期(年月日)", "年月日").problem is None
    duration = Column(key="duration", header="时长(秒)", type="duration")
    assert scale_for(duration, "时长(min)", "min").factor == 60
    assert scale_for(duration, "时长(元)", "元").problem
