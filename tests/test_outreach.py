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
