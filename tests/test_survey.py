"""The satisfaction survey report: counts, means with t-intervals, satisfaction rates with
Wilson intervals, ranking, and companies with too few responses flagged, not ranked.
Expected figures are worked out here by hand (t-table values, the Wilson formula)."""

from __future__ import annotations

import math
import statistics

import pytest
from filemaker import write_csv
from openpyxl import load_workbook
from reportmaker import SURVEY_HEADER, at, survey_row, write

from insday.intake.service import ingest_paths
from insday.reports.survey import survey_results, write_survey_report

T_975 = {29: 2.045229642, 30: 2.042272456}  # Student's t, two-sided 95%, from the table
Z_975 = 1.959963985


def wilson(k: int, n: int) -> tuple[float, float]:
    p, z = k / n, Z_975
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def responses() -> list[list]:
    """人保财险 30 answers (overall 10x5, 15x4, 5x3), 国寿财险 31 answers (overall all 5,
    claims service 3), 中国人寿 5 answers (overall 2): too few to rank."""
    rows, n = [], 0
    for overall in [5] * 10 + [4] * 15 + [3] * 5:
        n += 1
        comment = "理赔很快，联系我13912345678" if n == 1 else None
        rows.append(survey_row(n, "人保财险", (4, 4, 4, 4, overall), comment))
    for _ in range(31):
        n += 1
        rows.append(survey_row(n, "国寿财险", (3, 4, 4, 4, 5)))
    for _ in range(5):
        n += 1
        rows.append(survey_row(n, "中国人寿", (4, 4, 4, 4, 2), "=HYPERLINK(\"http://x\")" if n == 62 else None))
    return rows


@pytest.fixture
def surveyed(env, tmp_path):
    export = write_csv(tmp_path / "export.csv", responses(), header=SURVEY_HEADER, encoding="gbk")
    [r] = ingest_paths(env, [export], received_at=at("2019-05-02 09:00"))
    assert r.status == "accepted", r.errors[:3]
    return env


def test_satisfaction_per_company_with_intervals(surveyed):
    data = survey_results(surveyed, at("2019-05-03 00:00"))
    assert (data["responses"], data["ranked"], data["flagged"]) == (66, 2, 1)
    assert data["not_rated"] == 54 - 3
    first, second, flagged = data["companies"]
    assert (first["unit"], first["rank"], first["responses"]) == ("P04", 1, 31)
    assert (first["mean"], first["ci_low"], first["ci_high"], first["rate"]) == (5, 5, 5, 1)

    scores = [5] * 10 + [4] * 15 + [3] * 5
    mean = 125 / 30
    half = T_975[29] * statistics.stdev(scores) / math.sqrt(30)
    assert (second["unit"], second["rank"], second["flagged"]) == ("P01", 2, False)
    assert second["mean"] == pytest.approx(mean)
    assert (second["ci_low"], second["ci_high"]) == (pytest.approx(mean - half, abs=1e-6),
                                                    pytest.approx(mean + half, abs=1e-6))
    assert second["rate"] == pytest.approx(25 / 30)
    assert (second["rate_low"], second["rate_high"]) == pytest.approx(wilson(25, 30), abs=1e-6)
    assert second["comments"] == 1

    assert (flagged["unit"], flagged["rank"], flagged["flagged"], flagged["responses"]) == ("L01", None, True, 5)


def test_satisfaction_per_question(surveyed):
    data = survey_results(surveyed, at("2019-05-03 00:00"))
    questions = {q["key"]: q for q in data["questions"]}
    assert [q["title"] for q in data["questions"]] == ["理赔服务", "销售服务", "柜面服务", "电话服务", "总体满意度"]
    claims = questions["q_claims"]
    assert claims["mean"] == pytest.approx((30 * 4 + 31 * 3 + 5 * 4) / 66)
    assert claims["counts"] == {"1": 0, "2": 0, "3": 31, "4": 35, "5": 0}
    assert claims["rate"] == pytest.approx(35 / 66)
    overall = questions["q_overall"]
    assert overall["mean"] == pytest.approx((125 + 31 * 5 + 5 * 2) / 66)
    assert overall["satisfied"] == 25 + 31
    assert overall["counts"] == {"1": 0, "2": 5, "3": 5, "4": 15, "5": 41}
    assert questions["q_sales"]["ci_low"] == questions["q_sales"]["ci_high"] == 4  # every answer 4


def test_thirty_responses_is_enough_twenty_nine_is_not(env, tmp_path):
    rows = [survey_row(n, "人保财险") for n in range(1, 30)]
    ingest_paths(env, [write(tmp_path / "a.xlsx", SURVEY_HEADER, rows)], received_at=at("2019-05-02 09:00"))
    assert survey_results(env, at("2019-05-03 00:00"))["companies"][0]["flagged"] is True
    rows.append(survey_row(30, "人保财险"))
    ingest_paths(env, [write(tmp_path / "b.xlsx", SURVEY_HEADER, rows)], received_at=at("2019-05-04 09:00"))
    later = survey_results(env, at("2019-05-05 00:00"))["companies"][0]
    assert (later["flagged"], later["rank"], later["responses"]) == (False, 1, 30)


def test_publishable_report(surveyed, tmp_path):
    result = write_survey_report(surveyed, at("2019-05-03 00:00"), tmp_path / "survey")
    book = load_workbook(result["files"]["xlsx"])
    assert book.sheetnames == ["公司满意度", "分题满意度", "意见建议"]
    rows = [[c.value for c in r] for r in book["公司满意度"].iter_rows(min_row=2, max_row=4)]
    assert [(r[0], r[1], r[2]) for r in rows] == [
        (1, "中国人寿财产保险股份有限公司吉林省分公司", 31), (2, "中国人民财产保险股份有限公司吉林省分公司", 30),
        (None, "中国人寿保险股份有限公司吉林省分公司", 5)]
    assert rows[2][-1] == "是"
    comments = {r[0].value: r[2] for r in book["意见建议"].iter_rows(min_row=2, max_row=3)}
    assert comments["1"].value == "理赔很快，联系我139****"  # phone number masked
    assert comments["62"].value == "=HYPERLINK(\"http://x\")" and comments["62"].data_type == "s"  # never a formula

    html = (tmp_path / "survey" / "survey.html").read_text(encoding="utf-8")
    ranking = html.split("二、各公司满意度排名")[1].split("三、样本不足")[0]
    assert "中国人寿财产保险股份有限公司吉林省分公司" in ranking
    assert "中国人寿保险股份有限公司吉林省分公司" not in ranking  # flagged, not ranked
    assert "中国人寿保险股份有限公司吉林省分公司" in html.split("三、样本不足")[1]
    assert "13912345678" not in html and "HYPERLINK" not in html
    assert "共收回有效答卷 66 份" in html and html.count("data:image/png;base64,") == 2
    markdown = (tmp_path / "survey" / "survey.md").read_text(encoding="utf-8")
    assert "| 2 | 中国人民财产保险股份有限公司吉林省分公司 | 30 | 4.17（" in markdown
    assert "调查时间：2019年3月1日至5月1日" in markdown
    for chart in ("companies", "questions"):
        assert (tmp_path / "survey" / "charts" / f"{chart}.png").stat().st_size > 1000
