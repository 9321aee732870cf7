"""Templates: Chinese headers, instructions, drop-downs, typed cells; a filled template is accepted."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from filemaker import fill_template
from openpyxl import load_workbook

from insday.intake.service import ingest_paths
from insday.templates import DATA_SHEET, HELP_SHEET, LIST_SHEET, template_filename, write_templates

DAILY = ["日期", "单位名称", "参与人数", "步数", "图片数", "视频数", "图片视频链接", "联系人", "联系电话"]


def test_one_template_per_report_type(campaign, tmp_path):
    written = write_templates(campaign, tmp_path)
    assert {p.name for p in written} == {template_filename(rt) for rt in campaign.report_types.values()}


def test_daily_template_layout(campaign, tmp_path):
    [path] = write_templates(campaign, tmp_path, ["daily_report"])
    book = load_workbook(path)
    assert book.sheetnames[0] == DATA_SHEET and HELP_SHEET in book.sheetnames
    ws = book[DATA_SHEET]
    assert [c.value for c in ws[1]] == DAILY
    assert ws.freeze_panes == "A2"
    assert book[LIST_SHEET].sheet_state == "hidden"
    names = {c.value for c in book[LIST_SHEET]["A"][1:]}
    assert names == {u.name for u in campaign.units}
    rules = {str(dv.sqref).split(":")[0]: dv for dv in ws.data_validations.dataValidation}
    assert rules["B2"].type == "list" and LIST_SHEET in rules["B2"].formula1
    assert rules["C2"].type == "whole" and rules["A2"].type == "date"
    assert ws["A2"].number_format == "yyyy-mm-dd" and ws["I2"].number_format == "@"
    help_text = " ".join(str(c.value) for row in book[HELP_SHEET].iter_rows() for c in row if c.value)
    assert "次日 10:00" in help_text and campaign.association.email in help_text


def test_filled_daily_template_is_accepted(env, tmp_path):
    [template] = write_templates(env.campaign, tmp_path / "t", ["daily_report"])
    path = fill_template(template, tmp_path / "filled.xlsx",
                         [[datetime(2019, 6, 26), "中国人民财产保险股份有限公司吉林省分公司", 88, 990_000, 2, 0,
                           "", "王丽", "0431-85000000"]])
    [r] = ingest_paths(env, [path], received_at=datetime(2019, 6, 26, 20, tzinfo=ZoneInfo("Asia/Shanghai")))
    assert (r.status, r.unit, r.period, r.timeliness) == ("accepted", "P01", date(2019, 6, 26), "on_time"), r.errors


def test_scoring_template_lists_every_essay_and_takes_the_unit_line(env, tmp_path):
    [template] = write_templates(env.campaign, tmp_path / "t", ["scoring_sheet"])
    ws = load_workbook(template)[DATA_SHEET]
    assert ws["A2"].value == "评分单位："
    assert [c.value for c in ws[3]] == ["作品编号", "作品标题", "类别", "作品案例", "人物描写", "作品题意",
                                        "感情内容", "结构创意", "语言文字", "合计"]
    ids = [ws.cell(row=r, column=1).value for r in range(4, 4 + 62)]
    assert ids == [e.id for e in env.campaign.essay_list]
    book = load_workbook(template)
    sheet = book[DATA_SHEET]
    sheet["B2"] = "安华农险吉林省分公司"
    for r in range(4, 66):
        for c, v in zip(range(4, 10), (25, 24, 8, 8, 7, 8)):
            sheet.cell(row=r, column=c, value=v)
    book.save(tmp_path / "scored.xlsx")
    [r] = ingest_paths(env, [tmp_path / "scored.xlsx"], received_at=datetime(2019, 6, 25, 12, tzinfo=ZoneInfo("Asia/Shanghai")))
    assert (r.report_type, r.unit, r.timeliness) == ("scoring_sheet", "P05", "on_time"), r.errors


def test_events_and_videos_templates_offer_the_association_workplace_counts_and_duration(env, tmp_path):
    events, videos = write_templates(env.campaign, tmp_path / "t", ["events", "videos"])
    book = load_workbook(events)
    assert [c.value for c in book[DATA_SHEET][1]][-3:] == ["海报数", "LED屏数", "咨询台数"]
    names = [c.value for c in book[LIST_SHEET]["A"][1:]]
    assert names[-1] == "吉林省保险行业协会" and len(names) == len(env.campaign.units) + 1
    help_text = " ".join(str(c.value) for row in book[HELP_SHEET].iter_rows() for c in row if c.value)
    assert "单位名称\"填写\"省协会\"" in help_text and "LED屏数" in help_text

    ws = load_workbook(videos)[DATA_SHEET]
    assert ws["G1"].value == "时长(秒)" and ws["G2"].number_format == "@"  # 1:05 typed stays 1:05, not a clock time
    # A filled template with the association's name and a typed 1:05 comes back as 65 seconds (refused: over a minute).
    filled = fill_template(videos, tmp_path / "v.xlsx", [["人保财险", "理赔小故事", "张三", "抖音", "https://v.douyin.com/a/",
                                                           datetime(2019, 6, 22), "1:05"]])
    [r] = ingest_paths(env, [filled], received_at=datetime(2019, 6, 23, tzinfo=ZoneInfo("Asia/Shanghai")))
    assert r.status == "rejected" and r.errors[0]["message"].startswith(
        "文件「v.xlsx」第2行「时长(秒)」列：值「65」超过 60 秒。")
    path = fill_template(events, tmp_path / "e.xlsx", [[datetime(2019, 7, 3), "吉林省保险行业协会", "进学校", "走进校园",
                                                          "长春大学", 400, 300, None, None, None, None]])
    [e] = ingest_paths(env, [path], received_at=datetime(2019, 7, 3, 18, tzinfo=ZoneInfo("Asia/Shanghai")))
    assert (e.status, e.unit) == ("accepted", "ASSOC"), e.errors
