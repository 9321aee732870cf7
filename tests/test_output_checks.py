"""The output suites of expectations/outputs/ (essays, white paper, survey) run by real GX over
small datasets written by hand: a good one passes every check, each bad one fails its own."""

from __future__ import annotations

import pytest

from insday.publishing.checks import run_checks

ESSAYS = [
    {"section": "roster", "label": "AL01 甲", "appearances": 1}, {"section": "roster", "label": "AL02 乙", "appearances": 1},
    {"section": "essays", "label": "AL01 甲", "panel": 90.0, "rank": 1, "expected_rank": 1},
    {"section": "essays", "label": "AL02 乙", "panel": 80.0, "rank": 2, "expected_rank": 2},
    {"section": "categories", "label": "典型案例", "finalists_over_minimum": 0},
    {"section": "final", "label": "AL01 甲", "final": 93.0, "votes": 100, "rank": 1, "expected_rank": 1},
    {"section": "prizes", "label": "典型案例一等奖", "prizes_left": 0},
]
WHITEPAPER = [
    {"section": "roster", "label": "人保财险", "appearances": 1},
    {"section": "values", "label": "人保财险赔款支出", "value": 10.0},
    {"section": "shares", "label": "人保财险占比", "share": 100.0},
    {"section": "sums", "label": "各公司之和＝全省合计", "value": 10.0, "reference": 10.0},
]
SURVEY = [
    {"section": "roster", "label": "人保财险", "appearances": 1},
    {"section": "scores", "label": "总体满意度", "mean": 4.2, "rate": 80.0},
    {"section": "companies", "label": "人保财险", "rank": 1, "expected_rank": 1},
    {"section": "sums", "label": "答卷数", "value": 30.0, "reference": 30.0},
]
SUITES = {"essays": (ESSAYS, {"max_total": 100}), "whitepaper": (WHITEPAPER, {}),
          "survey": (SURVEY, {"scale_min": 1, "scale_max": 5})}


def _spoil(rows, index, **changes):
    return [dict(r, **changes) if i == index else r for i, r in enumerate(rows)]


@pytest.mark.parametrize("suite", SUITES)
def test_a_good_dataset_passes_every_check(suite):
    rows, parameters = SUITES[suite]
    checks = run_checks(f"outputs/{suite}", rows, parameters)
    assert checks and all(c.success for c in checks), [c for c in checks if not c.success]


@pytest.mark.parametrize("suite, index, changes, expectation, named", [
    ("essays", 1, {"appearances": 2}, "每篇征文出现且只出现一次", "AL02 乙"),
    ("essays", 2, {"panel": 101.0}, "评审得分在 0 至满分之间", "AL01 甲"),
    ("essays", 3, {"rank": 3}, "入围排名连续且与评审得分一致", "AL02 乙"),
    ("essays", 4, {"finalists_over_minimum": -1}, "每类入围作品数不少于规定", "典型案例"),
    ("essays", 5, {"final": 120.0}, "最终得分在 0 至 100 之间", "AL01 甲"),
    ("essays", 5, {"votes": -1}, "票数不为负数", "AL01 甲"),
    ("essays", 5, {"rank": 2}, "最终排名连续且与最终得分一致", "AL01 甲"),
    ("essays", 6, {"prizes_left": -1}, "获奖数不超过奖项设置", "典型案例一等奖"),
    ("whitepaper", 0, {"appearances": 0}, "每家公司出现且只出现一次（已报送或未报送）", "人保财险"),
    ("whitepaper", 1, {"value": -1.0}, "指标不为负数", "人保财险赔款支出"),
    ("whitepaper", 2, {"share": 100.5}, "占比在 0% 至 100% 之间", "人保财险占比"),
    ("whitepaper", 3, {"value": 9.0}, "各部分之和等于合计", "各公司之和"),
    ("survey", 0, {"appearances": 2}, "每家公司最多出现一次", "人保财险"),
    ("survey", 1, {"mean": 5.5}, "平均分在量表范围内", "总体满意度"),
    ("survey", 1, {"rate": 101.0}, "满意率在 0% 至 100% 之间", "总体满意度"),
    ("survey", 2, {"expected_rank": 2}, "公司排名连续且与平均分一致", "人保财险"),
    ("survey", 3, {"reference": 31.0}, "各部分之和等于合计", "答卷数"),
])
def test_each_bad_figure_fails_its_own_expectation(suite, index, changes, expectation, named):
    rows, parameters = SUITES[suite]
    checks = run_checks(f"outputs/{suite}", _spoil(rows, index, **changes), parameters)
    failed = {c.expectation: c.detail for c in checks if not c.success}
    assert set(failed) == {expectation} and named in failed[expectation], failed


def test_a_section_without_rows_is_not_a_failure():
    checks = run_checks("outputs/essays", [r for r in ESSAYS if r["section"] not in ("final", "prizes")], {"max_total": 100})
    assert all(c.success for c in checks)
    assert {c.expectation: c.detail for c in checks}["最终得分在 0 至 100 之间"] == "无此项数据"
