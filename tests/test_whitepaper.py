"""White paper data: province totals and per-company tables from the indicators, as known
at a moment; companies that did not report are listed and never counted as zero."""

from __future__ import annotations

from decimal import Decimal

import pytest
from openpyxl import load_workbook
from reportmaker import INDICATOR_HEADER, at, indicator_row, write

from insday.intake.service import ingest_paths
from insday.reports.whitepaper import whitepaper_data, write_whitepaper

# claims, tax (万元), employees, agents, poverty coverage (万元), people covered
FIGURES = {
    "P01": ("人保财险", "250000.50", "30000", 2100, 8000, "1200000", 350000),
    "P04": ("国寿财险吉林省分公司", "80000", "9000.25", 600, 1500, "300000", 50000),
    "L01": ("中国人寿保险股份有限公司吉林省分公司", "120000", "45000", 3000, 40000, "0", 0),
}
FIRST = at("2019-07-01 09:00")
SECOND = at("2019-07-02 09:00")


@pytest.fixture
def reported(env, tmp_path):
    files = [write(tmp_path / f"{code}.xlsx", INDICATOR_HEADER, [indicator_row(
        name, Decimal(c), Decimal(t), e, a, Decimal(p), n)]) for code, (name, c, t, e, a, p, n) in FIGURES.items()]
    # 人保财险 first sent 200,000 for claims, then corrected it the next day.
    early = write(tmp_path / "P01-v1.xlsx", INDICATOR_HEADER, [indicator_row("人保财险", 200000, 30000, 2100, 8000,
                                                                             1200000, 350000)])
    assert all(r.status == "accepted" for r in ingest_paths(env, [early, *files[1:]], received_at=FIRST))
    assert ingest_paths(env, [files[0]], received_at=SECOND)[0].version == 2
    return env


def test_totals_count_only_reporting_companies(reported):
    data = whitepaper_data(reported, at("2019-07-05 00:00"))
    t = data["totals"]
    assert t["claims_paid"] == Decimal("450000.50")  # 250000.50 + 80000 + 120000
    assert t["tax_paid"] == Decimal("84000.25")  # 30000 + 9000.25 + 45000
    assert (t["employees"], t["agents"], t["poverty_people"]) == (5700, 49500, 400000)
    assert t["poverty_coverage"] == Decimal("1500000")
    assert (data["expected"], data["reported"]) == (54, 3)
    assert [c["code"] for c in data["companies"]] == ["P01", "L01", "P04"]  # by claims paid
    assert data["companies"][0]["shares"]["claims_paid"] == pytest.approx(250000.5 / 450000.5)
    missing = {u["code"] for u in data["missing"]}
    assert len(missing) == 51 and "L02" in missing and not missing & set(FIGURES)
    kinds = {k["kind"]: k for k in data["by_kind"]}
    assert kinds["property"]["totals"]["claims_paid"] == Decimal("330000.50")
    assert (kinds["property"]["reported"], kinds["life"]["reported"]) == (2, 1)
    assert kinds["life"]["totals"]["agents"] == 40000


def test_as_of_sees_the_figures_known_then(reported):
    before_fix = whitepaper_data(reported, at("2019-07-01 12:00"))
    assert before_fix["totals"]["claims_paid"] == Decimal("400000")  # 200000 + 80000 + 120000
    assert whitepaper_data(reported, at("2019-06-30 00:00"))["reported"] == 0


def test_workbook_chapter_and_charts(reported, tmp_path):
    result = write_whitepaper(reported, at("2019-07-05 00:00"), tmp_path / "wp")
    book = load_workbook(result["files"]["xlsx"])
    assert book.sheetnames == ["全省汇总", "分公司明细", "未报送公司"]
    summary = [[c.value for c in row] for row in book["全省汇总"].iter_rows(min_row=1, max_row=4)]
    assert summary[0][:3] == ["范围", "已报送公司数", "赔款支出(万元)"]
    assert summary[1][:8] == ["全省合计", 3, 450000.5, 84000.25, 5700, 49500, 1500000, 400000]
    assert summary[2][:3] == ["财产险公司", 2, 330000.5] and summary[3][:3] == ["人身险公司", 1, 120000]
    assert book["分公司明细"].max_row == 1 + 3 + 2  # header, companies, blank and note
    assert book["未报送公司"]["B2"].value and book["未报送公司"].freeze_panes == "A2"
    assert sum(1 for r in book["未报送公司"].iter_rows(min_row=2) if isinstance(r[0].value, int)) == 51

    markdown = (tmp_path / "wp" / "whitepaper.md").read_text(encoding="utf-8")
    assert "已报送 3 家" in markdown and "51 家未报送" in markdown
    assert "2018年，全省已报送数据的3家保险公司共支付赔款45.00亿元" in markdown  # 450000.50 万元
    assert "共缴纳税款8.40亿元" in markdown and "合计提供就业岗位55,200个" in markdown
    assert "提供扶贫保险保障150.00亿元，覆盖400,000人" in markdown
    assert "| 1 | 中国人民财产保险股份有限公司吉林省分公司 | 250,000.50 |" in markdown
    assert "![一、经济补偿](charts/claims_paid.png)" in markdown
    html = (tmp_path / "wp" / "whitepaper.html").read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == 4 and "中国平安人寿保险股份有限公司吉林分公司" in html
    for chart in ("claims_paid", "tax_paid", "jobs", "poverty_coverage"):
        assert (tmp_path / "wp" / "charts" / f"{chart}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_nobody_reported_yet(env, tmp_path):
    result = write_whitepaper(env, at("2019-07-01 00:00"), tmp_path / "wp")
    assert result["reported"] == 0 and len(result["missing"]) == 54
    assert result["totals"]["claims_paid"] == 0
    assert "54 家未报送" in (tmp_path / "wp" / "whitepaper.md").read_text(encoding="utf-8")
