"""Outreach and publicity events: counts per unit and per kind as known at a moment; a
resent cumulative list never counts an event twice."""

from __future__ import annotations

from reportmaker import EVENT_HEADER, at, event_row, write

from insday.intake.service import ingest_paths
from insday.reports.outreach import outreach_summary

FIRST, RESENT = at("2019-07-02 18:00"), at("2019-07-05 18:00")


def test_counts_per_kind_and_unit(env, tmp_path):
    picc = [event_row("2019-07-01", kind="进学校", place="长春市第一中学", people=300, materials=500),
            event_row("2019-07-01", kind="进学校", place="长春市第二中学", people=200, materials=100),
            event_row("2019-07-02", kind="媒体", place="吉林日报", people=50000, materials=0,
                      links="https://news.example.org/a")]
    city = [event_row("2019-07-02", unit="长春市协会", kind="进社区", place="南关区某社区", people=150, materials=None)]
    # 人保财险 resends its list: the first school event corrected to 350 people, one new event.
    resent = [event_row("2019-07-01", kind="进学校", place="长春市第一中学", people=350, materials=500),
              event_row("2019-07-04", kind="进乡村", place="九台区某村", people=80, materials=60)]
    results = ingest_paths(env, [write(tmp_path / "picc.xlsx", EVENT_HEADER, picc),
                                 write(tmp_path / "city.xlsx", EVENT_HEADER, city)], received_at=FIRST)
    results += ingest_paths(env, [write(tmp_path / "picc2.xlsx", EVENT_HEADER, resent)], received_at=RESENT)
    assert [r.status for r in results] == ["accepted"] * 3, [r.errors for r in results]

    before = outreach_summary(env, at("2019-07-03 00:00"))
    assert before["totals"] == {"events": 4, "people_reached": 300 + 200 + 50000 + 150, "materials": 600, "units": 2}

    now = outreach_summary(env, at("2019-07-12 18:00"))
    assert now["kinds"] == ["进学校", "进农村", "进社区", "进机关", "进企业", "职场", "媒体"]
    assert now["totals"] == {"events": 5, "people_reached": 350 + 200 + 50000 + 150 + 80, "materials": 660, "units": 2}
    by_kind = {k["kind"]: (k["events"], k["people_reached"], k["materials"]) for k in now["by_kind"]}
    assert by_kind == {"进学校": (2, 550, 600), "进农村": (1, 80, 60), "进社区": (1, 150, 0), "进机关": (0, 0, 0),
                       "进企业": (0, 0, 0), "职场": (0, 0, 0), "媒体": (1, 50000, 0)}
    picc_unit, city_unit = now["by_unit"]
    assert (picc_unit["unit"], picc_unit["short_name"], picc_unit["events"], picc_unit["people_reached"],
            picc_unit["materials"]) == ("P01", "人保财险", 4, 50630, 660)
    assert picc_unit["by_kind"] == {"进学校": 2, "进农村": 1, "进社区": 0, "进机关": 0, "进企业": 0, "职场": 0, "媒体": 1}
    assert (city_unit["unit"], city_unit["events"], city_unit["materials"]) == ("C01", 1, 0)


def test_nothing_reported(env):
    empty = outreach_summary(env, at("2019-07-12 18:00"))
    assert empty["totals"] == {"events": 0, "people_reached": 0, "materials": 0, "units": 0}
    assert empty["by_unit"] == [] and len(empty["by_kind"]) == 7


# ----- the association's own activities; workplace publicity (职场) ------------------------------

WORKPLACE_HEADER = [*EVENT_HEADER, "海报数", "LED屏数", "咨询台数"]


def workplace_row(unit="人保财险", place="本部营业大厅", posters=20, led=2, desks=1, day="2019-06-26") -> list:
    return event_row(day, unit=unit, kind="职场宣传", title="7.8职场宣传", place=place, people=None, materials=100) + [
        posters, led, desks]


def test_the_associations_own_activities_are_its_own(env, tmp_path):
    own = [event_row("2019-07-03", unit="省协会", kind="进校园", title="走进校园", place="长春大学", people=400, materials=300),
           event_row("2019-07-05", unit="吉林省保险行业协会", kind="媒体", place="省协会官网专栏", people=20000, materials=0,
                     links="https://www.jiaia.example.org/78")]
    member = [event_row("2019-07-01", people=300, materials=500)]
    results = ingest_paths(env, [write(tmp_path / "省协会活动.xlsx", EVENT_HEADER, own),
                                 write(tmp_path / "picc.xlsx", EVENT_HEADER, member)], received_at=FIRST)
    assert [(r.status, r.unit) for r in results] == [("accepted", "ASSOC"), ("accepted", "P01")], [r.errors for r in results]

    s = outreach_summary(env, at("2019-07-12 18:00"))
    a = s["association"]
    assert (a["unit"], a["short_name"], a["events"], a["people_reached"], a["materials"]) == ("ASSOC", "省协会", 2, 20400, 300)
    assert a["by_kind"]["进学校"] == 1 and a["by_kind"]["媒体"] == 1
    assert s["totals"] == {"events": 3, "people_reached": 20700, "materials": 800, "units": 1}  # counted in the totals
    assert s["members"] == {"events": 1, "people_reached": 300, "materials": 500, "units": 1}
    assert [u["unit"] for u in s["by_unit"]] == ["P01"]  # never forced onto a member unit
    assert {k["kind"]: k["events"] for k in s["by_kind"]}["进学校"] == 2

    before = outreach_summary(env, at("2019-07-02 17:00"))
    assert before["association"]["events"] == 0 and before["totals"]["events"] == 0


def test_the_association_cannot_be_mixed_in_or_named_in_other_reports(env, tmp_path):
    from filemaker import daily_row, write_xlsx

    mixed = [event_row(unit="省协会", place="长春大学"), event_row(unit="人保财险")]
    [r] = ingest_paths(env, [write(tmp_path / "mixed.xlsx", EVENT_HEADER, mixed)], received_at=FIRST)
    assert r.status == "rejected" and "文件中出现了多个单位（吉林省保险行业协会、中国人民财产保险股份有限公司吉林省分公司）" in r.errors[0]["message"]
    [d] = ingest_paths(env, [write_xlsx(tmp_path / "daily.xlsx", [daily_row(unit="省协会")])], received_at=FIRST)
    assert d.status == "rejected" and d.errors[0]["column"] == "单位名称" and "不在会员单位名单中" in d.errors[0]["message"]


def test_workplace_checklist_per_unit(env, tmp_path):
    picc = [workplace_row(place="本部营业大厅", posters=20, led=2, desks=1),
            workplace_row(place="南关区营业部", posters=8, led=0, desks=1),
            event_row("2019-07-01", kind="进社区", place="南关区某社区", people=150, materials=50) + [5, None, None]]
    city = [workplace_row(unit="长春市协会", place="协会办公楼", posters=3, led=1, desks=0)]
    own = [workplace_row(unit="省协会", place="省协会办公场所", posters=4, led=1, desks=1)]
    files = [write(tmp_path / "picc.xlsx", WORKPLACE_HEADER, picc), write(tmp_path / "city.xlsx", WORKPLACE_HEADER, city),
             write(tmp_path / "own.xlsx", WORKPLACE_HEADER, own)]
    assert [r.status for r in ingest_paths(env, files, received_at=FIRST)] == ["accepted"] * 3

    w = outreach_summary(env, at("2019-07-12 18:00"))["workplace"]
    assert (w["kind"], w["sites"], w["units"], w["posters"], w["led_screens"], w["service_desks"]) == (
        "职场", 4, 2, 35, 4, 3)  # every site, the association's included; posters of a 进社区 event are not workplace
    assert [(u["unit"], u["sites"], u["posters"], u["led_screens"], u["service_desks"]) for u in w["by_unit"]] == [
        ("P01", 2, 28, 2, 2), ("C01", 1, 3, 1, 0)]
    kinds = {k["kind"]: k for k in outreach_summary(env, at("2019-07-12 18:00"))["by_kind"]}
    assert (kinds["职场"]["events"], kinds["职场"]["posters"], kinds["进社区"]["posters"]) == (4, 35, 5)


def test_workplace_rows_without_counts_are_noted_and_negative_counts_refused(env, tmp_path):
    [ok] = ingest_paths(env, [write(tmp_path / "a.xlsx", WORKPLACE_HEADER, [workplace_row(posters=None, led=None, desks=None)])],
                        received_at=FIRST)
    assert ok.status == "accepted"
    assert [w["message"] for w in ok.warnings if w["row"] == 2] == [
        "文件「a.xlsx」第2行「海报数」列：未填写。职场宣传请填写「海报数」、「LED屏数」、「咨询台数」（没有的填 0），便于协会统计"]
    [bad] = ingest_paths(env, [write(tmp_path / "b.xlsx", WORKPLACE_HEADER, [workplace_row(place="二楼", led=-1)])],
                         received_at=FIRST)
    assert bad.status == "rejected" and [(e["row"], e["column"]) for e in bad.errors] == [(2, "LED屏数")]


def test_white_paper_and_summary_count_workplace_publicity(env, tmp_path):
    from openpyxl import load_workbook

    from insday.reports.summary import summary_status
    from insday.reports.whitepaper import write_whitepaper

    picc = [workplace_row(place="本部营业大厅", posters=20, led=2, desks=1), workplace_row(place="营业部", posters=8, led=0, desks=1),
            event_row("2019-07-01", place="长春市第一中学", people=300, materials=500)]
    city = [workplace_row(unit="长春市协会", place="协会办公楼", posters=3, led=1, desks=0)]  # a city association: no company
    own = [event_row("2019-07-03", unit="省协会", title="走进校园", place="长春大学", people=400, materials=300)]
    files = [write(tmp_path / f"{n}.xlsx", WORKPLACE_HEADER if n != "own" else EVENT_HEADER, rows)
             for n, rows in (("picc", picc), ("city", city), ("own", own))]
    assert [r.status for r in ingest_paths(env, files, received_at=FIRST)] == ["accepted"] * 3

    paper = write_whitepaper(env, at("2019-07-12 18:00"), tmp_path / "wp")
    w = paper["workplace"]
    assert (w["companies"], w["sites"], w["posters"], w["led_screens"], w["service_desks"], w["events"],
            w["people_reached"]) == (1, 2, 28, 2, 2, 3, 300)
    md = (tmp_path / "wp" / "whitepaper.md").read_text(encoding="utf-8")
    assert "## 五、职场宣传" in md
    assert ("1家保险公司在2处办公和营业场所开展职场宣传，悬挂、张贴宣传海报和标语28张（幅），"
            "用2块LED屏等多媒体设备滚动播放活动主题和行业形象宣传片，设置宣传咨询服务台2个。") in md
    assert '2019年吉林保险业"7.8全国保险公众宣传日"活动 · 年度主题：爱国爱家，从一份保障开始' in md
    html = (tmp_path / "wp" / "whitepaper.html").read_text(encoding="utf-8")
    assert "年度主题：爱国爱家，从一份保障开始" in html and "五、职场宣传" in html
    sheet = load_workbook(paper["files"]["xlsx"])["职场宣传"]
    assert [c.value for c in sheet[2]] == [1, "中国人民财产保险股份有限公司吉林省分公司", "人保财险", 2, 28, 2, 2]

    status = summary_status(env, at("2019-07-12 18:00"))
    picc_line = next(u for u in status["units"] if u["unit"] == "P01")
    assert picc_line["activities"] == {"events": 3, "people_reached": 300, "materials": 700,
                                       "workplace": {"sites": 2, "posters": 28, "led_screens": 2, "service_desks": 2}}
    assert status["association"]["short_name"] == "省协会"
    assert status["association"]["activities"]["events"] == 1 and status["association"]["activities"]["people_reached"] == 400
    other = next(u for u in status["units"] if u["unit"] == "L01")
    assert other["activities"]["events"] == 0 and other["activities"]["workplace"]["sites"] == 0
