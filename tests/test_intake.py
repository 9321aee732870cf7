"""Intake: every tolerance and every error kind, storage, versions, duplicates, lateness, crash safety."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from faults import crash_at_insert
from filemaker import DAILY_HEADER, daily_row, write_csv, write_xlsx
from overlap import at_once
from sqlalchemy import func, select

from insday.db import session_scope
from insday.db.models import DailyReport, Submission
from insday.intake.service import ingest_paths

TZ = ZoneInfo("Asia/Shanghai")
ON_TIME = datetime(2019, 6, 27, 9, 0, tzinfo=TZ)  # the 06-26 report is due 06-27 10:00


def ingest(env, *paths, at=ON_TIME):
    return ingest_paths(env, list(paths), received_at=at)


def one(env, path, at=ON_TIME):
    [result] = ingest(env, path, at=at)
    return result


def rows_of(env, model=DailyReport):
    with session_scope(env.engine) as s:
        return list(s.scalars(select(model).order_by(model.id)))


# ----- tolerances -------------------------------------------------------------


@pytest.mark.parametrize("written", ["2019-06-26", "2019/6/26", "2019年6月26日", "6月26日", "20190626",
                                     "２０１９－０６－２６", date(2019, 6, 26), (date(2019, 6, 26) - date(1899, 12, 30)).days])
def test_date_forms(env, tmp_path, written):
    r = one(env, write_xlsx(tmp_path / "d.xlsx", [daily_row(day=written)]))
    assert r.status == "accepted", r.errors
    assert r.period == date(2019, 6, 26)


@pytest.mark.parametrize("unit", ["中国人民财产保险股份有限公司吉林省分公司", "人保财险", "人保财险吉林分公司",
                                  "P01", " 人保财险 ", "ＰＩＣＣ财险"])
def test_unit_by_full_name_short_name_or_code(env, tmp_path, unit):
    r = one(env, write_xlsx(tmp_path / "u.xlsx", [daily_row(unit=unit)]))
    assert (r.status, r.unit) == ("accepted", "P01"), r.errors


def test_title_rows_full_width_digits_separators_and_spaced_headers(env, tmp_path):
    header = ["日　期", " 单位名称 ", "参与 人数", "步数", "图片数", "视频数", "图片视频链接", "联系人", "联系电话"]
    path = write_xlsx(tmp_path / "messy.xlsx", [daily_row(participants="１２０", steps="1,234,567", photos="３")],
                      header=header, title_rows=[["人保财险吉林分公司 7.8宣传日每日参与情况"], [], ["填报日期：6月27日"]])
    r = one(env, path)
    assert r.status == "accepted", r.errors
    [row] = rows_of(env)
    assert (row.participants, row.steps, row.photos, row.row_no) == (120, 1_234_567, 3, 5)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings(env, tmp_path, encoding):
    path = write_csv(tmp_path / f"{encoding}.csv", [daily_row(unit="吉林市保险行业协会", contact="李䶮")
                                                   if encoding == "gb18030" else daily_row(unit="吉林市保险行业协会")],
                     encoding=encoding, title_rows=[["吉林市协会每日报送"]])
    r = one(env, path)
    assert (r.status, r.unit, r.report_type) == ("accepted", "C02", "daily_report"), r.errors


def test_totals_row_and_extra_column_are_tolerated_with_a_note(env, tmp_path):
    rows = [daily_row() + ["备注内容"], ["合计", None, 120, 1_500_000]]
    r = one(env, write_xlsx(tmp_path / "t.xlsx", rows, header=DAILY_HEADER + ["备注"]))
    assert r.status == "accepted", r.errors
    notes = " ".join(w["message"] for w in r.warnings)
    assert "合计行已忽略" in notes and "无法识别的列「备注」" in notes
    assert len(rows_of(env)) == 1


def test_unique_short_prefix_is_accepted_with_a_note(env, tmp_path):
    r = one(env, write_xlsx(tmp_path / "a.xlsx", [daily_row(unit="安华")]))
    assert (r.status, r.unit) == ("accepted", "P05")
    assert any("安华农业保险股份有限公司吉林分公司" in w["message"] for w in r.warnings)


def test_old_excel_xls_is_read(env, tmp_path):
    """.xls (Excel 97-2003) is still common in Chinese offices."""
    import xlwt

    book = xlwt.Workbook()
    ws = book.add_sheet("Sheet1")
    date_style = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    for j, head in enumerate(DAILY_HEADER):
        ws.write(0, j, head)
    ws.write(1, 0, datetime(2019, 6, 26), date_style)
    for j, value in enumerate(daily_row(unit="吉林市协会")[1:], start=1):
        ws.write(1, j, value)
    path = tmp_path / "old.xls"
    book.save(str(path))
    r = one(env, path)
    assert (r.status, r.unit, r.period) == ("accepted", "C02", date(2019, 6, 26)), r.errors


def test_damaged_xls_is_refused(env, tmp_path):
    path = tmp_path / "damaged.xls"
    path.write_bytes(b"not really an xls file at all")
    r = one(env, path)
    assert r.status == "rejected"
    assert "Excel 97-2003" in r.errors[0]["message"]


# ----- errors -----------------------------------------------------------------


def _only_error(result):
    assert result.status == "rejected"
    return result.errors


def test_error_messages_name_file_row_column_value_and_fix(env, tmp_path):
    r = one(env, write_xlsx(tmp_path / "bad.xlsx", [daily_row(steps="很多")], title_rows=[["标题"]]))
    [e] = _only_error(r)
    assert (e["row"], e["column"]) == (3, "步数")
    assert "bad.xlsx" in e["message"] and "第3行" in e["message"] and "「步数」" in e["message"]
    assert "很多" in e["message"] and "请" in e["message"]


@pytest.mark.parametrize("row, column, fragment", [
    (daily_row(unit="平安"), "单位名称", "可能指多家单位"),
    (daily_row(unit="某某保险"), "单位名称", "不在会员单位名单中"),
    (daily_row(steps=-5), "步数", "超出合理范围"),
    (daily_row(participants=None), "参与人数", "未填写"),
    (daily_row(participants="12.5"), "参与人数", "不是整数"),
    (daily_row(day="2019-07-20"), "日期", "不在每日专人报送期间"),
    (daily_row(day="2019-02-30"), "日期", "不是有效日期"),
    (daily_row(day="明天"), "日期", "不是可识别的日期"),
])
def test_cell_errors(env, tmp_path, row, column, fragment):
    errors = _only_error(one(env, write_xlsx(tmp_path / "e.xlsx", [row])))
    assert any(e["column"] == column and fragment in e["message"] for e in errors), errors
    assert rows_of(env) == []


def test_ambiguous_name_lists_every_candidate(env, tmp_path):
    [e] = _only_error(one(env, write_xlsx(tmp_path / "a.xlsx", [daily_row(unit="人保")])))
    for name in ("中国人民财产保险股份有限公司吉林省分公司", "中国人民人寿保险股份有限公司吉林省分公司",
                 "中国人民健康保险股份有限公司吉林分公司"):
        assert name in e["message"]


def test_duplicate_rows_are_an_error(env, tmp_path):
    errors = _only_error(one(env, write_xlsx(tmp_path / "d.xlsx", [daily_row(), daily_row(steps=9)])))
    assert any("与第2行重复" in e["message"] and e["row"] == 3 for e in errors)


def test_several_units_or_days_in_one_file_are_refused(env, tmp_path):
    errors = _only_error(one(env, write_xlsx(tmp_path / "m.xlsx", [daily_row(), daily_row(unit="平安财险")])))
    assert any("多个单位" in e["message"] for e in errors)
    errors = _only_error(one(env, write_xlsx(tmp_path / "n.xlsx", [daily_row(), daily_row(day="2019-06-27")])))
    assert any("多个日期" in e["message"] and "分开报送" in e["message"] for e in errors)


@pytest.mark.parametrize("name, content, fragment", [
    ("x.pdf", b"%PDF-1.4", "不支持的文件类型"),
    ("empty.csv", b"", "文件是空的"),
    ("broken.xlsx", b"PK\x03\x04 not a zip", "不是有效的 Excel 文件"),
    ("other.csv", "姓名,年龄\n张三,30\n".encode(), "未找到可识别的表头"),
    ("short.csv", "日期,单位名称,图片数\n2019-06-26,人保财险,3\n".encode(), "表头缺少「参与人数」「步数」列"),
    ("header-only.csv", ",".join(DAILY_HEADER).encode() + b"\n", "没有数据行"),
])
def test_file_level_errors(env, tmp_path, name, content, fragment):
    path = tmp_path / name
    path.write_bytes(content)
    r = one(env, path)
    assert r.status == "rejected"
    assert fragment in r.errors[0]["message"] and name in r.errors[0]["message"]
    # the raw file is kept even when rejected
    with session_scope(env.engine) as s:
        sub = s.scalars(select(Submission)).one()
    assert (env.settings.archive_dir / sub.archive_path).read_bytes() == content


def test_warning_accepts_with_a_note(env, tmp_path):
    r = one(env, write_xlsx(tmp_path / "w.xlsx", [daily_row(participants=100, steps=1000)]))
    assert r.status == "accepted"
    [w] = r.warnings
    assert w["column"] == "步数" and "人均" in w["message"] and "1000" in w["message"]


# ----- storage ----------------------------------------------------------------


def test_resubmission_supersedes_and_keeps_the_old_version(env, tmp_path):
    first = one(env, write_xlsx(tmp_path / "v1.xlsx", [daily_row(steps=1_000_000)]))
    second = one(env, write_xlsx(tmp_path / "v2.xlsx", [daily_row(steps=2_000_000)]),
                 at=ON_TIME + timedelta(minutes=30))
    assert (first.version, second.version) == (1, 2)
    with session_scope(env.engine) as s:
        subs = list(s.scalars(select(Submission).order_by(Submission.version)))
    assert [(x.version, x.status) for x in subs] == [(1, "accepted"), (2, "accepted")]
    assert sorted(r.steps for r in rows_of(env)) == [1_000_000, 2_000_000]


def test_same_bytes_again_is_a_duplicate_and_changes_nothing(env, tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", [daily_row()])
    first = one(env, path)
    copy = tmp_path / "renamed.xlsx"
    copy.write_bytes(path.read_bytes())
    again = ingest(env, path, copy)
    assert first.status == "accepted"
    assert [r.status for r in again] == ["duplicate", "duplicate"]
    assert again[0].version == 1 and again[0].unit == "P01"
    assert len(rows_of(env)) == 1
    with session_scope(env.engine) as s:
        assert s.scalar(select(func.count()).select_from(Submission)) == 1


def test_same_file_twice_in_one_batch(env, tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", [daily_row()])
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.xlsx").write_bytes(path.read_bytes())
    results = ingest(env, tmp_path)
    assert sorted(r.status for r in results) == ["accepted", "duplicate"]


def test_on_time_and_late(env, tmp_path):
    due = datetime(2019, 6, 27, 10, 0, tzinfo=TZ)
    on_time = one(env, write_xlsx(tmp_path / "a.xlsx", [daily_row(unit="P01")]), at=due)
    late = one(env, write_xlsx(tmp_path / "b.xlsx", [daily_row(unit="P02")]), at=due + timedelta(seconds=1))
    assert (on_time.timeliness, late.timeliness) == ("on_time", "late")
    assert on_time.deadline_id == "daily_report:2019-06-26"


def test_rejected_file_counts_for_nothing(env, tmp_path):
    r = one(env, write_xlsx(tmp_path / "a.xlsx", [daily_row(steps="abc")]))
    assert (r.status, r.version, r.timeliness) == ("rejected", None, None)
    with session_scope(env.engine) as s:
        sub = s.scalars(select(Submission)).one()
    assert sub.status == "rejected" and sub.errors and sub.row_count == 0


def test_crash_mid_file_leaves_no_rows_and_a_rerun_converges(env, tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", [daily_row()])
    engine = env.engine
    with crash_at_insert(engine, "daily_reports", message="crash while inserting rows"):
        one(env, path)
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Submission)) == 0
    assert rows_of(env) == []
    assert list(env.settings.archive_dir.rglob("*.xlsx")), "raw file archived before the crash"
    rerun = one(env, path)
    assert rerun.status == "accepted" and len(rows_of(env)) == 1


def test_overlapping_runs_store_a_file_once(env, tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", [daily_row()])
    results = [r for batch in at_once(lambda: ingest_paths(env, [path], received_at=ON_TIME)) for r in batch]
    assert sorted(r.status for r in results) == ["accepted", "duplicate"]
    assert len(rows_of(env)) == 1


def test_city_association_cannot_return_a_company_report(env, tmp_path):
    header = ["单位名称", "赔款支出(万元)", "纳税额(万元)", "员工人数", "代理人数", "扶贫保障金额(万元)", "扶贫覆盖人数"]
    r = one(env, write_xlsx(tmp_path / "i.xlsx", [["长春市保险行业协会", 1, 1, 1, 1, 1, 1]], header=header))
    assert r.report_type == "indicators" and r.status == "rejected"
    assert "无需报送" in r.errors[0]["message"]
