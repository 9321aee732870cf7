"""Intake of the indicators, events, videos, leaderboard, project and survey report types:
a good file of each is accepted and stored; each kind of error is refused with a Chinese
message naming the row, the column and the fix; warnings let the file through."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

from reportmaker import (BOARD_HEADER, EVENT_HEADER, INDICATOR_HEADER, PROJECT_HEADER, SURVEY_HEADER, VIDEO_HEADER, at,
                         board_rows, event_row, indicator_row, project_row, survey_row, video_row, write)
from sqlalchemy import select

from insday.db import session_scope
from insday.db.models.reports import (EventRow, IndicatorRow, ProjectRow, SurveyRow, VideoLeaderboardRow,
                                      VideoRow)
from insday.intake.service import ingest_paths

WHEN = at("2019-07-03 10:00")


def one(env, path, when=WHEN):
    [result] = ingest_paths(env, [path], received_at=when)
    return result


def stored(env, model):
    with session_scope(env.engine) as s:
        return list(s.scalars(select(model).order_by(model.id)))


def messages(result, kind="errors"):
    return [(e["column"], e["message"]) for e in getattr(result, kind)]


def assert_refused(result, column, fragment):
    assert result.status == "rejected", result.warnings
    assert any(c == column and fragment in m for c, m in messages(result)), messages(result)


# ----- good files -------------------------------------------------------------


def test_indicators_good_file(env, tmp_path):
    r = one(env, write(tmp_path / "ind.xlsx", INDICATOR_HEADER, [indicator_row(claims="25万", tax="3,000.5")]))
    assert (r.status, r.report_type, r.unit, r.timeliness) == ("accepted", "indicators", "P01", "on_time"), r.errors
    [row] = stored(env, IndicatorRow)
    assert (Decimal(str(row.claims_paid)), Decimal(str(row.tax_paid)), row.employees, row.agents) == (
        Decimal("250000"), Decimal("3000.5"), 2100, 8000)


def test_events_good_file_with_kind_synonyms(env, tmp_path):
    rows = [event_row(kind="进校园"), event_row(kind="媒体宣传", place="吉林日报", people=50000, materials=0,
                                                 links="https://news.example.org/1")]
    r = one(env, write(tmp_path / "ev.xlsx", EVENT_HEADER, rows))
    assert (r.status, r.report_type, r.unit) == ("accepted", "events", "P01"), r.errors
    assert [(e.kind, e.place, e.people_reached) for e in stored(env, EventRow)] == [
        ("进学校", "长春市第一中学", 300), ("媒体", "吉林日报", 50000)]


def test_video_link_pasted_with_share_text_keeps_the_address(env, tmp_path):
    share = "8.94 复制打开抖音，看看【人保财险的作品】理赔小故事 https://v.douyin.com/iRNBwRfn/ 复制此链接"
    r = one(env, write(tmp_path / "v.xlsx", VIDEO_HEADER, [video_row(link=share)]))
    assert r.status == "accepted", r.errors
    assert [v.link for v in stored(env, VideoRow)] == ["https://v.douyin.com/iRNBwRfn/"]
    assert any("已自动提取" in m for _, m in messages(r, "warnings"))


def test_leaderboard_good_file(env, tmp_path):
    r = one(env, write(tmp_path / "b.xlsx", BOARD_HEADER, board_rows()), when=at("2019-06-22 22:00"))
    assert (r.status, r.unit, r.period) == ("accepted", "ASSOC", date(2019, 6, 22)), r.errors
    assert [b.rank for b in stored(env, VideoLeaderboardRow)] == list(range(1, 11))


def test_project_good_file_accepts_wan_notation(env, tmp_path):
    row = project_row(coverage="1500万", people=500, term=12, donated="2019-08-01", published="2019-08-05")
    r = one(env, write(tmp_path / "p.xlsx", PROJECT_HEADER, [row]))
    assert (r.status, r.unit) == ("accepted", "P01"), r.errors
    [p] = stored(env, ProjectRow)
    assert (Decimal(str(p.coverage)), p.people, p.term_months, p.published_on) == (
        Decimal("15000000"), 500, 12, date(2019, 8, 5))


def test_survey_export_good_file(env, tmp_path):
    rows = [survey_row(1), survey_row(2, company="国寿财险", when="2019/4/30 23:59:59")]
    r = one(env, write(tmp_path / "s.xlsx", SURVEY_HEADER, rows, title_rows=[["保险服务满意度调查 数据导出"]]))
    assert (r.status, r.report_type, r.unit) == ("accepted", "survey", "ASSOC"), r.errors
    answers = stored(env, SurveyRow)
    assert [(a.company, a.q_overall) for a in answers] == [("P01", 5), ("P04", 5)]
    assert answers[1].submitted_at == datetime(2019, 4, 30, 15, 59, 59, tzinfo=timezone.utc)


# ----- errors -----------------------------------------------------------------
# Each error kind is one row of a file (row n of the list is Excel row n + 2); the file is
# refused and every row gets its own message.


def assert_each_refused(env, path, header, cases):
    r = one(env, write(path, header, [row for row, _, _ in cases]))
    assert r.status == "rejected"
    found = [(e["row"], e["column"], e["message"]) for e in r.errors]
    for n, (_, column, fragment) in enumerate(cases, start=2):
        assert any(row == n and c == column and fragment in m for row, c, m in found), (n, column, fragment, found)
    return r


def test_indicator_errors(env, tmp_path):
    assert_each_refused(env, tmp_path / "i.xlsx", INDICATOR_HEADER, [
        (indicator_row(unit="人保财险", claims=-5), "赔款支出(万元)", "不能为负数"),
        (indicator_row(unit="国寿财险", employees=None), "员工人数", "未填写"),
        (indicator_row(unit="平安财险", agents="很多"), "代理人数", "不是数字"),
        (indicator_row(unit="某某保险"), "单位名称", "不在会员单位名单中"),
    ])
    assert stored(env, IndicatorRow) == []


def test_indicators_from_a_city_association_are_refused(env, tmp_path):
    r = one(env, write(tmp_path / "i.xlsx", INDICATOR_HEADER, [indicator_row(unit="长春市协会")]))
    assert r.status == "rejected" and "无需报送「社会贡献指标」" in r.errors[0]["message"]


def test_indicator_in_yuan_instead_of_wan_is_a_warning(env, tmp_path):
    r = one(env, write(tmp_path / "i.xlsx", INDICATOR_HEADER, [indicator_row(claims=2_500_000_000)]))
    assert r.status == "accepted"
    assert any(c == "赔款支出(万元)" and "除以 10000" in m for c, m in messages(r, "warnings"))


def test_event_errors(env, tmp_path):
    assert_each_refused(env, tmp_path / "e.xlsx", EVENT_HEADER, [
        (event_row(kind="进医院"), "活动类型", "不是可选的值"),
        (event_row(day="2019-06-01"), "日期", "不在7.8宣传期期间"),
        (event_row(place=None), "地点", "未填写"),
        (event_row(place="长春市第二中学", people=-1), "覆盖人数", "不能为负数"),
        (event_row(place="长春市第二中学", title="同一场活动"), "日期", "与第5行重复"),
    ])


def test_media_event_without_link_is_a_warning(env, tmp_path):
    r = one(env, write(tmp_path / "e.xlsx", EVENT_HEADER, [event_row(kind="媒体", place="吉林电视台", people=200000)]))
    assert r.status == "accepted"
    assert messages(r, "warnings") == [("媒体链接", "文件「e.xlsx」第2行「媒体链接」列：未填写。媒体宣传请填写报道的网址，便于协会汇总")]


def test_video_errors(env, tmp_path):
    assert_each_refused(env, tmp_path / "v.xlsx", VIDEO_HEADER, [
        (video_row(link="抖音上搜索人保财险"), "链接", "不是网址"),
        (video_row(link="https://v.douyin.com/2/", day="2019-07-20"), "发布日期", "不在短视频达人榜期间"),
        (video_row(link="https://v.douyin.com/3/", author=None), "作者", "未填写"),
    ])


def test_leaderboard_errors(env, tmp_path):
    rows = board_rows()
    rows[2][5] = 5000  # third place with more votes than second
    rows[9][1] = 11  # a rank beyond the board
    rows[4][2:5] = rows[3][2:5]  # the same video twice
    r = one(env, write(tmp_path / "b.xlsx", BOARD_HEADER, rows))
    assert_refused(r, "票数", "比第2名的票数（900）还多")
    assert_refused(r, "名次", "超出名次范围。每日榜单共 10 名，请填写 1 至 10")
    assert_refused(r, "作品标题", "与第5行是同一作品")


def test_leaderboard_of_two_days_in_one_file_is_refused(env, tmp_path):
    rows = board_rows()[:5] + board_rows(day="2019-06-23")[5:]
    r = one(env, write(tmp_path / "b.xlsx", BOARD_HEADER, rows))
    assert r.status == "rejected" and "包含多个日期" in r.errors[0]["message"]


def test_short_leaderboard_is_a_warning(env, tmp_path):
    r = one(env, write(tmp_path / "b.xlsx", BOARD_HEADER, board_rows()[:8]))
    assert r.status == "accepted"
    assert any("缺少第9、10名" in m for _, m in messages(r, "warnings"))


def test_project_minimums_and_dates(env, tmp_path):
    assert_each_refused(env, tmp_path / "p.xlsx", PROJECT_HEADER, [
        (project_row("P1", coverage=14_999_999), "保障额度(元)", "低于保障额度下限。保障额度须不低于 1500 万元"),
        (project_row("P2", coverage="1000万"), "保障额度(元)", "低于保障额度下限"),
        (project_row("P3", people=499), "覆盖人数", "低于覆盖人数下限。覆盖人数须不少于 500 人"),
        (project_row("P4", term=11), "保障期限(月)", "短于保障期限下限。保障期限须不少于 12 个月"),
        (project_row("P5", donated="2019-08-01", completed="2019-07-31"), "完成日期", "早于捐赠日期"),
        (project_row("P6", completed="2020-08-01", results="2020-07-01"), "成果公布日期", "早于完成日期"),
        (project_row("P7", claims=20_000_001), "已赔付金额(元)", "超过了保障额度"),
        (project_row("P8", region="北京市"), "认领地区", "不是重点扶贫地区"),
        (project_row("P9", region=None), "认领地区", "未填写"),
    ])
    assert stored(env, ProjectRow) == []


def test_project_claimed_by_another_company_is_refused(env, tmp_path):
    assert one(env, write(tmp_path / "a.xlsx", PROJECT_HEADER, [project_row()])).status == "accepted"
    r = one(env, write(tmp_path / "b.xlsx", PROJECT_HEADER, [project_row(unit="国寿财险")]))
    assert_refused(r, "项目编号", "已由「中国人民财产保险股份有限公司吉林省分公司」认领")
    update = one(env, write(tmp_path / "c.xlsx", PROJECT_HEADER, [project_row(donated="2019-08-01")]))
    assert update.status == "accepted", update.errors


def test_survey_errors(env, tmp_path):
    assert_each_refused(env, tmp_path / "s.xlsx", SURVEY_HEADER, [
        (survey_row(1, scores=(6, 4, 4, 3, 5)), "理赔服务", "超出评分范围。得分须为 1 至 5 分的整数"),
        (survey_row(2, scores=(5, 4, 4, 3, 0)), "总体满意度", "超出评分范围"),
        (survey_row(3, scores=(5, 4, None, 3, 5)), "柜面服务", "未填写"),
        (survey_row(4, company="长春市协会"), "被评价公司", "不是保险公司"),
        (survey_row(5, when="2019-05-02 08:00"), "提交时间", "不在满意度问卷调查期间"),
        (survey_row(5, company="国寿财险"), "答卷编号", "与第6行重复"),
    ])


# ----- templates --------------------------------------------------------------


def test_filled_templates_are_accepted(env, tmp_path):
    from filemaker import fill_template

    from insday.templates import write_templates

    filled = {
        "indicators": [["中国人民财产保险股份有限公司吉林省分公司", 250000, 30000, 2100, 8000, 1200000, 350000, "王丽",
                        "0431-85000312"]],
        "events": [[datetime(2019, 7, 1), "长春市保险行业协会", "进社区", "保险知识进社区", "南关区", 150, 300, None]],
        "videos": [["中国人民财产保险股份有限公司吉林省分公司", "理赔小故事", "张三", "抖音", "https://v.douyin.com/a/",
                    datetime(2019, 6, 22)]],
        "video_leaderboard": [[datetime(2019, 6, 22), 1, "扶贫路上", "长春市保险行业协会", "孙七", 2000, None]],
        "project": [["JL-01", "中国人民财产保险股份有限公司吉林省分公司", "吉林省汪清县", "中国人民财产保险股份有限公司",
                     20_000_000, 800, 12, None, None, None, None, None, None]],
        "survey": [["1", datetime(2019, 4, 12, 10, 23), "中国人民财产保险股份有限公司吉林省分公司", 5, 4, 4, 3, 5, None]],
    }
    paths = []
    for key, rows in filled.items():
        [template] = write_templates(env.campaign, tmp_path / "t", [key])
        paths.append(fill_template(template, tmp_path / f"{key}.xlsx", rows))
    results = ingest_paths(env, paths, received_at=at("2019-07-02 10:00"))
    assert [(r.report_type, r.status) for r in results] == [(k, "accepted") for k in filled], \
        [r.errors for r in results]
